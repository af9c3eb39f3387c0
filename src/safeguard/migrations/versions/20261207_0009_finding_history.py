"""finding history: every change of every finding (opened, changed, closed, kept, acknowledged,
resolved), by whom and why

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeguard.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "finding_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_key", sa.String(length=200), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_history")),
    )
    op.create_index(
        op.f("ix_finding_history_finding_key"), "finding_history", ["finding_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_finding_history_finding_key"), table_name="finding_history")
    op.drop_table("finding_history")
