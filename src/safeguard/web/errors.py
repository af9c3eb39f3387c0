"""SafeguardError -> HTTP status, one table; JSON with a stable shape for /api, HTML otherwise.

The JSON error shape is always ``{"error": {"code": str, "message": str, "fields": [...]}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from safeguard.domain.access import BreakGlassRequired
from safeguard.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    SafeguardError,
    ValidationFailed,
)
from safeguard.services.accounts import NotSignedIn, SignInFailed

logger = logging.getLogger(__name__)

# Most specific first is not needed: the exception's MRO is walked and the first hit wins.
STATUS: dict[type[SafeguardError], tuple[int, str]] = {
    NotSignedIn: (401, "not_signed_in"),
    SignInFailed: (401, "sign_in_failed"),
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


async def _safeguard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SafeguardError)
    status, code = status_of(exc)
    if wants_json(request):
        return JSONResponse(error_body(code, str(exc)), status_code=status)
    if code == "not_signed_in":
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)
    return _html(request, status, code, str(exc))


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
    if wants_json(request):
        return JSONResponse(error_body("invalid", message, fields), status_code=422)
    return _html(request, 422, "invalid", message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        exc.status_code, "http_error"
    )
    if wants_json(request) or exc.status_code == 405:
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )
    return _html(request, exc.status_code, code, str(exc.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(SafeguardError, _safeguard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
