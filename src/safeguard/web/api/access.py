"""The controlled lists (purposes, partner agencies) and the review of break-glass uses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.domain.purposes import PURPOSES
from safeguard.services import break_glass as glass
from safeguard.services import partners
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import AgencyOut, BreakGlassUseOut, PurposeOut, ReviewIn
from safeguard.web.deps import ActorDep, Authorised, ConnDep, RecordId

router = APIRouter(tags=["access"])
Reviewer = Annotated[Actor, Depends(Authorised(Action.REVIEW_BREAK_GLASS))]


@router.get("/purposes", response_model=list[PurposeOut])
def purposes(actor: ActorDep) -> list[PurposeOut]:
    """The purposes a consultation, break glass or share may give (s.62(2)), and which need
    a reference."""
    return [
        PurposeOut(code=p.code, label=p.label, reference=p.reference, uses=sorted(p.uses))
        for p in PURPOSES
    ]


@router.get("/agencies", response_model=list[AgencyOut])
def agencies(
    conn: ConnDep, actor: Annotated[Actor, Depends(Authorised(Action.SHARE_WITH_AGENCY))]
) -> list[AgencyOut]:
    """The partner agencies a person may be shared with."""
    return [
        AgencyOut(code=a.code, display_name=a.display_name, sector=str(a.sector))
        for a in partners.list_agencies(conn)
    ]


@router.get("/break-glass", response_model=list[BreakGlassUseOut])
def uses(
    conn: ConnDep,
    actor: Reviewer,
    status: Literal["unreviewed", "accepted", "questioned"] | None = None,
) -> list[BreakGlassUseOut]:
    """Break-glass uses to review, newest first (supervisors)."""
    return [
        BreakGlassUseOut.model_validate(asdict(u))
        for u in glass.uses(UnitOfWork(conn, actor), status=status)
    ]


@router.post("/break-glass/{grant_id}/review", response_model=BreakGlassUseOut)
def review(grant_id: RecordId, conn: ConnDep, actor: Reviewer, body: ReviewIn) -> BreakGlassUseOut:
    """Accept a use or question it (with a note); audited. Nobody reviews their own."""
    done = glass.review(
        UnitOfWork(conn, actor), grant_id=grant_id, verdict=body.verdict, note=body.note
    )
    return BreakGlassUseOut.model_validate(asdict(done))
