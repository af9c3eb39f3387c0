"""Person search, the person profile (with its purpose), break glass, who viewed a person."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from safeguard.domain.access import Action, Actor, can
from safeguard.domain.purposes import Justification, Use, justify, purposes_for
from safeguard.errors import ValidationFailed
from safeguard.services import audit_trail, findings, partners, people, risk_view, sharing
from safeguard.services import break_glass as glass
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.deps import (
    AuditDep,
    Authorised,
    ConnDep,
    EngineDep,
    PersonId,
    RecordId,
    SettingsDep,
)
from safeguard.web.pages.render import render

router = APIRouter()
Searcher = Annotated[Actor, Depends(Authorised(Action.SEARCH_PEOPLE))]
Viewer = Annotated[Actor, Depends(Authorised(Action.VIEW_PERSON))]
OptText = Annotated[str | None, Query(max_length=40)]


def _dob(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("dob: enter a date of birth as YYYY-MM-DD") from None


def why_query(j: Justification) -> str:
    """The query string that carries a chosen purpose on through one piece of work."""
    return urlencode(
        {"purpose": j.purpose.code, **({"reference": j.reference} if j.reference else {})}
    )


def local(path: str, fallback: str) -> str:
    """Only a path on this site is followed after a form (never another host)."""
    ok = path.startswith("/") and not path.startswith("//") and "\\" not in path
    return path if ok else fallback


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    conn: ConnDep,
    audit: AuditDep,
    actor: Searcher,
    q: Annotated[str | None, Query(max_length=200)] = None,
    dob: Annotated[str | None, Query(max_length=10)] = None,
    purpose: OptText = None,
    reference: OptText = None,
) -> Response:
    ctx: dict[str, object] = {
        "q": q or "",
        "dob": dob or "",
        "purpose": purpose or "",
        "reference": reference or "",
        "consult_purposes": purposes_for(Use.CONSULT),
    }
    partial = request.headers.get("HX-Request") == "true"
    if q or dob:
        try:
            why = justify(purpose, reference, use=Use.CONSULT)
            ctx["why"] = why_query(why)
            ctx["hits"] = people.search_people(
                UnitOfWork(conn, actor),
                text=q,
                date_of_birth=_dob(dob),
                justification=why,
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
    purpose: OptText = None,
    reference: OptText = None,
    assessed: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    duties: Annotated[int | None, Query(ge=0, le=10_000)] = None,
) -> Response:
    ctx: dict[str, object] = {"person_id": person_id, "assessed": assessed, "duties": duties or 0}
    if not purpose:
        ctx["consult_purposes"] = purposes_for(Use.CONSULT)
        return render(request, "reason.html", ctx, actor=actor)
    why = justify(purpose, reference, use=Use.CONSULT)
    profile = people.person_profile(
        UnitOfWork(conn, actor), person_id=person_id, justification=why, audit=audit
    )
    can_share = bool(can(actor, Action.SHARE_WITH_AGENCY))
    spec, alt = incident_chart(profile.incidents_by_month)
    ctx.update(
        chart_spec=spec,
        chart_alt=alt,
        profile=profile,
        why=why_query(why),
        justification=why,
        instruments=risk_view.instruments() if can(actor, Action.SUBMIT_ASSESSMENT) else [],
        can_audit=bool(can(actor, Action.VIEW_AUDIT)),
        can_act=bool(can(actor, Action.ACT_ON_FINDINGS)),
        can_share=can_share,
    )
    if can_share:
        ctx.update(
            shares=sharing.shares_of(UnitOfWork(conn, actor), person_id=person_id),
            agencies=partners.list_agencies(conn),
            share_purposes=purposes_for(Use.SHARE),
            share_kinds=sharing.kind_choices(),
        )
    return render(request, "profile.html", ctx, actor=actor)


def incident_chart(by_month: list[dict[str, object]]) -> tuple[str, str]:
    """A Vega-Lite bar chart of incidents per month, and its text alternative."""
    if not by_month:
        return "", ""
    total = sum(int(str(r["incidents"])) for r in by_month)
    peak = max(by_month, key=lambda r: int(str(r["incidents"])))
    alt = (
        f"{total} incidents between {by_month[0]['month']} and {by_month[-1]['month']}; "
        f"the most in {peak['month']} ({peak['incidents']})."
    )
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": alt,
        "data": {"values": by_month},
        "mark": {"type": "bar", "color": "#1d70b8"},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": None},
            "y": {
                "field": "incidents",
                "type": "quantitative",
                "title": "Incidents",
                "axis": {"tickMinStep": 1},
            },
        },
        "width": 480,
        "height": 120,
        "config": {"font": "Arial", "view": {"stroke": None}},
    }
    return json.dumps(spec), alt


class BreakGlassForm(BaseModel):
    """The break-glass form; any other field is refused (422, audited)."""

    model_config = ConfigDict(extra="forbid")

    csrf_token: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=40)
    reference: str = Field(default="", max_length=40)
    next: str = Field(default="", max_length=1000)


@router.post("/people/{person_id}/break-glass")
def break_glass(
    person_id: PersonId,
    conn: ConnDep,
    settings: SettingsDep,
    actor: Annotated[Actor, Depends(Authorised(Action.BREAK_GLASS))],
    form: Annotated[BreakGlassForm, Form()],
) -> Response:
    why = justify(form.purpose, form.reference, use=Use.BREAK_GLASS)
    glass.grant(
        UnitOfWork(conn, actor),
        person_id=person_id,
        justification=why,
        valid_for=timedelta(minutes=settings.break_glass_minutes),
    )
    fallback = (
        f"/people/{person_id}?{why_query(why)}"
        if Use.CONSULT in why.purpose.uses
        else (f"/people/{person_id}")
    )
    return RedirectResponse(local(form.next, fallback) if form.next else fallback, status_code=303)


class ShareForm(BaseModel):
    """The share form; any other field is refused (422, audited)."""

    model_config = ConfigDict(extra="forbid")

    csrf_token: str = Field(default="", max_length=200)
    agency: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=40)
    reference: str = Field(default="", max_length=40)
    record_kinds: list[str] = Field(default_factory=list, max_length=20)
    expires_on: date | None = None
    back: str = Field(default="", max_length=1000)


@router.post("/people/{person_id}/shares")
def share(
    person_id: PersonId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.SHARE_WITH_AGENCY))],
    form: Annotated[ShareForm, Form()],
) -> Response:
    from safeguard.web.api.people import end_of

    if form.expires_on is None:
        raise ValidationFailed("expires_on: say when the share ends")
    sharing.share_person(
        UnitOfWork(conn, actor),
        person_id=person_id,
        agency=form.agency,
        justification=justify(form.purpose, form.reference, use=Use.SHARE),
        record_kinds=form.record_kinds,
        expires_at=end_of(form.expires_on),
    )
    return RedirectResponse(local(form.back, f"/people/{person_id}"), status_code=303)


@router.post("/shares/{share_id}/revoke")
def revoke_share(
    share_id: RecordId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.SHARE_WITH_AGENCY))],
    reason: Annotated[str, Form(max_length=300)] = "",
    back: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    done = sharing.revoke_share(UnitOfWork(conn, actor), share_id=share_id, reason=reason)
    return RedirectResponse(local(back, f"/people/{done.person_id}"), status_code=303)


@router.get("/people/{person_id}/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    person_id: PersonId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_AUDIT))],
) -> Response:
    entries = audit_trail.person_log(UnitOfWork(conn, actor), person_id)
    return render(request, "audit.html", {"person_id": person_id, "entries": entries}, actor=actor)


@router.post("/findings/{finding_id}/{to}")
def act_on_finding(
    finding_id: RecordId,
    to: Literal["acknowledge", "resolve"],
    engine: EngineDep,
    actor: Annotated[Actor, Depends(Authorised(Action.ACT_ON_FINDINGS))],
    back: Annotated[str, Form(max_length=1000)] = "",
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    done = findings.act(engine, actor=actor, finding_id=finding_id, to=to, note=note or None)
    fallback = f"/people/{done.person_id}" if done.person_id is not None else "/"
    return RedirectResponse(local(back, fallback) if back else fallback, status_code=303)


@router.get("/break-glass", response_class=HTMLResponse)
def break_glass_review(
    request: Request,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.REVIEW_BREAK_GLASS))],
    status: Literal["unreviewed", "accepted", "questioned", "all"] = "unreviewed",
) -> Response:
    found = glass.uses(UnitOfWork(conn, actor), status=None if status == "all" else status)
    return render(
        request, "break_glass_review.html", {"uses": found, "status": status}, actor=actor
    )


@router.post("/break-glass/{grant_id}/review")
def break_glass_decide(
    grant_id: RecordId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.REVIEW_BREAK_GLASS))],
    verdict: Annotated[Literal["accepted", "questioned"], Form()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    glass.review(UnitOfWork(conn, actor), grant_id=grant_id, verdict=verdict, note=note)
    return RedirectResponse("/break-glass", status_code=303)
