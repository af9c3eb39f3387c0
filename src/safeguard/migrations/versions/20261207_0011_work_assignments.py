"""work assignments: who owns an item of work on the worklists

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeguard.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "work_assignments",
        sa.Column("finding_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner_user", sa.String(length=64), nullable=True),
        sa.Column("owner_team", sa.String(length=64), nullable=True),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_work_assignments")),
    )
    op.create_index(
        op.f("ix_work_assignments_owner_user"), "work_assignments", ["owner_user"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_work_assignments_owner_user"), table_name="work_assignments")
    op.drop_table("work_assignments")
