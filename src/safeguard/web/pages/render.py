"""Rendering helper: every page gets the actor, the CSRF token and the menu the policy allows."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from safeguard.domain.access import ROLE_LABELS, Action, Actor, can
from safeguard.domain.projection import WITHHELD_NAME

MENU = (
    ("/", "Worklists", Action.VIEW_WORKLISTS),
    ("/search", "Find a person", Action.SEARCH_PEOPLE),
    ("/referrals", "Referrals", Action.VIEW_REFERRALS),
    ("/mash", "MASH triage", Action.TRIAGE_CONTACTS),
    ("/links", "Link review", Action.REVIEW_LINKS),
    ("/dashboard", "Dashboard", Action.VIEW_DASHBOARD),
    ("/board", "Board report", Action.VIEW_DASHBOARD),
    ("/break-glass", "Break-glass review", Action.REVIEW_BREAK_GLASS),
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    actor: Actor | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx: dict[str, Any] = dict(context or {})
    ctx["actor"] = actor
    ctx["role_label"] = ROLE_LABELS.get(actor.role) if actor else None
    ctx["csrf_token"] = getattr(request.state, "csrf_token", None)
    ctx["menu"] = [(href, label) for href, label, action in MENU if actor and can(actor, action)]
    ctx["withheld_name"] = WITHHELD_NAME
    ctx["path"] = request.url.path
    ctx.setdefault("errors", {})  # field id -> message (GOV.UK error summary pattern)
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    return response
