"""Home, worklists, referrals, link review and the dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safeguard.domain.access import Action, Actor, can
from safeguard.errors import ValidationFailed
from safeguard.services import dashboard, links, referrals, worklists
from safeguard.web.deps import ActorDep, AuditDep, Authorised, ConnDep, EngineDep, RecordId
from safeguard.web.pages.render import render

router = APIRouter()
Manager = Annotated[Actor, Depends(Authorised(Action.MANAGE_RETENTION))]
Reviewer = Annotated[Actor, Depends(Authorised(Action.REVIEW_LINKS))]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, conn: ConnDep, actor: ActorDep) -> Response:
    """Practitioners land on their worklists; others on the dashboard or their tools."""
    ctx: dict[str, object] = {}
    if can(actor, Action.VIEW_WORKLISTS):
        ctx["counts"] = worklists.worklist_counts(conn, actor=actor)
    return render(request, "home.html", ctx, actor=actor)


@router.get("/worklists/{code}", response_class=HTMLResponse)
def worklist(
    request: Request,
    code: str,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_WORKLISTS))],
) -> Response:
    w, items = worklists.worklist(conn, actor=actor, code=code)
    return render(request, "worklist.html", {"worklist": w, "items": items}, actor=actor)


@router.get("/referrals", response_class=HTMLResponse)
def referral_list(
    request: Request,
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_REFERRALS))],
) -> Response:
    found = referrals.list_referrals(conn, actor=actor, audit=audit)
    return render(
        request,
        "referrals.html",
        {
            "referrals": found,
            "can_change": bool(can(actor, Action.CHANGE_REFERRAL_STATUS)),
            "can_view_person": bool(can(actor, Action.VIEW_PERSON)),
        },
        actor=actor,
    )


@router.post("/referrals/{referral_id}/status")
def referral_status(
    referral_id: RecordId,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.CHANGE_REFERRAL_STATUS))],
    status: Annotated[str, Form(max_length=32)],
    note: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    referrals.change_referral_status(
        conn, actor=actor, referral_id=referral_id, status=status, note=note or None
    )
    return RedirectResponse("/referrals", status_code=303)


def _decision_reason(reason: str) -> str:
    """A link decision says why in the reviewer's own words; nothing is filled in for them."""
    text = reason.strip()
    if len(text) < 3:
        raise ValidationFailed("reason: say why you decided (3 to 300 characters)")
    return text


@router.get("/links", response_class=HTMLResponse)
def link_queue(request: Request, conn: ConnDep, actor: Reviewer) -> Response:
    w, items = worklists.worklist(conn, actor=actor, code="uncertain-links")
    return render(
        request, "worklist.html", {"worklist": w, "items": items, "links": True}, actor=actor
    )


@router.get("/links/{review_id}", response_class=HTMLResponse)
def link_review(request: Request, review_id: RecordId, conn: ConnDep, actor: Reviewer) -> Response:
    found = links.review_pair(conn, actor=actor, review_id=review_id)
    return render(request, "link_review.html", {"review": found}, actor=actor)


@router.post("/links/{review_id}/confirm")
def link_confirm(
    review_id: RecordId,
    engine: EngineDep,
    actor: Reviewer,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    links.confirm(engine, actor=actor, review_id=review_id, reason=_decision_reason(reason))
    return RedirectResponse(f"/links/{review_id}", status_code=303)


@router.post("/links/{review_id}/split")
def link_split(
    review_id: RecordId,
    engine: EngineDep,
    actor: Reviewer,
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    links.split(engine, actor=actor, review_id=review_id, reason=_decision_reason(reason))
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
