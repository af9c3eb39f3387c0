"""People (the result of linking mentions) and the link of each mention to its person."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.metadata import metadata
from safeguard.adapters.db.types import UTCDateTime

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("restricted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("restriction_reason", sa.Text, nullable=True),
)

person_links = sa.Table(
    "person_links",
    metadata,
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("person_mentions.id"), primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
    sa.Column("match_probability", sa.Float, nullable=True),
    sa.Column("model_version", sa.String(64), nullable=True),
    sa.Column("linked_at", UTCDateTime(), nullable=False),
)


def restricted_among(conn: Connection, person_ids: Iterable[int]) -> set[int]:
    """Which of ``person_ids`` are restricted (an unlinked mention's negative id never is)."""
    positive = sorted({p for p in person_ids if p > 0})
    if not positive:
        return set()
    rows = conn.execute(
        sa.select(people.c.id).where(people.c.id.in_(positive)).where(people.c.restricted)
    ).scalars()
    return {int(r) for r in rows}


def person_exists(conn: Connection, person_id: int) -> bool:
    found = conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first()
    return found is not None
