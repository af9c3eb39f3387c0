"""JSON API routers, one module per resource, all under /api."""

from __future__ import annotations

from fastapi import APIRouter

from safeguard.web.api import (
    access,
    assessments,
    dashboard,
    events,
    findings,
    links,
    people,
    referrals,
    retention,
    system,
    worklists,
)
from safeguard.web.api.models import ErrorOut

_ERRORS = {
    400: "the body cannot be read (e.g. not UTF-8 JSON)",
    401: "not signed in, or a forged, ended or expired session or token",
    403: "not allowed (the error code says why, e.g. break_glass_required)",
    404: "not found",
    409: "not allowed in the current state",
    413: "request body too large",
    422: "invalid input; fields names each problem",
}
router = APIRouter(
    prefix="/api",
    responses={code: {"model": ErrorOut, "description": text} for code, text in _ERRORS.items()},
)
for module in (
    system,
    people,
    events,
    assessments,
    referrals,
    worklists,
    findings,
    links,
    dashboard,
    access,
    retention,
):
    router.include_router(module.router)
