"""Section 62: every consultation, alteration, disclosure and combination is logged in the same
transaction, with who, when, which records and why; supervisors can see who looked at a person."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters.db.audit import audit_log, verify_audit, who_viewed
from safeguard.cli import app as cli_app
from safeguard.domain.access import Role
from tests.e2e.conftest import TestClient, sign_in, token_for
from tests.web_fixtures import World


def _entries(engine: Engine) -> list[sa.Row[tuple[object, ...]]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all())


def _consultations(engine: Engine) -> list[sa.Row[tuple[object, ...]]]:
    return [e for e in _entries(engine) if e.category != "refused"]


def test_a_search_logs_a_consultation_of_every_person_shown_with_the_purpose_and_terms(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = client.get(
        "/api/people",
        params={"q": "smith", "purpose": "incident_response", "reference": "2026/123"},
        headers=token_for(engine, Role.OFFICER),
    )
    shown = sorted(h["person_id"] for h in r.json())
    assert world.victim in shown
    [entry] = _entries(engine)
    assert entry.action == "person.search" and entry.category == "consultation"
    assert sorted(json.loads(entry.person_ids)) == shown
    assert entry.justification == "Responding to an incident (ref 2026/123)"
    assert entry.actor_role == "officer"
    detail = json.loads(entry.detail)
    assert detail["terms"] == "smith" and detail["purpose"] == "incident_response"


def test_a_search_that_finds_nobody_is_still_audited_with_its_terms(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = client.get(
        "/api/people",
        params={"q": "zzyzx", "purpose": "supervision_qa"},
        headers=token_for(engine, Role.OFFICER),
    )
    assert r.json() == []
    [entry] = _entries(engine)
    assert json.loads(entry.detail)["terms"] == "zzyzx" and json.loads(entry.person_ids) == []


def test_a_profile_view_is_logged_and_shows_in_who_viewed(
    client: TestClient, engine: Engine, world: World
) -> None:
    client.get(
        f"/api/people/{world.victim}",
        params={"purpose": "marac_preparation", "reference": "MARAC/2026/11"},
        headers=token_for(engine, Role.ANALYST),
    )
    with engine.connect() as conn:
        [seen] = who_viewed(conn, world.victim)
    assert seen.entry.action == "person.view"
    assert seen.entry.justification == "MARAC preparation (ref MARAC/2026/11)"
    sign_in(client, engine, Role.SUPERVISOR)
    page = client.get(f"/people/{world.victim}/audit")
    assert "MARAC preparation (ref MARAC/2026/11)" in page.text


def test_a_purpose_is_required_chosen_from_the_list_with_its_reference(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.OFFICER)
    url = f"/api/people/{world.victim}"
    for params, field in (
        ({}, "purpose"),
        ({"purpose": "curious"}, "purpose"),
        ({"purpose": "investigation"}, "reference"),  # needs the crime or case number
        ({"purpose": "investigation", "reference": "<b>x</b>"}, "reference"),
    ):
        r = client.get(url, params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
        assert field in r.json()["error"]["message"]
    assert _consultations(engine) == []
    assert [e.action for e in _entries(engine)] == ["request.invalid"] * 4


def test_a_refused_view_is_audited_as_a_refusal_with_why_not_as_a_consultation(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = client.get(
        f"/api/people/{world.victim}",
        params={"purpose": "supervision_qa"},
        headers=token_for(engine, Role.PARTNER_AGENCY),
    )
    assert r.status_code == 403
    [entry] = _entries(engine)
    assert entry.category == "refused" and entry.action == "access.refused"
    assert json.loads(entry.person_ids) == [world.victim]
    detail = json.loads(entry.detail)
    assert detail["why"] == "not shared with your agency" and detail["attempted"] == "view_person"
    with engine.connect() as conn:
        assert [s.entry.action for s in who_viewed(conn, world.victim)] == ["access.refused"]


def test_breaking_glass_records_the_purpose_before_the_restricted_person_is_shown(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.OFFICER)
    pid = world.suspect_restricted
    why = {"purpose": "investigation", "reference": "CU/7"}
    refused = client.get(f"/api/people/{pid}", params=why, headers=headers)
    assert refused.json()["error"]["code"] == "break_glass_required"
    assert client.post(f"/api/people/{pid}/break-glass", json=why, headers=headers).status_code == (
        204
    )
    assert client.get(f"/api/people/{pid}", params=why, headers=headers).status_code == 200
    actions = [(e.action, e.justification) for e in _entries(engine)]
    assert actions == [
        ("access.refused", None),
        ("person.break_glass", "Criminal investigation (ref CU/7)"),
        ("person.view", "Criminal investigation (ref CU/7)"),
    ]


def test_changes_are_logged_as_alteration_disclosure_combination_and_collection(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.ANALYST)
    client.post(
        f"/api/referrals/{world.csc_referral}/status", json={"status": "received"}, headers=headers
    )
    shared = client.post(
        f"/api/people/{world.victim}/shares",
        json={
            "agency": "health",
            "purpose": "marac_preparation",
            "reference": "MARAC/3",
            "record_kinds": ["risk_summary"],
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=headers,
    )
    assert shared.status_code == 201, shared.text
    client.post(
        f"/api/links/{world.uncertain_review}/split",
        headers=headers,
        json={"reason": "different dates of birth"},
    )
    answers = {f"q{i}": "no" for i in range(1, 25)}
    r = client.post(
        f"/api/people/{world.victim}/assessments",
        headers=headers,
        json={"instrument_id": "dash-ric", "instrument_version": "2009", "answers": answers},
    )
    assert r.status_code == 201, r.text
    got = [(e.action, e.category, e.recipient) for e in _entries(engine)]
    assert got == [
        ("referral.status", "alteration", None),
        ("person.share", "disclosure", "North Cumbria Health (health)"),
        ("link.split", "alteration", None),  # linking's own audit entry for a split
        ("assessment.submit", "collection", None),
    ]
    with engine.connect() as conn:
        assert verify_audit(conn) == []


def test_safeguard_audit_verify_detects_an_altered_entry(
    client: TestClient,
    engine: Engine,
    world: World,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("tampering needs the append-only trigger dropped; shown on SQLite")
    client.get(
        f"/api/people/{world.victim}",
        params={"purpose": "supervision_qa"},
        headers=token_for(engine, Role.OFFICER),
    )
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    from safeguard.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER trg_audit_log_no_update")
        conn.execute(sa.update(audit_log).values(justification="nothing to see"))
    bad = runner.invoke(cli_app, ["audit", "verify"])
    get_settings.cache_clear()
    assert bad.exit_code == 1
    assert "altered" in bad.output
