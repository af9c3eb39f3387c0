"""Tables of the risk model: its versions (the skops bytes, the card, the active flag) and the
scores of the active model per incident or episode and person."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

risk_models = sa.Table(
    "risk_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("family", sa.String(32), nullable=False),
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Column("features", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("trained_by", sa.String(64), nullable=False),
    sa.Column("data_end", UTCDateTime(), nullable=False),
    sa.Column("artifact", sa.LargeBinary, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("card", sa.JSON, nullable=False),
    sa.Column("card_markdown", sa.Text, nullable=False),
    sa.Column("refusals", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("activated_at", UTCDateTime(), nullable=True),
    sa.Column("activated_by", sa.String(64), nullable=True),
    sa.UniqueConstraint("target", "version"),
)

risk_scores = sa.Table(
    "risk_scores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("risk_models.id"), nullable=False),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("subject_key", sa.String(100), nullable=False),
    sa.Column("person_key", sa.String(32), nullable=False, index=True),
    sa.Column("other_key", sa.String(32), nullable=True),
    sa.Column("event_id", sa.Integer, nullable=True, index=True),
    sa.Column("episode_id", sa.Integer, nullable=True),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("band", sa.String(8), nullable=False),
    sa.Column("drivers", sa.JSON, nullable=False),
    sa.Column("scored_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("model_id", "subject_key"),
)
