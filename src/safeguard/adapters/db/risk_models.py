"""Tables of the risk model: its versions (the skops bytes, the card, the active flag) and the
scores of the active model per incident or episode and person."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime, as_utc
from safeguard.domain.board_validity import ValidityItem

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
# Which versions are active, and their hashes, without reading a row: on SQLite a row's
# ``active`` and ``sha256`` come after the stored file, so a scan walks every version's file
# (about 1 ms on each re-score with three versions, more with every version trained).
sa.Index("ix_risk_models_active", risk_models.c.active, risk_models.c.target, risk_models.c.sha256)

risk_scores = sa.Table(
    "risk_scores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("risk_models.id"), nullable=False),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("subject_key", sa.String(100), nullable=False),
    sa.Column("person_key", sa.String(32), nullable=False, index=True),
    sa.Column("other_key", sa.String(32), nullable=True, index=True),  # a profile reads both
    sa.Column("event_id", sa.Integer, nullable=True, index=True),
    sa.Column("episode_id", sa.Integer, nullable=True),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    sa.Column("probability", sa.Float, nullable=False),
    sa.Column("band", sa.String(8), nullable=False),
    sa.Column("drivers", sa.JSON, nullable=False),
    sa.Column("scored_at", UTCDateTime(), nullable=False),
    # For the board's predictive validity: the outcome once follow-up is complete, and what
    # the force's instruments said of the same incident.
    sa.Column("outcome", sa.Boolean, nullable=True),
    sa.Column("dash_count", sa.Float, nullable=True),
    sa.Column("officer_grade", sa.String(16), nullable=True),
    sa.Column("area", sa.String(64), nullable=True),
    sa.Column("team", sa.String(64), nullable=True),
    sa.UniqueConstraint("model_id", "subject_key"),
)


def validity_items(
    conn: Connection, first_day: date, last_day: date
) -> tuple[list[ValidityItem], int | None]:
    """Domestic-abuse incidents of ``first_day``..``last_day`` scored by the active repeat
    model with a known outcome, for the board; the model's probability only after its training
    window. Returns the items and the model's version (None: no active model)."""
    rm, rs = risk_models.c, risk_scores.c
    model = conn.execute(
        sa.select(rm.id, rm.version, rm.card).where(rm.active, rm.target == "da_repeat")
    ).first()
    if model is None:
        return [], None
    window = (model.card or {}).get("train_window") or [None, None]
    trained_to = date.fromisoformat(window[1]) if window[1] else None
    start = datetime.combine(first_day, time(0), tzinfo=UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=UTC)
    rows = conn.execute(
        sa.select(
            rs.occurred_at, rs.outcome, rs.dash_count, rs.officer_grade, rs.probability,
            rs.area, rs.team,
        ).where(
            rs.model_id == model.id, rs.outcome.is_not(None), rs.occurred_at >= start,
            rs.occurred_at < end,
        )
    )  # fmt: skip
    items = []
    for at, outcome, dash, officer, p, area, team in rows:
        after = trained_to is None or as_utc(at).date() > trained_to  # type: ignore[union-attr]
        items.append(ValidityItem(bool(outcome), dash, officer, p if after else None, area, team))
    return items, int(model.version)
