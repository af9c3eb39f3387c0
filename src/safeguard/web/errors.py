"""SafeguardError -> HTTP status, one table; JSON with a stable shape for /api, HTML otherwise.

The JSON error shape is always ``{"error": {"code": str, "message": str, "fields": [...]}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from safeguard.domain.access import Actor, BreakGlassRequired, Refused
from safeguard.domain.audit import AuditEntry
from safeguard.domain.purposes import Use, purposes_for
from safeguard.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    SafeguardError,
    ValidationFailed,
)
from safeguard.services import audit_trail
from safeguard.services.accounts import NotSignedIn, SignInFailed, Throttled

logger = logging.getLogger(__name__)

# Most specific first is not needed: the exception's MRO is walked and the first hit wins.
STATUS: dict[type[SafeguardError], tuple[int, str]] = {
    NotSignedIn: (401, "not_signed_in"),
    SignInFailed: (401, "sign_in_failed"),
    Throttled: (429, "too_many_attempts"),
    BreakGlassRequired: (403, "break_glass_required"),
    PermissionDenied: (403, "forbidden"),
    NotFound: (404, "not_found"),
    InvalidTransition: (409, "invalid_transition"),
    Conflict: (409, "conflict"),
    ValidationFailed: (422, "invalid"),
}


def status_of(exc: SafeguardError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "error"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api")


def error_body(code: str, message: str, fields: list[dict[str, Any]] | None = None) -> Any:
    return {"error": {"code": code, "message": message, "fields": fields or []}}


def _html(request: Request, status: int, code: str, message: str) -> Response:
    templates = request.app.state.templates
    name = "_error.html" if request.headers.get("HX-Request") else "error.html"
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"status": status, "code": code, "message": message}, status_code=status
    )


def html_error(request: Request, status: int, code: str, message: str) -> Response:
    """The error page (or its htmx partial), for code outside the exception handlers."""
    return _html(request, status, code, message)


def _route(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    return f"{request.method} {path}"[:200]


def _actor(request: Request) -> Actor | None:
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else None


def _presented_credentials(request: Request) -> bool:
    from safeguard.web.deps import SESSION_COOKIE

    return bool(request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE))


def _entry_for(request: Request, exc: SafeguardError, status: int, code: str) -> AuditEntry | None:
    """The audit entry of a refused or invalid request (None for errors that are no access
    decision, e.g. not found, or a visit without any credentials)."""
    route = _route(request)
    if isinstance(exc, Refused):
        return audit_trail.refusal_of(exc, route, code)
    if isinstance(exc, NotSignedIn):
        if not _presented_credentials(request):
            return None
        return audit_trail.refusal(None, why=str(exc), attempted=route, route=route, code=code)
    if isinstance(exc, PermissionDenied):
        actor = _actor(request)
        return audit_trail.refusal(actor, why=str(exc), attempted=route, route=route, code=code)
    if isinstance(exc, ValidationFailed):
        return audit_trail.invalid_request(
            _actor(request), route=route, problems=[str(exc)], status=status
        )
    return None


async def audit_refusal(request: Request, entry: AuditEntry | None) -> None:
    """Commit the entry on the audit appender's own connection: the request's transaction has
    been rolled back already (the dependency that holds it exits before the handler runs)."""
    if entry is None:
        return
    await run_in_threadpool(audit_trail.record_apart, request.app.state.audit, entry)


async def _safeguard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SafeguardError)
    status, code = status_of(exc)
    await audit_refusal(request, _entry_for(request, exc, status, code))
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    if wants_json(request):
        return JSONResponse(error_body(code, str(exc)), status_code=status, headers=headers)
    if code == "not_signed_in":
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)
    if isinstance(exc, BreakGlassRequired) and exc.person_id is not None:
        return _break_glass_page(request, exc)
    return _html(request, status, code, str(exc))


def _break_glass_page(request: Request, exc: BreakGlassRequired) -> Response:
    """A page of a restricted person: the break-glass form instead, then back to the page."""
    from safeguard.web.pages.render import render

    back = request.url.path if request.method == "GET" else f"/people/{exc.person_id}"
    if request.method == "GET" and request.url.query:
        back += "?" + request.url.query
    return render(
        request,
        "break_glass.html",
        {
            "person_id": exc.person_id,
            "next": back,
            "break_glass_purposes": purposes_for(Use.BREAK_GLASS),
            "why": exc.why,
        },
        actor=exc.actor,
        status_code=403,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {
            "location": ".".join(str(p) for p in err.get("loc", ())),
            "message": str(err.get("msg", "invalid")),
            "type": str(err.get("type", "invalid")),
        }
        for err in exc.errors()
    ]
    message = "; ".join(f"{f['location']}: {f['message']}" for f in fields) or "invalid request"
    await audit_refusal(
        request,
        audit_trail.invalid_request(
            _actor(request),
            route=_route(request),
            problems=[f"{f['location']}: {f['message']}" for f in fields],
            status=422,
        ),
    )
    if wants_json(request):
        return JSONResponse(error_body("invalid", message, fields), status_code=422)
    return _html(request, 422, "invalid", message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        exc.status_code, "http_error"
    )
    headers = exc.headers
    if exc.status_code == 405:
        # Starlette names only the first route's methods; a path may have several routes.
        headers = {**(headers or {}), "Allow": ", ".join(sorted(_allowed(request)))}
    if wants_json(request) or exc.status_code == 405:
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )
    return _html(request, exc.status_code, code, str(exc.detail))


def _allowed(request: Request) -> set[str]:
    allowed: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            allowed |= set(getattr(route, "methods", None) or ())
    return allowed


def install(app: FastAPI) -> None:
    app.add_exception_handler(SafeguardError, _safeguard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
