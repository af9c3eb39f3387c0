"""One incident (an ``events`` row) and the people involved in it, for the event service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import events, involvements


@dataclass(frozen=True, slots=True)
class Involved:
    """A party to an incident: the person (``-mention_id`` when not linked yet) and the role."""

    person_id: int
    role: str


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    event_type: str
    occurred_at: datetime
    reported_at: datetime | None
    injury_level: str | None
    domestic_abuse_related: bool | None
    summary: str | None
    people: tuple[Involved, ...]


def incident(conn: Connection, event_id: int) -> Incident | None:
    """The incident and its parties, in the order they were recorded; None if there is none."""
    e = events.c
    row = conn.execute(
        sa.select(
            e.id, e.event_type, e.occurred_at, e.reported_at, e.injury_level,
            e.domestic_abuse_related, e.summary,
        ).where(e.id == event_id)
    ).first()  # fmt: skip
    if row is None:
        return None
    parties = conn.execute(
        sa.select(
            sa.func.coalesce(person_links.c.person_id, -involvements.c.mention_id),
            involvements.c.role,
        )
        .outerjoin(person_links, person_links.c.mention_id == involvements.c.mention_id)
        .where(involvements.c.event_id == event_id)
    ).all()
    return Incident(
        id=int(row.id),
        event_type=str(row.event_type),
        occurred_at=row.occurred_at,
        reported_at=row.reported_at,
        injury_level=row.injury_level,
        domestic_abuse_related=row.domestic_abuse_related,
        summary=row.summary,
        people=tuple(Involved(int(pid), str(role)) for pid, role in parties),
    )
