"""Findings on the profile, acknowledged then resolved; the serve/users/audit commands."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters.db.audit import who_viewed
from safeguard.cli import app as cli_app
from safeguard.domain.access import Role
from safeguard.services.accounts import DEMO_PASSWORD, DEMO_USERS
from tests.e2e.conftest import TestClient, token_for
from tests.web_fixtures import World


def test_a_finding_shows_on_the_profile_and_is_acknowledged_then_resolved(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.SUPERVISOR)
    profile = client.get(
        f"/api/people/{world.victim}", params={"purpose": "supervision_qa"}, headers=headers
    ).json()
    [finding] = profile["findings"]
    assert finding["category"] == "marac_due" and finding["status"] == "open"
    assert finding["due_at"] is not None
    ack = client.post(f"/api/findings/{world.finding}/acknowledge", json={}, headers=headers)
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    no_note = client.post(f"/api/findings/{world.finding}/resolve", json={}, headers=headers)
    assert no_note.status_code == 422
    done = client.post(
        f"/api/findings/{world.finding}/resolve",
        json={"note": "MARAC referral made"},
        headers=headers,
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    history = done.json()["history"]  # who changed it, when and why
    assert [h["change"] for h in history] == ["acknowledged", "resolved"]
    assert history[1]["reason"] == "MARAC referral made" and history[1]["actor"]
    again = client.post(f"/api/findings/{world.finding}/acknowledge", json={}, headers=headers)
    assert again.status_code == 409
    with engine.connect() as conn:
        actions = [s.entry.action for s in who_viewed(conn, world.victim)]
    assert actions[:2] == ["finding.resolved", "finding.acknowledged"]


def test_users_demo_creates_one_persona_per_role_and_audit_person_lists_views(
    client: TestClient,
    engine: Engine,
    world: World,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safeguard.config import get_settings

    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("SAFEGUARD_ENVIRONMENT", "development")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        # The world already holds users named like some demo personas: they are kept.
        demo = runner.invoke(cli_app, ["users", "demo"])
        assert demo.exit_code == 0, demo.output
        assert DEMO_PASSWORD in demo.output
        assert all(username in demo.output for username, *_ in DEMO_USERS)
        client.get(
            f"/api/people/{world.victim}",
            params={"purpose": "marac_preparation", "reference": "M-2026-7"},
            headers=token_for(engine, Role.ANALYST),
        )
        refused = runner.invoke(cli_app, ["--as", "pc_patel", "audit", "person", str(world.victim)])
        assert refused.exit_code == 2 and "may not view_audit" in refused.output
        listed = runner.invoke(
            cli_app, ["--as", "sgt_okafor", "audit", "person", str(world.victim)]
        )
        assert listed.exit_code == 0
        assert "MARAC" in listed.output and "preparation" in listed.output  # Rich wraps cells
        monkeypatch.setenv("SAFEGUARD_ENVIRONMENT", "production")
        monkeypatch.setenv("SAFEGUARD_SECRET_KEY", "x" * 40)
        get_settings.cache_clear()
        refused = runner.invoke(cli_app, ["users", "demo"])
        assert refused.exit_code == 2 and "development" in refused.output
    finally:
        get_settings.cache_clear()


def test_pages_show_history_times_in_the_force_s_local_time_with_its_zone(
    client: TestClient,
) -> None:
    from datetime import UTC, datetime

    local = client.app.state.templates.env.filters["local"]  # type: ignore[attr-defined]
    assert local(datetime(2026, 7, 1, 9, 30, tzinfo=UTC)) == "2026-07-01 10:30 BST"
    assert local(datetime(2026, 12, 1, 9, 30, tzinfo=UTC)) == "2026-12-01 09:30 GMT"
    assert local(None) == "-"
