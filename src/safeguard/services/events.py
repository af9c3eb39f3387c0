"""One event (incident) with the people involved; reading it consults each of them (audited)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import events, involvements
from safeguard.domain.access import Action, ensure
from safeguard.domain.audit import AuditCategory
from safeguard.domain.purposes import Justification
from safeguard.errors import NotFound
from safeguard.services import access
from safeguard.services.unit_of_work import UnitOfWork


def get_event(uow: UnitOfWork, *, event_id: int, justification: Justification) -> dict[str, Any]:
    """The event and who was involved (person id and role); restricted people need break glass."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.VIEW_EVENTS)
    row = conn.execute(sa.select(events).where(events.c.id == event_id)).first()
    if row is None:
        raise NotFound(f"event {event_id} not found")
    inv = conn.execute(
        sa.select(
            sa.func.coalesce(person_links.c.person_id, -involvements.c.mention_id).label("pid"),
            involvements.c.role,
        )
        .outerjoin(person_links, person_links.c.mention_id == involvements.c.mention_id)
        .where(involvements.c.event_id == event_id)
    ).all()
    person_ids = list(dict.fromkeys(int(i.pid) for i in inv))
    for resource in access.person_access(conn, actor, person_ids).values():
        ensure(actor, Action.VIEW_PERSON, resource)
    uow.audit(
        "event.view",
        AuditCategory.CONSULTATION,
        "event",
        record_ids=[event_id],
        person_ids=person_ids,
        justification=justification.text,
        detail=justification.detail(),
    )
    m = row._mapping
    return {
        "id": int(m["id"]),
        "event_type": m["event_type"],
        "occurred_at": m["occurred_at"],
        "reported_at": m["reported_at"],
        "injury_level": m["injury_level"],
        "domestic_abuse_related": m["domestic_abuse_related"],
        "summary": m["summary"],
        "people": [{"person_id": int(i.pid), "role": i.role} for i in inv],
    }
