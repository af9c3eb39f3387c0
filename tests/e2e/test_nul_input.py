"""A NUL byte in any text input is refused with 422 (the JSON error shape under /api), on SQLite
and on PostgreSQL (which cannot store one), never a 500, and changes nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.config import Settings
from safeguard.domain.access import Role
from safeguard.web.app import create_app
from tests.e2e.conftest import TestClient, sign_in, token_for
from tests.e2e.test_route_permissions import app_routes
from tests.web_fixtures import World

TEXT_FIELDS = ("q", "reason", "note", "status", "justification", "purpose", "reference",
               "agency", "decision", "rationale", "username", "password", "name")  # fmt: skip


def _routes(settings: Settings) -> list[tuple[str, str]]:
    return sorted(app_routes(create_app(settings)))


def _path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _audited(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(audit_log)
                .where(audit_log.c.category != "refused")
            ).scalar_one()
        )


def test_every_route_refuses_a_nul_byte_with_422(
    client: TestClient, engine: Engine, world: World, settings: Settings
) -> None:
    api = token_for(engine, Role.ANALYST)
    csrf = sign_in(client, engine, Role.ANALYST)
    before = _audited(engine)
    routes = _routes(settings)
    assert len(routes) > 30
    for method, template in routes:
        path = _path(template)
        query = "&".join(f"{f}=x%00y" for f in TEXT_FIELDS[:3])
        if path.startswith("/api"):
            if method == "GET":
                r = client.get(f"{path}?{query}", headers=api)
            else:
                body = dict.fromkeys(TEXT_FIELDS, "bad\x00text")
                r = client.request(method, path, json=body, headers=api)
            assert r.status_code == 422, (method, path, r.status_code, r.text[:200])
            assert r.headers["content-type"].startswith("application/json"), (method, path)
            error = r.json()["error"]
            assert error["code"] == "invalid" and "NUL byte" in error["message"]
        else:
            if method == "GET":
                r = client.get(f"{path}?{query}")
            else:
                form = dict.fromkeys(TEXT_FIELDS, "bad\x00text") | {"csrf_token": csrf}
                r = client.request(method, path, data=form)
            assert r.status_code == 422, (method, path, r.status_code, r.text[:200])
            assert "NUL byte" in r.text
    assert _audited(engine) == before


@pytest.mark.parametrize(
    "make",
    [
        lambda w: ("GET", "/api/people?q=Tay%00lor", None),
        lambda w: ("POST", f"/api/people/{w.victim}/break-glass", {"reason": "a\u0000b"}),
        lambda w: ("POST", f"/api/referrals/{w.csc_referral}/status",
                   {"status": "accepted", "note": "x\u0000"}),
        lambda w: ("GET", "/api/people/%00", None),
    ],
)  # fmt: skip
def test_a_nul_in_a_real_request_is_named_in_the_error(
    client: TestClient, engine: Engine, world: World, make: object
) -> None:
    method, path, body = make(world)  # type: ignore[operator]
    r = client.request(method, path, json=body, headers=token_for(engine, Role.ANALYST))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["fields"] and "NUL byte" in error["fields"][0]["message"]


def test_text_without_nul_still_reaches_the_route(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = client.post(
        f"/api/referrals/{world.csc_referral}/status",
        json={"status": "accepted", "note": "plain"},
        headers=token_for(engine, Role.ANALYST),
    )
    assert r.status_code != 422 or "NUL" not in r.text
