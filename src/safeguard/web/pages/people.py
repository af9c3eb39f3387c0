"""Person search, the person profile (with its reason), break glass, who viewed a person."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safeguard.adapters.db.audit import who_viewed
from safeguard.domain.access import Action, Actor, BreakGlassRequired, can
from safeguard.errors import ValidationFailed
from safeguard.services import findings, people, risk_view
from safeguard.web.deps import AuditDep, Authorised, ConnDep, EngineDep, PersonId, RecordId
from safeguard.web.pages.render import render

router = APIRouter()
Searcher = Annotated[Actor, Depends(Authorised(Action.SEARCH_PEOPLE))]
Viewer = Annotated[Actor, Depends(Authorised(Action.VIEW_PERSON))]


def _dob(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("dob: enter a date of birth as YYYY-MM-DD") from None


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    conn: ConnDep,
    audit: AuditDep,
    actor: Searcher,
    q: Annotated[str | None, Query(max_length=200)] = None,
    dob: Annotated[str | None, Query(max_length=10)] = None,
    reason: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    ctx: dict[str, object] = {"q": q or "", "dob": dob or "", "reason": reason or ""}
    partial = request.headers.get("HX-Request") == "true"
    if q or dob:
        try:
            ctx["hits"] = people.search_people(
                conn,
                actor=actor,
                text=q,
                date_of_birth=_dob(dob),
                reason=reason or "",
                audit=audit,
            )
        except ValidationFailed as exc:
            ctx["error"] = str(exc)
    return render(request, "_results.html" if partial else "search.html", ctx, actor=actor)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def profile(
    request: Request,
    person_id: PersonId,
    conn: ConnDep,
    audit: AuditDep,
    actor: Viewer,
    reason: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    ctx: dict[str, object] = {"person_id": person_id}
    if not reason:
        return render(request, "reason.html", ctx, actor=actor)
    try:
        profile = people.person_profile(
            conn, actor=actor, person_id=person_id, reason=reason, audit=audit
        )
    except BreakGlassRequired:
        return render(
            request, "break_glass.html", {**ctx, "reason": reason}, actor=actor, status_code=403
        )
    ctx.update(
        profile=profile,
        reason=reason,
        instruments=risk_view.instruments() if can(actor, Action.SUBMIT_ASSESSMENT) else [],
        can_audit=bool(can(actor, Action.VIEW_AUDIT)),
        can_act=bool(can(actor, Action.ACT_ON_FINDINGS)),
    )
    return render(request, "profile.html", ctx, actor=actor)


@router.post("/people/{person_id}/break-glass")
def break_glass(
    person_id: PersonId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.BREAK_GLASS))],
    reason: Annotated[str, Form(max_length=300)],
) -> Response:
    people.break_glass(conn, actor=actor, person_id=person_id, reason=reason)
    query = urlencode({"reason": f"Break glass: {reason.strip()}"[:300]})
    return RedirectResponse(f"/people/{person_id}?{query}", status_code=303)


@router.get("/people/{person_id}/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    person_id: PersonId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_AUDIT))],
) -> Response:
    entries = who_viewed(conn, person_id)[:500]
    return render(request, "audit.html", {"person_id": person_id, "entries": entries}, actor=actor)


@router.post("/findings/{finding_id}/{to}")
def act_on_finding(
    finding_id: RecordId,
    to: Literal["acknowledge", "resolve"],
    engine: EngineDep,
    actor: Annotated[Actor, Depends(Authorised(Action.ACT_ON_FINDINGS))],
    back: Annotated[int, Form(ge=-2_147_483_647, le=2_147_483_647)],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    findings.act(engine, actor=actor, finding_id=finding_id, to=to, note=note or None)
    query = urlencode({"reason": "Acting on a finding"})
    return RedirectResponse(f"/people/{back}?{query}", status_code=303)
