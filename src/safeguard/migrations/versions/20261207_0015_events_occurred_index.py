"""an index on events.occurred_at: the latest event (the end of the data a risk model scores
against) is read on every re-score of a person after a new record; without it, a full scan

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_events_occurred_at", table_name="events")
