"""worklist and profile indexes: a person's highest open severity, the overdue list, filter
choices and the worklists' change check; a profile's risk scores (as the other party) and who
a person is shared with

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_findings_person_status_severity": ["person_key", "status", "severity"],
    "ix_findings_status_due": [
        "status",
        "due_at",
        "person_key",
        "severity",
        "event_id",
        "first_found_at",
    ],  # fmt: skip
    "ix_findings_status_area": ["status", "area"],
    "ix_findings_status_team": ["status", "team"],
    "ix_findings_last_changed_at": ["last_changed_at"],
}


OTHERS = {
    "ix_risk_scores_other_key": ("risk_scores", ["other_key"]),
    "ix_agency_shares_person_id": ("agency_shares", ["person_id"]),
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "findings", columns, unique=False)
    for name, (table, columns) in OTHERS.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _) in OTHERS.items():
        op.drop_index(name, table_name=table)
    for name in INDEXES:
        op.drop_index(name, table_name="findings")
