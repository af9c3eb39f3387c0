"""Operating the service: request ids in and out, JSON log lines without personal data,
health endpoints that need no sign-in and reveal nothing, and Prometheus metrics behind a
bearer token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.findings import assessment_runs
from safeguard.adapters.db.tables import ingest_runs
from safeguard.config import Settings
from safeguard.domain.access import Role
from safeguard.log import JsonFormatter
from safeguard.web.app import create_app
from tests.e2e.conftest import TestClient, token_for
from tests.web_fixtures import World

SCRAPE = "scrape-token-0123456789"


@pytest.fixture
def ops_client(db_url: str, engine: Engine, world: World) -> Iterator[TestClient]:
    settings = Settings(environment="test", database_url=db_url, metrics_token=SCRAPE)
    with TestClient(create_app(settings, engine), follow_redirects=False) as c:
        yield c


def test_health_endpoints_need_no_sign_in_and_say_nothing_more(client: TestClient) -> None:
    live = client.get("/healthz")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_readiness_fails_with_503_when_the_database_is_gone(db_url: str, world: World) -> None:
    settings = Settings(environment="test", database_url="sqlite:////nonexistent/dir/x.db")
    broken = sa.create_engine("sqlite:////nonexistent/dir/x.db")
    with TestClient(create_app(settings, broken)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and r.json() == {"status": "unavailable"}


def test_a_request_id_is_kept_when_well_formed_and_made_up_otherwise(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/healthz", headers={"X-Request-ID": "<script>" * 20}).headers["x-request-id"]
    assert len(made) == 32 and made.isalnum()
    assert client.get("/healthz").headers["x-request-id"] != made


def test_the_request_log_line_is_json_with_the_id_and_route_but_not_the_search_terms(
    client: TestClient, engine: Engine, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    officer = token_for(engine, Role.OFFICER)
    with caplog.at_level(logging.INFO, logger="safeguard.web.observability"):
        r = client.get(
            f"/api/people/{world.victim}",
            params={"purpose": "supervision_qa"},
            headers={**officer, "X-Request-ID": "req-42"},
        )
        found = client.get(
            "/api/people", params={"q": "Okafor", "purpose": "supervision_qa"}, headers=officer
        )
    assert r.status_code == 200 and found.status_code == 200
    lines = [JsonFormatter().format(rec) for rec in caplog.records if rec.msg.startswith("%s")]
    first = json.loads(lines[0])
    assert first["request_id"] == "req-42"
    assert first["route"] == "/api/people/{person_id}" and first["status"] == 200
    assert f"/api/people/{world.victim}" not in lines[0]  # the template, not the path
    assert "Okafor" not in "".join(lines) and "supervision_qa" not in "".join(lines)


def test_metrics_are_not_served_without_a_configured_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token_and_show_latency_and_runs(
    ops_client: TestClient, engine: Engine
) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(ingest_runs).values(
                started_at=now - timedelta(seconds=30),
                finished_at=now,
                status="done",
                actor="cli",
            )
        )
        conn.execute(
            sa.insert(assessment_runs).values(
                started_at=now, actor="cli", scope="all", status="running"
            )
        )
    ops_client.get("/healthz")
    assert ops_client.get("/metrics").status_code == 401
    bad = ops_client.get("/metrics", headers={"Authorization": "Bearer wrong-token-1234567"})
    assert bad.status_code == 401
    r = ops_client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert (
        'safeguard_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}'
        in text
    )
    assert 'safeguard_runs{kind="ingest",status="done"} 1.0' in text
    assert 'safeguard_runs{kind="assess",status="running"} 1.0' in text
    assert 'safeguard_run_last_duration_seconds{kind="ingest"} 30.0' in text


def test_a_path_no_route_serves_is_one_label_not_one_per_path(ops_client: TestClient) -> None:
    ops_client.get("/no/such/path/Okafor")
    text = ops_client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE}"}).text
    assert 'route="unmatched"' in text and "Okafor" not in text
