"""MASH triage in the app: a contact rated with its clock, a partner asked, a decision with its
rationale, the strategy discussion for section 47; every form refuses bad input field by field
and stores nothing half-done."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.findings import findings
from safeguard.adapters.db.mash import mash_decisions, mash_requests
from safeguard.adapters.db.tables import referral_status_changes, referrals
from safeguard.domain.access import Role
from safeguard.domain.local_time import LocalTime
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import World


def _count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_a_bad_contact_is_refused_field_by_field_keeps_what_was_typed_and_stores_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.ANALYST)
    before = _count(engine, referrals)
    r = client.post(
        "/mash",
        data={"csrf_token": csrf, "person_id": str(world.victim), "source": "partner",
              "summary": "School worried about bruising"},
    )  # fmt: skip
    assert r.status_code == 422
    assert "There is a problem" in r.text
    assert 'id="rag-error"' in r.text and 'id="agency-error"' in r.text
    assert "School worried about bruising" in r.text
    assert 'value="partner" checked' in r.text
    assert _count(engine, referrals) == before


def test_an_analyst_triages_a_contact_to_a_strategy_discussion(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.ANALYST)
    r = client.post(
        "/mash",
        data={"csrf_token": csrf, "person_id": str(world.child_shared), "source": "partner",
              "agency": "St Bees School", "rag": "red",
              "summary": "Child disclosed an injury at school this morning."},
    )  # fmt: skip
    assert r.status_code == 303, r.text
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    listing = client.get("/mash")
    assert f"/mash/{rid}" in listing.text and "red" in listing.text
    page = client.get(f"/mash/{rid}")
    assert "Decision due" in page.text and "hours left" in page.text or "overdue" in page.text
    # No decision control is chosen for the user.
    assert not re.search(r'name="decision"[^>]*checked', page.text)
    bad = client.post(f"/mash/{rid}/requests", data={"csrf_token": csrf, "agency": "Health"})
    assert bad.status_code == 422 and 'id="question-error"' in bad.text
    assert _count(engine, mash_requests) == 0
    ok = client.post(
        f"/mash/{rid}/requests",
        data={"csrf_token": csrf, "agency": "Health", "question": "Any A&E visits?",
              "clock": "red"},
    )  # fmt: skip
    assert ok.status_code == 303
    with engine.connect() as conn:
        req_id = conn.execute(sa.select(mash_requests.c.id)).scalar_one()
    assert (
        client.post(
            f"/mash/{rid}/requests/{req_id}/answer", data={"csrf_token": csrf, "answer": "Two"}
        ).status_code
        == 303
    )
    nodecision = client.post(f"/mash/{rid}/decision", data={"csrf_token": csrf, "rationale": ""})
    assert nodecision.status_code == 422
    assert 'id="decision-error"' in nodecision.text and 'id="rationale-error"' in nodecision.text
    decided = client.post(
        f"/mash/{rid}/decision",
        data={"csrf_token": csrf, "decision": "strategy_discussion",
              "rationale": "Injury disclosed; reasonable cause to suspect significant harm."},
    )  # fmt: skip
    assert decided.status_code == 303
    with engine.connect() as conn:
        statuses = list(
            conn.execute(
                sa.select(referral_status_changes.c.status).where(
                    referral_status_changes.c.referral_id == rid
                )
            ).scalars()
        )
    assert statuses == ["received", "decision_made", "strategy_discussion_needed"]
    assert "strategy discussion to hold" in client.get("/mash").text
    # The strategy discussion has its own clock: on the page, and a finding raised at once.
    assert 'id="strategy-clock"' in client.get(f"/mash/{rid}").text
    assert _strategy_finding(engine, rid) == "open"
    later = client.post(
        f"/mash/{rid}/strategy",
        data={"csrf_token": csrf, "held_at": "2999-01-01T10:00", "attendees": "LA, police",
              "outcome": "section_47"},
    )  # fmt: skip
    assert later.status_code == 422 and "cannot be in the future" in later.text
    held = client.post(
        f"/mash/{rid}/strategy",
        data={"csrf_token": csrf, "held_at": "", "attendees": "LA, police, health",
              "outcome": "section_47"},
    )  # fmt: skip
    assert held.status_code == 422 and 'id="held_at-error"' in held.text
    with engine.connect() as conn:
        assert conn.execute(sa.select(mash_decisions.c.strategy_held_at)).scalar() is None
    page = client.get(f"/mash/{rid}")
    assert "Decision: Strategy discussion" in page.text
    assert "Information asked of Health" in page.text
    # Decided an hour ago, held half an hour ago: the clock stops and the finding closes.
    hour = timedelta(hours=1)
    changes = referral_status_changes
    with engine.begin() as conn:
        decided_at = conn.execute(sa.select(mash_decisions.c.decided_at)).scalar_one()
        conn.execute(sa.update(mash_decisions).values(decided_at=decided_at - hour))
        for cid, at in conn.execute(
            sa.select(changes.c.id, changes.c.changed_at).where(
                changes.c.referral_id == rid, changes.c.status != "received"
            )
        ).all():
            conn.execute(sa.update(changes).where(changes.c.id == cid).values(changed_at=at - hour))
    when = LocalTime().local(datetime.now(UTC) - hour / 2).strftime("%Y-%m-%dT%H:%M")
    done = client.post(
        f"/mash/{rid}/strategy",
        data={"csrf_token": csrf, "held_at": when, "attendees": "LA, police, health",
              "outcome": "section_47"},
    )  # fmt: skip
    assert done.status_code == 303, done.text
    shown = client.get(f"/mash/{rid}").text
    assert "held on time" in shown, shown[shown.find('id="strategy"') :][:900]
    assert _strategy_finding(engine, rid) == "closed_by_rule"


def _strategy_finding(engine: Engine, rid: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(findings.c.status).where(
                    findings.c.rule_id == "MASH-STRATEGY-DISCUSSION",
                    findings.c.finding_key.like(f"%|referral:{rid}"),
                )
            ).scalar_one()
        )


def test_officers_and_partners_cannot_triage(
    client: TestClient, engine: Engine, world: World
) -> None:
    for role in (Role.OFFICER, Role.PARTNER_AGENCY, Role.BOARD_VIEWER):
        sign_in(client, engine, role)
        assert client.get("/mash").status_code == 403
