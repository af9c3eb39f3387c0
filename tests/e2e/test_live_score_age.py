"""The assessment form scores with the person's age, as the findings do (SERAF: a child under 13
is never rated low), and knows the force's own instruments."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from safeguard import instruments
from safeguard.adapters.db.tables import person_mentions
from safeguard.domain.access import Role
from safeguard.services.assessment import default_assessor
from tests.e2e.conftest import sign_in, token_for
from tests.web_fixtures import add, link, person

SERAF = "/assess/cse-seraf/1/score"
NO = {f"a_{q}": "no" for q in (
    "v_in_care v_learning_disability v_substance_misuse v_missing_history v_excluded_from_school "
    "v_domestic_abuse_at_home v_previous_abuse v_mental_health m_older_associates "
    "m_unexplained_gifts_or_money m_truancy m_secretive_phone_or_online_use "
    "m_peers_being_exploited m_change_in_behaviour s_sti_or_pregnancy s_found_in_adult_premises "
    "s_travelling_unexplained s_physical_injuries s_disclosure_of_exploitation s_multiple_phones"
).split()}  # fmt: skip


def _grade(html: str) -> str:
    found = re.search(r"\b(low|medium|significant|serious)\b", html.lower())
    assert found, html
    return found.group(1)


def test_the_live_score_applies_the_under_13_floor_for_a_young_child(
    client: TestClient, engine: Engine
) -> None:
    with engine.begin() as conn:
        child = person(conn)
        mention = add(
            conn,
            person_mentions,
            forenames="Young",
            surname="Child",
            date_of_birth=date(2017, 3, 1),
        )
        link(conn, mention, child)
    csrf = sign_in(client, engine, Role.OFFICER)
    without = client.post(SERAF, data={**NO, "csrf_token": csrf})
    assert without.status_code == 200 and _grade(without.text) == "low"
    with_age = client.post(f"{SERAF}?person_id={child}", data={**NO, "csrf_token": csrf})
    assert with_age.status_code == 200 and _grade(with_age.text) == "medium"
    assert "under 13" in with_age.text


def test_the_web_knows_the_forces_own_instruments(
    client: TestClient, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = Path(instruments.__file__).parent / "dash-ric_2009.yaml"
    text = packaged.read_text(encoding="utf-8").replace("id: dash-ric", "id: force-dash", 1)
    (tmp_path / "force-dash_2009.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("SAFEGUARD_INSTRUMENTS_DIR", str(tmp_path))
    default_assessor.cache_clear()
    try:
        headers = token_for(engine, Role.OFFICER)
        listed = client.get("/api/instruments", headers=headers)
        assert listed.status_code == 200
        assert "force-dash" in {i["id"] for i in listed.json()}
        csrf = sign_in(client, engine, Role.OFFICER)
        scored = client.post(
            "/assess/force-dash/2009/score", data={"a_q1": "yes", "csrf_token": csrf}
        )
        assert scored.status_code == 200 and "not known" not in scored.text
    finally:
        default_assessor.cache_clear()
