"""Retention review decisions and legal holds (MoPI): the decisions are kept as data."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

# Every review decision, retain or dispose. A disposal's row keeps only ids, dates and the
# rationale the records manager wrote (no personal data of the person disposed of).
retention_reviews = sa.Table(
    "retention_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, nullable=False, index=True),
    sa.Column("decided_at", UTCDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("retention_group", sa.String(32), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("next_review_on", sa.Date, nullable=True),
)

# A legal hold (litigation, inquiry, IOPC...): while it stands the records are not disposed of.
retention_holds = sa.Table(
    "retention_holds",
    metadata,
    sa.Column("person_id", sa.Integer, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("placed_by", sa.String(64), nullable=False),
    sa.Column("placed_at", UTCDateTime(), nullable=False),
)
