"""findings, procedure checks, assessment runs (rules engine, issue 5)

event_id columns carry no foreign key on purpose: erasure of a source record must not be
blocked by a derived finding (findings are recomputed by `safeguard assess`).

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28 19:16:39.062755
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), server_default="0", nullable=False),
        sa.Column("findings_new", sa.Integer(), server_default="0", nullable=False),
        sa.Column("findings_changed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("findings_closed", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_runs")),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("instrument_id", sa.String(length=64), nullable=True),
        sa.Column("instrument_version", sa.String(length=32), nullable=True),
        sa.Column("person_key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("due_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("done_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("first_found_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("finding_key", name=op.f("uq_findings_finding_key")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_person_key"), ["person_key"], unique=False)
        batch_op.create_index("ix_findings_status_category", ["status", "category"], unique=False)

    op.create_table(
        "procedure_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("check_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("person_key", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(length=64), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("trigger_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("due_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("evaluated_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_checks")),
        sa.UniqueConstraint("check_key", name=op.f("uq_procedure_checks_check_key")),
    )
    with op.batch_alter_table("procedure_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_procedure_checks_person_key"), ["person_key"], unique=False
        )
        batch_op.create_index("ix_procedure_checks_rule_due", ["rule_id", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("procedure_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_procedure_checks_rule_due")
        batch_op.drop_index(batch_op.f("ix_procedure_checks_person_key"))

    op.drop_table("procedure_checks")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index("ix_findings_status_category")
        batch_op.drop_index(batch_op.f("ix_findings_person_key"))
        batch_op.drop_index(batch_op.f("ix_findings_person_id"))
        batch_op.drop_index(batch_op.f("ix_findings_event_id"))

    op.drop_table("findings")
    op.drop_table("assessment_runs")
