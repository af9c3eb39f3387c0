"""records: the audit log refuses TRUNCATE on PostgreSQL; MoPI review, retention and disposal

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:40:00
"""

from collections.abc import Sequence

from alembic import op

from safeguard.adapters.db.history import drop_no_truncate_ddl, no_truncate_ddl

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    for ddl in no_truncate_ddl("audit_log", bind.dialect.name):
        op.execute(ddl)


def downgrade() -> None:
    bind = op.get_bind()
    for ddl in drop_no_truncate_ddl("audit_log", bind.dialect.name):
        op.execute(ddl)
