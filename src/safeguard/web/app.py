"""create_app(settings): the FastAPI application (JSON API, web pages, static assets)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard import __version__
from safeguard.adapters.db.audit import AuditAppender
from safeguard.adapters.db.engine import make_engine
from safeguard.config import Settings
from safeguard.domain.accounts import throttle_policy
from safeguard.domain.local_time import LocalTime
from safeguard.services.retention import load_policy
from safeguard.services.throttle import SignInThrottle
from safeguard.web import errors
from safeguard.web.api import router as api_router
from safeguard.web.observability import Metrics, RequestContext
from safeguard.web.observability import router as operations_router
from safeguard.web.pages import router as pages_router
from safeguard.web.text_input import RefuseNul

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0
        refused = False

        async def limited() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Answer 413 now; the app sees the client go away and its answer is dropped.
                    refused = True
                    await _too_large(send, self.limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited, guarded_send)
        except ClientDisconnect:
            if not refused:
                raise


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        errors.error_body("too_large", f"request body over the limit of {limit} bytes")
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


API_DOCS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>safeguard API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><main id="swagger-ui"></main>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>
"""


def _api_docs(app: FastAPI) -> None:
    """``/api/docs``: Swagger UI from the ``swagger-ui-bundle`` package (no CDN), started by a
    script of our own so that the strict CSP (``script-src 'self'``) holds."""
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(API_DOCS)

    app.mount("/api/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="api-docs")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not scope["path"].startswith(("/static", "/assets")):
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


REQUEST_POOL = 20
SQLITE_MMAP_BYTES = 1 << 30  # reads map the file: one copy in the OS cache for all connections


def _clock() -> LocalTime:
    from safeguard.services.assessment import default_assessor

    return default_assessor().config.local_time


def _local_time(at: datetime | None) -> str:
    return _clock().show(at)


def _when(at: datetime | None, seconds: bool = False) -> str:
    """An instant as a page shows it: the force's local date and time with its zone
    (``14 Jun 2025 23:30 BST``), never UTC."""
    if at is None:
        return "-"
    return _clock().local(at).strftime("%d %b %Y %H:%M:%S %Z" if seconds else "%d %b %Y %H:%M %Z")


def _day(at: date | datetime | None) -> str:
    """The local date of an instant, or a calendar date as it is (``14 Jun 2025``)."""
    if at is None:
        return "-"
    day = _clock().local_date(at) if isinstance(at, datetime) else at
    return day.strftime("%d %b %Y")


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("safeguard.web").joinpath(name)))


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """Build the application for ``settings`` (tests pass their own engine).

    Args:
        settings: validated settings (the secret is refused outside development).
        engine: a database engine; made from ``settings.database_url`` when omitted.
    """
    owned_engine = engine is None
    url = settings.database_url
    # Pools sized so that 20 or so concurrent requests per process neither wait for a
    # connection nor churn through overflow connections (each new one pays its set-up).
    engine = engine or make_engine(
        url, sqlite_mmap_bytes=SQLITE_MMAP_BYTES, pool_size=REQUEST_POOL, max_overflow=10
    )
    auth_engine = make_engine(  # deps._credentials
        url, sqlite_mmap_bytes=SQLITE_MMAP_BYTES, pool_size=10, max_overflow=20
    )
    # Consultations are chained and committed in batches by one appender per process, on a
    # connection of its own (see AuditAppender); changes are audited in their own transaction.
    audit = AuditAppender(
        make_engine(url, sqlite_mmap_bytes=SQLITE_MMAP_BYTES, pool_size=1, max_overflow=1)
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # Not audit.close(): the app may be started again (tests, schemathesis), and the
        # appender has no thread to stop; each entry is written by a caller that waits for it.
        audit.engine.dispose()
        auth_engine.dispose()
        if owned_engine:
            engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="safeguard",
        version=__version__,
        description="Protecting vulnerable people: person search and profile, assessments, "
        "referrals, worklists and link review. Every read of a person is audited (DPA 2018 "
        's.62). Errors are JSON: {"error": {"code", "message", "fields"}}.',
        openapi_url="/api/openapi.json",
        docs_url=None,  # served below from the swagger-ui-bundle package, under the CSP
        redoc_url=None,
    )
    _api_docs(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.auth_engine = auth_engine
    app.state.audit = audit
    app.state.throttle = SignInThrottle(
        throttle_policy(settings.max_failed_logins), settings.throttle_storage
    )
    app.state.templates = Jinja2Templates(directory=str(_package_dir("templates")))
    # `{{ at|local }}`: an instant as officers read it, in the force's local time with its zone.
    app.state.templates.env.filters["local"] = _local_time
    app.state.templates.env.filters["when"] = _when
    app.state.templates.env.filters["day"] = _day
    app.state.metrics = Metrics(engine)
    app.state.retention = load_policy(settings.retention_file)  # a bad file stops start-up
    # The rules and instruments, built once now (a bad file stops start-up too): built on the
    # first request instead, every thread of a burst of requests parsed the catalogue at once
    # (``lru_cache`` does not make the others wait), seconds of CPU per process.
    _clock()
    errors.install(app)
    app.include_router(operations_router)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=str(_package_dir("static"))), name="static")
    assets = settings.web_assets_dir
    for mount, sub in (
        ("/assets/govuk", "govuk-frontend/dist/govuk"),
        ("/assets/htmx", "htmx.org/dist"),
        ("/assets/vega", "vega/build"),
        ("/assets/vega-lite", "vega-lite/build"),
        ("/assets/vega-embed", "vega-embed/build"),
        ("/assets/vega-interpreter", "vega-interpreter/build"),
    ):
        if (assets / sub).is_dir():
            app.mount(mount, StaticFiles(directory=str(assets / sub)), name=mount)
        else:
            logger.warning("front-end assets missing at %s: run `make setup`", assets / sub)
    app.add_middleware(RefuseNul)  # inside the body limit: it reads bodies the limit allowed
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestContext, metrics=app.state.metrics)  # outermost: sees every answer
    return app
