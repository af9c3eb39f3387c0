"""work assignments (who owns an item of work on the worklists) and MASH triage (information
requests to partner agencies, decisions and strategy discussions)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0011"
down_revision: str | None = "0010"
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
    op.create_table(
        "mash_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.String(length=64), nullable=False),
        sa.Column("asked_at", UTC(), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("answered_at", UTC(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mash_requests")),
    )
    op.create_index(
        op.f("ix_mash_requests_referral_id"), "mash_requests", ["referral_id"], unique=False
    )
    op.create_table(
        "mash_decisions",
        sa.Column("referral_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", UTC(), nullable=False),
        sa.Column("strategy_held_at", UTC(), nullable=True),
        sa.Column("strategy_outcome", sa.String(length=32), nullable=True),
        sa.Column("strategy_attendees", sa.Text(), nullable=True),
        sa.Column("strategy_recorded_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_mash_decisions")),
    )


def downgrade() -> None:
    op.drop_table("mash_decisions")
    op.drop_index(op.f("ix_mash_requests_referral_id"), table_name="mash_requests")
    op.drop_table("mash_requests")
    op.drop_index(op.f("ix_work_assignments_owner_user"), table_name="work_assignments")
    op.drop_table("work_assignments")
