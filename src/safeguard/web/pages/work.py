"""Home, worklists, referrals, link review and the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine

from safeguard.domain.access import Action, Actor, can
from safeguard.domain.triage import DUE_WINDOW_LABELS
from safeguard.errors import ValidationFailed
from safeguard.services import dashboard, links, referrals, triage, worklists
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.deps import ActorDep, AuditDep, Authorised, ConnDep, EngineDep, RecordId
from safeguard.web.pages import work_rows
from safeguard.web.pages.people import local
from safeguard.web.pages.render import render

router = APIRouter()
Manager = Annotated[Actor, Depends(Authorised(Action.MANAGE_RETENTION))]
Reviewer = Annotated[Actor, Depends(Authorised(Action.REVIEW_LINKS))]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, conn: ConnDep, actor: ActorDep) -> Response:
    """Practitioners land on their worklists; others on the dashboard or their tools."""
    ctx: dict[str, object] = {}
    if can(actor, Action.VIEW_WORKLISTS):
        ctx["counts"] = worklists.worklist_counts(UnitOfWork(conn, actor))
    return render(request, "home.html", ctx, actor=actor)


FilterText = Annotated[str | None, Query(max_length=64)]


@router.get("/worklists/{code}", response_class=HTMLResponse)
def worklist(
    request: Request,
    code: str,
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_WORKLISTS))],
    area: FilterText = None,
    team: FilterText = None,
    owner: FilterText = None,
    kind: FilterText = None,
    due: Annotated[str | None, Query(max_length=8)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """A triaged worklist: one line per person, most urgent first, filtered and paged."""
    errors: dict[str, str] = {}
    try:
        chosen = triage.filters_from(
            area=area, team=team, owner=owner, kind=kind, due=due, page=page
        )
    except ValidationFailed as exc:
        field, _, message = str(exc).partition(": ")
        errors[field] = message
        chosen = triage.filters_from(area=area, team=team, owner=owner, kind=kind, page=page)
    found = triage.triaged(UnitOfWork(conn, actor), code=code, filters=chosen, audit=audit)
    query = {
        k: v
        for k, v in (("area", area), ("team", team), ("owner", owner), ("kind", kind), ("due", due))
        if v
    }
    can_act = bool(can(actor, Action.ACT_ON_FINDINGS))
    show_band = work_rows.banded(found.rows)
    macro = request.app.state.templates.env.get_template("_work_row.html").module.work_row
    return render(
        request,
        "triage.html",
        {
            "list": found,
            "errors": errors,
            "query": urlencode(query),
            "back": str(request.url.path)
            + ("?" + str(request.url.query) if request.url.query else ""),
            "windows": DUE_WINDOW_LABELS,
            "can_act": can_act,
            "me": actor.username,
            "banded": show_band,
            "work_row": work_rows.ROWS.renderer(
                macro, banded=show_band, can_act=can_act, me=actor.username
            ),
        },
        actor=actor,
    )


@router.post("/work/{finding_id}/{action}")
def work_action(
    finding_id: RecordId,
    action: Literal["assign", "acknowledge", "complete"],
    engine: EngineDep,
    actor: Annotated[Actor, Depends(Authorised(Action.ACT_ON_FINDINGS))],
    back: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """One click: take the item, acknowledge it or mark it complete (each audited)."""
    triage.act_on_work(engine, actor=actor, finding_id=finding_id, action=action)
    return RedirectResponse(local(back, "/") if back else "/", status_code=303)


@router.get("/referrals", response_class=HTMLResponse)
def referral_list(
    request: Request,
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_REFERRALS))],
) -> Response:
    found = referrals.list_referrals(UnitOfWork(conn, actor), audit=audit)
    return render(
        request,
        "referrals.html",
        {
            "referrals": found,
            "can_change": bool(can(actor, Action.CHANGE_REFERRAL_STATUS)),
            "can_view_person": bool(can(actor, Action.VIEW_PERSON)),
            "can_triage": bool(can(actor, Action.TRIAGE_CONTACTS)),
            "now": datetime.now(UTC),
        },
        actor=actor,
    )


@router.post("/referrals/{referral_id}/status")
def referral_status(
    referral_id: RecordId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.CHANGE_REFERRAL_STATUS))],
    status: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    referrals.change_referral_status(
        UnitOfWork(conn, actor), referral_id=referral_id, status=status, note=note or None
    )
    return RedirectResponse("/referrals", status_code=303)


REASON_NEEDED = "Say why you decided, in your own words (3 to 300 characters)"


def _reason_ok(reason: str) -> bool:
    """A link decision says why in the reviewer's own words; nothing is filled in for them."""
    return 3 <= len(reason.strip()) <= 300


@router.get("/links", response_class=HTMLResponse)
def link_queue(request: Request, conn: ConnDep, actor: Reviewer) -> Response:
    w, items = worklists.worklist(UnitOfWork(conn, actor), code="uncertain-links")
    return render(
        request, "worklist.html", {"worklist": w, "items": items, "links": True}, actor=actor
    )


def _review_page(
    request: Request,
    engine: Engine,
    actor: Actor,
    review_id: int,
    errors: dict[str, str] | None = None,
    reason: str = "",
) -> Response:
    with engine.begin() as conn:
        found = links.review_pair(UnitOfWork(conn, actor), review_id=review_id)
    ctx = {"review": found, "errors": errors or {}, "reason": reason}
    return render(request, "link_review.html", ctx, actor=actor, status_code=422 if errors else 200)


@router.get("/links/pairs/{left}/{right}/why", response_class=HTMLResponse)
def link_why(
    request: Request, left: RecordId, right: RecordId, conn: ConnDep, actor: Reviewer
) -> Response:
    from safeguard.services.linkage_why import why_pair

    found = why_pair(UnitOfWork(conn, actor), left=left, right=right)
    return render(request, "link_why.html", {"why": found}, actor=actor)


@router.get("/links/{review_id}", response_class=HTMLResponse)
def link_review(request: Request, review_id: RecordId, conn: ConnDep, actor: Reviewer) -> Response:
    found = links.review_pair(UnitOfWork(conn, actor), review_id=review_id)
    ctx = {"review": found, "errors": {}, "reason": ""}
    return render(request, "link_review.html", ctx, actor=actor)


Reason = Annotated[str, Form(max_length=300)]


@router.post("/links/{review_id}/confirm", response_class=HTMLResponse)
def link_confirm(
    request: Request, review_id: RecordId, engine: EngineDep, actor: Reviewer, reason: Reason = ""
) -> Response:
    if not _reason_ok(reason):
        return _review_page(request, engine, actor, review_id, {"reason": REASON_NEEDED}, reason)
    links.confirm(engine, actor=actor, review_id=review_id, reason=reason.strip())
    return RedirectResponse(f"/links/{review_id}", status_code=303)


@router.post("/links/{review_id}/split", response_class=HTMLResponse)
def link_split(
    request: Request, review_id: RecordId, engine: EngineDep, actor: Reviewer, reason: Reason = ""
) -> Response:
    if not _reason_ok(reason):
        return _review_page(request, engine, actor, review_id, {"reason": REASON_NEEDED}, reason)
    links.split(engine, actor=actor, review_id=review_id, reason=reason.strip())
    return RedirectResponse(f"/links/{review_id}", status_code=303)


@router.post("/links/{review_id}/undo", response_class=HTMLResponse)
def link_undo(
    request: Request, review_id: RecordId, engine: EngineDep, actor: Reviewer, reason: Reason = ""
) -> Response:
    """Undo the decision in force (confirm or split), with a reason; the item opens again."""
    if not _reason_ok(reason):
        errors = {"undo-reason": REASON_NEEDED}
        return _review_page(request, engine, actor, review_id, errors, reason)
    links.undo(engine, actor=actor, review_id=review_id, reason=reason.strip())
    return RedirectResponse(f"/links/{review_id}", status_code=303)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_DASHBOARD))],
) -> Response:
    figures = dashboard.force_figures(conn, actor=actor)
    return render(request, "dashboard.html", {"figures": figures}, actor=actor)


@router.get("/retention", response_class=HTMLResponse)
def retention_worklist(request: Request, conn: ConnDep, actor: Manager) -> Response:
    """The records manager's MoPI review worklist (ids and dates; audited)."""
    from safeguard.web.api.retention import items

    found = items(conn, actor, request.app.state.retention, 0)
    return render(request, "retention.html", {"items": found}, actor=actor)
