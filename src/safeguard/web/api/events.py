"""Events (incidents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import events
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import EventOut
from safeguard.web.deps import Authorised, ConnDep, JustificationQ, RecordId

router = APIRouter(prefix="/events", tags=["events"])


@router.get("/{event_id}", response_model=EventOut)
def get_event(
    event_id: RecordId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_EVENTS))],
    justification: JustificationQ,
) -> EventOut:
    """One event and the people involved; each of them is audited as consulted."""
    return EventOut.model_validate(
        events.get_event(UnitOfWork(conn, actor), event_id=event_id, justification=justification)
    )
