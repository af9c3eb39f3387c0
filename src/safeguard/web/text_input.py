"""Text input that no database may store: a NUL byte anywhere in a request's path, query,
form or JSON body is refused up front with 422 (JSON under /api, the error page otherwise).

PostgreSQL cannot hold a NUL in a text value (SQLite can), so without this one check every text
input (search, reasons, notes, break glass, shares, link split, referral status...) would fail
with a 500 on PostgreSQL only. Pure ASGI: the body is read once and handed on unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.web import errors

NUL = "\x00"
MESSAGE = "contains a NUL byte (\\x00), which no text may hold; remove it and try again"


def _in_pairs(text: str) -> str | None:
    for name, value in parse_qsl(text, keep_blank_values=True):
        if NUL in name or NUL in value:
            return name.replace(NUL, "\\x00")
    return None


def _in_json(value: Any, path: str = "body") -> str | None:
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            if NUL in str(k):
                return path
            found = _in_json(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _in_json(v, f"{path}[{i}]")
            if found:
                return found
    return None


def nul_field(scope: Scope, body: bytes) -> str | None:
    """The name of the first input holding a NUL byte, or None."""
    if NUL in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" in query or NUL in query:
        found = _in_pairs(query)
        if found:
            return found
    if not body:
        return None
    headers = dict(scope.get("headers", []))
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind == b"application/x-www-form-urlencoded":
        if b"%00" in body or b"\x00" in body:
            return _in_pairs(body.decode("latin-1"))
        return None
    if kind == b"application/json" or kind.endswith(b"+json"):
        if b"\\u0000" not in body and b"\x00" not in body:
            return None
        try:
            return _in_json(json.loads(body))
        except (ValueError, RecursionError):
            return "body" if b"\x00" in body else None  # not JSON: the route says so itself
    return "body" if b"\x00" in body else None


class RefuseNul:
    """Middleware: 422 for a request whose text holds a NUL byte."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        last: Message | None = None
        while more:
            last = await receive()
            if last["type"] != "http.request":
                break
            chunks.append(last.get("body", b""))
            more = bool(last.get("more_body", False))
        body = b"".join(chunks)
        found = nul_field(scope, body)
        if found is not None:
            await _refuse(scope, receive, send, found)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if last is not None and last["type"] != "http.request":
                    return last
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, found: str) -> None:
    message = f"{found} {MESSAGE}"
    request = Request(scope, receive)
    response: Response
    if scope.get("path", "").startswith("/api") or "app" not in scope:
        response = JSONResponse(
            errors.error_body("invalid", message, [{"field": found, "message": MESSAGE}]),
            status_code=422,
        )
    else:
        response = errors.html_error(request, 422, "invalid", message)
    await response(scope, receive, send)
