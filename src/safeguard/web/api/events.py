"""Events (incidents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from safeguard.domain.access import Action, Actor
from safeguard.services import events
from safeguard.web.api.models import EventOut
from safeguard.web.deps import Authorised, ConnDep, RecordId

router = APIRouter(prefix="/events", tags=["events"])


@router.get("/{event_id}", response_model=EventOut)
def get_event(
    event_id: RecordId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_EVENTS))],
    reason: Annotated[str, Query(min_length=3, max_length=300, pattern=r"\S")],
) -> EventOut:
    """One event and the people involved; each of them is audited as consulted."""
    return EventOut.model_validate(
        events.get_event(conn, actor=actor, event_id=event_id, reason=reason)
    )
