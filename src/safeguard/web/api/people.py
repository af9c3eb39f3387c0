"""People: search, profile, break glass, sharing with an agency, who viewed them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from safeguard.adapters.db.audit import who_viewed
from safeguard.domain.access import Action, Actor
from safeguard.services import people
from safeguard.web.api.models import (
    AuditEntryOut,
    BreakGlassIn,
    PersonHitOut,
    ProfileOut,
    ShareIn,
)
from safeguard.web.deps import AuditDep, Authorised, ConnDep, PersonId

router = APIRouter(prefix="/people", tags=["people"])
ReasonQ = Annotated[
    str, Query(min_length=3, max_length=300, pattern=r"\S", description="Why (s.62)")
]


@router.get("", response_model=list[PersonHitOut])
def search(
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.SEARCH_PEOPLE))],
    reason: ReasonQ,
    q: Annotated[str | None, Query(max_length=200)] = None,
    dob: date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> list[PersonHitOut]:
    """Find people by partial name and/or date of birth; every person returned is audited."""
    hits = people.search_people(
        conn, actor=actor, text=q, date_of_birth=dob, reason=reason, limit=limit, audit=audit
    )
    return [PersonHitOut(**asdict(h)) for h in hits]


@router.get("/{person_id}", response_model=ProfileOut)
def profile(
    person_id: PersonId,
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_PERSON))],
    reason: ReasonQ,
) -> ProfileOut:
    """The person's timeline, flags, current risk with its explanation and referrals."""
    p = people.person_profile(conn, actor=actor, person_id=person_id, reason=reason, audit=audit)
    return ProfileOut.model_validate(asdict(p))


@router.post("/{person_id}/break-glass", status_code=204)
def break_glass(
    person_id: PersonId,
    body: BreakGlassIn,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.BREAK_GLASS))],
) -> None:
    """Record why you need to see a restricted person (valid one hour, audited)."""
    people.break_glass(conn, actor=actor, person_id=person_id, reason=body.reason)


@router.post("/{person_id}/shares", status_code=204)
def share(
    person_id: PersonId,
    body: ShareIn,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.SHARE_WITH_AGENCY))],
) -> None:
    """Share the person with a partner agency (a disclosure, audited with its recipient)."""
    people.share_with_agency(
        conn, actor=actor, person_id=person_id, agency=body.agency, reason=body.reason
    )


@router.get("/{person_id}/audit", response_model=list[AuditEntryOut])
def audit(
    person_id: PersonId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_AUDIT))],
) -> list[AuditEntryOut]:
    """Who looked at or changed this person's records, when and why (newest first)."""
    return [
        AuditEntryOut(
            seq=s.seq,
            at=s.at,
            actor=s.entry.actor,
            actor_role=s.entry.actor_role,
            action=s.entry.action,
            category=str(s.entry.category),
            justification=s.entry.justification,
            recipient=s.entry.recipient,
        )
        for s in who_viewed(conn, person_id)[:500]
    ]
