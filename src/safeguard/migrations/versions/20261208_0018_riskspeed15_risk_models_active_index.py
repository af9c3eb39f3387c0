"""an index on risk_models (active, target, sha256): re-scoring a person reads the active models'
ids and hashes on every call, and on SQLite a row's ``active`` and ``sha256`` come after its
stored file, so the scan walked every stored version's file (riskspeed15, issue 15)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 00:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_risk_models_active", "risk_models", ["active", "target", "sha256"])


def downgrade() -> None:
    op.drop_index("ix_risk_models_active", table_name="risk_models")
