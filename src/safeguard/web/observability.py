"""Operating the service: a request id and one JSON log line per request (ids, route template,
status and time; never the query string, which may hold names), Prometheus metrics, and the
health endpoints for the load balancer (liveness and readiness; no sign-in, nothing revealed).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.adapters.db.engine import ping
from safeguard.adapters.db.run_stats import run_stats
from safeguard.log import request_id

logger = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED = "unmatched"  # paths no route serves: one label, not one per path sent


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "safeguard_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.registry.register(RunCollector(engine))


class RunCollector(Collector):
    """Ingest, link and assessment runs, read from the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        runs = GaugeMetricFamily(
            "safeguard_runs", "Runs recorded, by kind and status.", labels=["kind", "status"]
        )
        took = GaugeMetricFamily(
            "safeguard_run_last_duration_seconds",
            "Wall time of the last finished run of each kind.",
            labels=["kind"],
        )
        ended = GaugeMetricFamily(
            "safeguard_run_last_finished_timestamp_seconds",
            "When the last run of each kind finished (Unix time).",
            labels=["kind"],
        )
        with self.engine.connect() as conn:
            stats = run_stats(conn)
        for s in stats:
            for status, n in sorted(s.by_status.items()):
                runs.add_metric([s.kind, status], n)
            if s.last_seconds is not None and s.last_finished is not None:
                took.add_metric([s.kind], s.last_seconds)
                ended.add_metric([s.kind], s.last_finished.timestamp())
        yield from (runs, took, ended)


class RequestContext:
    """Give every request an id (the caller's ``X-Request-ID`` if well-formed, else a new one),
    send it back, log the request as ids and numbers, and time it for the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._templates: list[tuple[re.Pattern[str], frozenset[str], str]] | None = None

    def template(self, scope: Scope) -> str:
        """The route template serving the request's path (e.g. ``/api/people/{person_id}``):
        a label for metrics and logs that holds no value sent by the caller."""
        if self._templates is None:
            self._templates = [
                (compile_path(path)[0], frozenset(methods), path)
                for methods, path in _routes(getattr(scope.get("app"), "routes", []))
            ]
        for regex, methods, path in self._templates:
            if scope["method"] in methods and regex.match(scope["path"]):
                return path
        return UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = sent if REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", rid.encode("ascii")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            seconds = time.perf_counter() - started
            template = self.template(scope)
            self.metrics.latency.labels(scope["method"], template, str(status)).observe(seconds)
            logger.info(
                "%s %s %d %.1f ms",
                scope["method"],
                template,
                status,
                seconds * 1000,
                extra={
                    "fields": {
                        "request_id": rid,
                        "method": scope["method"],
                        "route": template,
                        "status": status,
                        "ms": round(seconds * 1000, 1),
                    }
                },
            )
            request_id.reset(token)


def _routes(routes: Iterable[object]) -> list[tuple[set[str], str]]:
    """(methods, full path) of every route, through included routers."""
    found: list[tuple[set[str], str]] = []
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            found += _routes(contexts() if callable(contexts) else contexts)
            continue
        methods = getattr(route, "methods", None)
        if methods:
            found.append(({*methods, "HEAD"} if "GET" in methods else set(methods), route.path))  # type: ignore[attr-defined]
    return found


router = APIRouter(tags=["operations"])


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Liveness: the process answers. No database, no sign-in."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers. 503 (and nothing about why) when it does not; the
    reason goes to the log."""
    engine: Engine = request.app.state.engine
    failed = ping(engine)
    if failed is not None:
        logger.warning("readiness check failed: %s", failed)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus metrics, for a scraper holding the configured bearer token only."""
    token: str | None = request.app.state.settings.metrics_token
    if token is None:
        return JSONResponse({"error": {"code": "not_found", "message": "Not Found"}}, 404)
    given = request.headers.get("authorization", "")
    if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return JSONResponse(
            {"error": {"code": "not_signed_in", "message": "metrics need their bearer token"}},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
