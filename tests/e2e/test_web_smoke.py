"""Sign in, search, open a profile: the main path through the web app works end to end."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from safeguard.domain.access import Role
from tests.e2e.conftest import TestClient, sign_in, token_for
from tests.web_fixtures import World


def test_an_officer_finds_a_person_and_opens_their_profile(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.OFFICER)
    page = client.get("/search", params={"q": "jo smi", "purpose": "supervision_qa"})
    assert page.status_code == 200
    assert "Joanne Smith" in page.text
    profile = client.get(f"/people/{world.victim}", params={"purpose": "supervision_qa"})
    assert profile.status_code == 200, profile.text
    assert "Current high risk" in profile.text


def test_the_api_returns_a_profile_with_timeline_and_risk(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.ANALYST)
    r = client.get(
        f"/api/people/{world.victim}", params={"purpose": "supervision_qa"}, headers=headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["risk"][0]["grade"] == "high"
    assert body["risk"][0]["marac_route"] == "visible_high_risk"
    assert any(i["kind"] == "event" for i in body["timeline"])


def test_search_words_match_name_starts_in_any_order_and_are_not_wildcards(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.OFFICER)

    def found(q: str) -> set[int]:
        r = client.get("/api/people", params={"q": q, "purpose": "supervision_qa"}, headers=headers)
        assert r.status_code == 200, r.text
        return {h["person_id"] for h in r.json()}

    assert world.victim in found("jo smi")
    assert world.victim in found("SMI jo")
    assert world.victim in found("smyth")
    assert found("kay bro") == {world.child_shared}
    assert found("%") == set() and found("_") == set() and found("j%") == set()
    assert found("smith joanne zzz") == set()
