"""records: the audit log refuses TRUNCATE on PostgreSQL; MoPI review, retention and disposal

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types
from safeguard.adapters.db.history import drop_no_truncate_ddl, no_truncate_ddl

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("retention_group", sa.String(length=32), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_reviews")),
    )
    with op.batch_alter_table("retention_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_reviews_person_id"), ["person_id"], unique=False
        )
    op.create_table(
        "retention_holds",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("placed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_retention_holds")),
    )
    bind = op.get_bind()
    for ddl in no_truncate_ddl("audit_log", bind.dialect.name):
        op.execute(ddl)


def downgrade() -> None:
    bind = op.get_bind()
    for ddl in drop_no_truncate_ddl("audit_log", bind.dialect.name):
        op.execute(ddl)
    op.drop_table("retention_holds")
    with op.batch_alter_table("retention_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_reviews_person_id"))
    op.drop_table("retention_reviews")
