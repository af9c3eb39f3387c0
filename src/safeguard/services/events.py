"""One event (incident) with the people involved; reading it consults each of them (audited)."""

from __future__ import annotations

from typing import Any

from safeguard.adapters.db.incidents import incident
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
    found = incident(conn, event_id)
    if found is None:
        raise NotFound(f"event {event_id} not found")
    person_ids = list(dict.fromkeys(p.person_id for p in found.people))
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
    return {
        "id": found.id,
        "event_type": found.event_type,
        "occurred_at": found.occurred_at,
        "reported_at": found.reported_at,
        "injury_level": found.injury_level,
        "domestic_abuse_related": found.domestic_abuse_related,
        "summary": found.summary,
        "people": [{"person_id": p.person_id, "role": p.role} for p in found.people],
    }
