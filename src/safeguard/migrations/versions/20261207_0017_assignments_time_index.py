"""an index on work_assignments.assigned_at: a worklist request checks whether its cached
ranking still holds by the latest assignment time, one step down this index (it scanned the
table, and counted it, on every request)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07 11:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_work_assignments_assigned_at", "work_assignments", ["assigned_at"])


def downgrade() -> None:
    op.drop_index("ix_work_assignments_assigned_at", table_name="work_assignments")
