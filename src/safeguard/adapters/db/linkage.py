"""Linking's own tables: model versions, runs, the review queue, analyst decisions, unlinkables."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

# A trained Splink model, kept whole (its JSON) so any run can be repeated with the same model.
link_models = sa.Table(
    "link_models",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("trained_on", sa.Integer, nullable=False),
    sa.Column("model_json", sa.Text, nullable=False),
)

link_runs = sa.Table(
    "link_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # batch | delta
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("model_version", sa.String(64), sa.ForeignKey("link_models.version"), nullable=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | failed
    sa.Column("mentions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("people", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pairs_scored", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unlinkable", sa.Integer, nullable=False, server_default="0"),
    sa.Column("review_items", sa.Integer, nullable=False, server_default="0"),
)

# Uncertain pairs for an analyst, ordered by priority. One open item per pair of mentions.
link_reviews = sa.Table(
    "link_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mention_id_l", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("mention_id_r", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("match_probability", sa.Float, nullable=False),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | confirmed | split | superseded
    sa.Column("run_id", sa.Integer, sa.ForeignKey("link_runs.id"), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("decision_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("mention_id_l", "mention_id_r"),
    sa.Index("ix_link_reviews_status_priority", "status", "priority"),
)

# Analysts' confirm (must_link) and split (cannot_link) decisions. Never deleted: undoing one sets
# revoked_at, and ``before`` keeps the person_links it changed so the undo restores them exactly.
link_decisions = sa.Table(
    "link_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # must_link | cannot_link
    sa.Column("mention_id_l", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("mention_id_r", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("review_id", sa.Integer, sa.ForeignKey("link_reviews.id"), nullable=True),
    sa.Column("before", sa.Text, nullable=False),  # JSON {mention_id: person_id}
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
    sa.Index("ix_link_decisions_active", "revoked_at"),
)

# Mentions kept as their own person because they cannot be linked, with the reason.
link_unlinkable = sa.Table(
    "link_unlinkable",
    metadata,
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("person_mentions.id"), primary_key=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("link_runs.id"), nullable=True),
    sa.Column("detected_at", UTCDateTime(), nullable=False),
)
