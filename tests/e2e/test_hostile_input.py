"""Bad and hostile input gets a clear 4xx and changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.tables import person_mentions, referral_status_changes, risk_assessments
from safeguard.domain.access import Role
from tests.conftest import count
from tests.e2e.conftest import TestClient, sign_in, token_for
from tests.web_fixtures import World

INJECTIONS = [
    "'; DROP TABLE person_mentions; --",
    '" OR 1=1 --',
    "<script>alert('x')</script>",
    "smith%' OR '1'='1",
    "\\x00\\u0000 ../../etc/passwd",
]


def _state(engine: Engine) -> tuple[int, int, int, int]:
    """What a request may change; refusals are audited apart (see ``_refusals``)."""
    with engine.connect() as conn:
        audited = conn.execute(
            sa.select(sa.func.count())
            .select_from(audit_log)
            .where(audit_log.c.category != "refused")
        ).scalar_one()
    return (
        count(engine, person_mentions),
        count(engine, referral_status_changes),
        count(engine, risk_assessments),
        int(audited),
    )


def _refusals(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(audit_log.c.action).where(audit_log.c.category == "refused")
            ).scalars()
        )


def _error(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]  # type: ignore[no-any-return]


def test_malformed_json_is_refused_with_the_stable_error_shape(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = {**token_for(engine, Role.ANALYST), "content-type": "application/json"}
    before = _state(engine)
    r = client.post(
        f"/api/referrals/{world.csc_referral}/status", content=b'{"status": "acc', headers=headers
    )
    assert r.status_code == 422
    assert _error(r)["code"] == "invalid"
    assert _state(engine) == before


@pytest.mark.parametrize(
    "body",
    [
        {"status": 42},
        {"status": ["accepted"]},
        {"status": "accepted", "note": {"x": 1}},
        {"status": "accepted", "unexpected": "field"},
        {},
    ],
)
def test_wrong_types_and_unknown_fields_are_refused_naming_the_field(
    client: TestClient, engine: Engine, world: World, body: dict[str, object]
) -> None:
    before = _state(engine)
    r = client.post(
        f"/api/referrals/{world.csc_referral}/status",
        json=body,
        headers=token_for(engine, Role.ANALYST),
    )
    assert r.status_code == 422
    error = _error(r)
    assert error["fields"] and "body" in str(error["fields"])
    assert _state(engine) == before
    assert _refusals(engine) == ["request.invalid"]  # the refusal itself is on the record


def test_an_oversized_body_is_refused_before_it_is_read(
    client: TestClient, engine: Engine, world: World
) -> None:
    before = _state(engine)
    big = {"status": "accepted", "note": "x" * 200_000}
    r = client.post(
        f"/api/referrals/{world.csc_referral}/status",
        json=big,
        headers=token_for(engine, Role.ANALYST),
    )
    assert r.status_code == 413
    assert _error(r)["code"] == "too_large"
    assert _state(engine) == before


def test_an_oversized_chunked_body_is_refused_too(
    client: TestClient, engine: Engine, world: World
) -> None:
    def chunks() -> object:
        for _ in range(100):
            yield b"x" * 1024

    r = client.post(
        "/api/assessments/score",
        content=chunks(),  # type: ignore[arg-type]
        headers={**token_for(engine, Role.ANALYST), "content-type": "application/json"},
    )
    assert r.status_code == 413


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_in_search_text_finds_nothing_and_harms_nothing(
    client: TestClient, engine: Engine, world: World, text: str
) -> None:
    headers = token_for(engine, Role.OFFICER)
    r = client.get("/api/people", params={"q": text, "purpose": "supervision_qa"}, headers=headers)
    assert r.status_code in (200, 422)
    if r.status_code == 200:
        assert r.json() == []
    assert count(engine, person_mentions) == 6
    page_csrf = sign_in(client, engine, Role.OFFICER)
    assert page_csrf
    page = client.get("/search", params={"q": text, "purpose": "supervision_qa"})
    assert page.status_code == 200
    assert "<script>alert" not in page.text  # reflected text is escaped


def test_script_in_a_break_glass_reference_is_refused_audited_and_never_shown_raw(
    client: TestClient, engine: Engine, world: World
) -> None:
    script = "<script>alert('x')</script>"
    csrf = sign_in(client, engine, Role.SUPERVISOR)
    r = client.post(
        f"/people/{world.suspect_restricted}/break-glass",
        data={"purpose": "investigation", "reference": script[:40], "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert "reference" in r.text and "<script>alert" not in r.text
    audit_page = client.get(f"/people/{world.suspect_restricted}/audit")
    assert audit_page.status_code == 200
    assert "<script>alert" not in audit_page.text


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../config.py",
        "/static/%2e%2e/%2e%2e/config.py",
        "/static/..%2f..%2fconfig.py",
        "/assets/govuk/../../../package.json",
        "/assets/govuk/%2e%2e/%2e%2e/%2e%2e/package.json",
        "/static/%00",
    ],
)
def test_path_traversal_outside_the_static_folders_is_refused(
    client: TestClient, path: str
) -> None:
    r = client.get(path)
    assert r.status_code in (400, 404, 422)  # 422: a NUL byte is refused before routing
    assert "SAFEGUARD" not in r.text and '"dependencies"' not in r.text


def test_a_cookie_post_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.SUPERVISOR)
    before = _state(engine)
    api = client.post(f"/api/referrals/{world.csc_referral}/status", json={"status": "received"})
    assert api.status_code == 403
    page = client.post(f"/referrals/{world.csc_referral}/status", data={"status": "received"})
    assert page.status_code == 403
    wrong = client.post(
        f"/referrals/{world.csc_referral}/status",
        data={"status": "received", "csrf_token": "not-the-token"},
    )
    assert wrong.status_code == 403
    assert _state(engine) == before


def test_a_forged_bearer_token_is_refused(client: TestClient, world: World) -> None:
    r = client.get("/api/me", headers={"Authorization": "Bearer sgt_forged"})
    assert r.status_code == 401
    assert _error(r)["code"] == "not_signed_in"


def test_an_invalid_status_transition_is_a_409_and_changes_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.ANALYST)
    r = client.post(
        f"/api/referrals/{world.csc_referral}/status", json={"status": "closed"}, headers=headers
    )
    assert r.status_code == 409
    assert _error(r)["code"] == "invalid_transition"
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(referral_status_changes)).scalar()
    assert n == 0
