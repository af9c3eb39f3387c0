"""The doorstep profile: who this is, their risk and what is due, the people linked to them
(each through the one projection), the timeline with the RHI clock and a chart; a DASH from the
app re-assesses the person at once."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.findings import findings
from safeguard.adapters.db.tables import risk_assessments
from safeguard.domain.access import Role
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import World

WHY = {"purpose": "supervision_qa"}


def test_the_top_says_who_this_is_and_what_is_due_in_words(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.OFFICER)
    page = client.get(f"/people/{world.victim}", params=WHY)
    assert page.status_code == 200, page.text
    text = page.text
    assert "Current address" in text and "Also known as" in text
    assert "What is due now" in text
    assert "High risk DASH: refer to MARAC." in text
    assert 'data-vega-spec="incident-chart-spec"' in text
    assert "Incidents per month as a table" in text


def test_a_restricted_partner_is_linked_but_withheld(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.OFFICER)
    text = client.get(f"/people/{world.victim}", params=WHY).text
    assert "Linked people" in text
    assert "partner (suspect)" in text or "suspect" in text
    assert f"/people/{world.suspect_restricted}?" in text
    assert "Restricted" in text
    assert "John Smith" not in text


def test_a_missing_child_shows_her_age_and_the_return_home_interview_clock(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.OFFICER)
    text = client.get(f"/people/{world.child_shared}", params=WHY).text
    assert "Reported missing, aged" in text
    assert "return home interview" in text
    assert "72-hour" in text or "clock starts when found" in text


def test_a_dash_tied_to_its_incident_reassesses_the_person_at_once(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.OFFICER)
    form = client.get(f"/people/{world.victim}/assess/dash-ric/2009", params=WHY)
    assert "Which incident is this assessment for?" in form.text
    answers = {f"a_q{i}": "yes" for i in range(1, 25)}
    missing = client.post(
        f"/people/{world.victim}/assess/dash-ric/2009",
        params=WHY,
        data={**answers, "csrf_token": csrf},
    )
    assert missing.status_code == 422
    assert 'id="event_id-error"' in missing.text
    assert 'value="yes" checked' in missing.text  # what was typed is kept
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(risk_assessments)).scalar()
    done = client.post(
        f"/people/{world.victim}/assess/dash-ric/2009",
        params=WHY,
        data={**answers, "event_id": str(world.event), "csrf_token": csrf},
    )
    assert done.status_code == 303, done.text
    assert "assessed=" in done.headers["location"]
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(risk_assessments)).scalar()
        tied = conn.execute(
            sa.select(risk_assessments.c.event_id).order_by(risk_assessments.c.id.desc())
        ).first()
        duties = conn.execute(
            sa.select(findings.c.rule_id).where(findings.c.person_key == f"P{world.victim}")
        ).scalars()
        rules = set(duties)
    assert after == (before or 0) + 1
    assert tied is not None and tied[0] == world.event
    assert "MARAC-VISIBLE-HIGH-RISK" in rules and "DA-NEW-HIGH-RISK" in rules
    page = client.get(done.headers["location"].split("#")[0])
    assert "Assessment stored" in page.text
    assert "MARAC referral: visible high risk" in page.text
