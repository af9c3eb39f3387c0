"""MASH triage records made in the app: information requests to partner agencies and the
decision on a contact (with the strategy discussion for section 47).

The contact itself is a referral (``referral_type`` mash, with its RAG rating) and its decision
is also a referral status change (``decision_made``): the rules engine's MASH-RAG-DECISION and
the board read those, so the app's clocks feed the findings and the board's figures.
"""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

mash_requests = sa.Table(
    "mash_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("referral_id", sa.Integer, nullable=False, index=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("asked_by", sa.String(64), nullable=False),
    sa.Column("asked_at", UTCDateTime(), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("answered_at", UTCDateTime(), nullable=True),
    sa.Column("answer", sa.Text, nullable=True),
)

mash_decisions = sa.Table(
    "mash_decisions",
    metadata,
    sa.Column("referral_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=False),
    sa.Column("strategy_held_at", UTCDateTime(), nullable=True),
    sa.Column("strategy_outcome", sa.String(32), nullable=True),
    sa.Column("strategy_attendees", sa.Text, nullable=True),
    sa.Column("strategy_recorded_by", sa.String(64), nullable=True),
)
