"""Need to know around the person page: worklists, link review, writes on a restricted person,
partner sharing by scope, break-glass review, and bad input that is refused and audited."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.accounts import agency_shares, break_glass_grants
from safeguard.adapters.db.audit import audit_log, verify_audit
from safeguard.domain.access import Role
from safeguard.domain.projection import WITHHELD_NAME
from tests.access_world import IDENTITY, PNC, AccessWorld, build_access_world
from tests.e2e.conftest import TestClient, sign_in, token_for

GLASS = {"purpose": "investigation", "reference": "CU/2026/1"}


@pytest.fixture
def aw(engine: Engine) -> AccessWorld:
    return build_access_world(engine)


@pytest.fixture
def app(settings: Any, engine: Engine, aw: AccessWorld) -> Any:
    from safeguard.web.app import create_app

    with TestClient(create_app(settings, engine), follow_redirects=False) as c:
        yield c


def _restricted_values() -> list[str]:
    forenames, surname, alias, dob, postcode, phone = IDENTITY["restricted"]
    return [forenames, surname, alias, dob.isoformat(), postcode, phone, PNC["restricted"]]


def _entries(engine: Engine, **where: str) -> list[sa.Row[Any]]:
    q = sa.select(audit_log).order_by(audit_log.c.seq)
    for k, v in where.items():
        q = q.where(audit_log.c[k] == v)
    with engine.connect() as conn:
        return list(conn.execute(q).all())


def test_worklists_show_a_restricted_person_as_a_restricted_record_until_break_glass(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    headers = token_for(engine, Role.ANALYST)
    items = app.get("/api/worklists/marac-due", headers=headers).json()["items"]
    mine = [i for i in items if i["person_id"] == aw.people["restricted"].person_id]
    assert mine and mine[0]["name"] == WITHHELD_NAME and mine[0]["detail"] == ""
    assert mine[0]["restricted"] is True
    sign_in(app, engine, Role.ANALYST)
    page = app.get("/worklists/marac-due").text
    assert WITHHELD_NAME in page
    for value in _restricted_values():
        assert value not in json.dumps(items) and value not in page
    pid = aw.people["restricted"].person_id
    assert (
        app.post(f"/api/people/{pid}/break-glass", json=GLASS, headers=headers).status_code == 204
    )
    items = app.get("/api/worklists/marac-due", headers=headers).json()["items"]
    [opened] = [i for i in items if i["person_id"] == pid]
    assert opened["name"] == "Berenike Rookhope"


def test_the_link_review_withholds_a_restricted_persons_records_and_decisions_need_break_glass(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    headers = token_for(engine, Role.SUPERVISOR)
    someone = aw.people["restricted"]
    queue = app.get("/api/links", headers=headers).json()
    assert WITHHELD_NAME in [i["name"] for i in queue if i["record_id"] == someone.review]
    pair = app.get(f"/api/links/{someone.review}", headers=headers)
    assert pair.status_code == 200
    for value in _restricted_values():
        assert value not in pair.text
    assert pair.json()["left"]["restricted"] is True
    split = app.post(
        f"/api/links/{someone.review}/split", json={"reason": "not one person"}, headers=headers
    )
    assert split.json()["error"]["code"] == "break_glass_required"
    app.post(f"/api/people/{someone.person_id}/break-glass", json=GLASS, headers=headers)
    pair = app.get(f"/api/links/{someone.review}", headers=headers).json()
    assert pair["left"]["postcode"] == IDENTITY["restricted"][4]
    ok = app.post(
        f"/api/links/{someone.review}/confirm", json={"reason": "same person"}, headers=headers
    )
    assert ok.status_code == 200, ok.text


def test_every_write_on_a_restricted_person_needs_break_glass_and_writes_nothing_before(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    headers = token_for(engine, Role.ANALYST)
    p = aw.people["restricted"]
    writes = [
        (f"/api/findings/{p.finding}/acknowledge", {}),
        (f"/api/findings/{p.finding}/resolve", {"note": "done"}),
        (f"/api/referrals/{p.referral}/status", {"status": "received"}),
        (
            f"/api/people/{p.person_id}/assessments",
            {
                "instrument_id": "dash-ric",
                "instrument_version": "2009",
                "answers": {f"q{i}": "no" for i in range(1, 25)},
            },
        ),
        (
            f"/api/people/{p.person_id}/shares",
            {
                "agency": "health",
                "purpose": "marac_preparation",
                "reference": "M/1",
                "record_kinds": ["risk_summary"],
                "expires_on": (date.today() + timedelta(days=7)).isoformat(),
            },
        ),
        (f"/api/shares/{p.share}/revoke", {"reason": "ended"}),
    ]
    for url, body in writes:
        r = app.post(url, json=body, headers=headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == "break_glass_required", url
    changed = [e for e in _entries(engine) if e.category != "refused"]
    assert changed == []
    refused = _entries(engine, category="refused")
    assert len(refused) == len(writes)
    assert {json.loads(e.person_ids)[0] for e in refused} == {p.person_id}
    app.post(f"/api/people/{p.person_id}/break-glass", json=GLASS, headers=headers)
    for url, body in writes:
        assert app.post(url, json=body, headers=headers).status_code in (200, 201), url
    with engine.connect() as conn:
        assert verify_audit(conn) == []


def test_the_partner_persona_sees_the_child_referred_to_it_by_its_display_name(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    headers = token_for(engine, Role.PARTNER_AGENCY)  # agency code childrens-services
    shared, unshared = aw.people["shared"], aw.people["unshared"]
    referrals = app.get("/api/referrals", headers=headers).json()
    assert {r["id"] for r in referrals} == {shared.referral, aw.people["restricted"].referral}
    assert {r["agency_code"] for r in referrals} == {"childrens-services"}
    profile = app.get(
        f"/api/people/{shared.person_id}", params={"purpose": "supervision_qa"}, headers=headers
    )
    assert profile.status_code == 200
    body = profile.json()
    assert body["names"] == ["Cosima Sandwith"] and body["risk"]  # identity + the shared kind
    assert body["postcodes"] == [] and body["mention_ids"] == [] and body["findings"] == []
    assert {i["kind"] for i in body["timeline"]} == {"referral"}  # no incident, no assessment
    assert all(r["yes_questions"] == [] for r in body["risk"])  # the summary, not the answers
    assert body["shared_with"] == []
    refused = app.get(
        f"/api/people/{unshared.person_id}", params={"purpose": "supervision_qa"}, headers=headers
    )
    assert refused.status_code == 403
    views = _entries(engine, action="person.view")
    assert [json.loads(e.person_ids) for e in views] == [[shared.person_id]]
    assert _entries(engine, action="referral.view")  # the list view too


def test_a_share_covers_its_kinds_until_revoked_and_an_unknown_agency_is_refused(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    sup, partner = token_for(engine, Role.SUPERVISOR), token_for(engine, Role.PARTNER_AGENCY)
    child = aw.people["unshared"]
    body = {
        "agency": "Cumbria Children's Services",  # a name resolves as well as the code
        "purpose": "safeguarding_referral",
        "reference": "MASH/77",
        "record_kinds": ["incidents", "contact"],
        "expires_on": (date.today() + timedelta(days=14)).isoformat(),
    }
    unknown = app.post(
        f"/api/people/{child.person_id}/shares", json={**body, "agency": "acme"}, headers=sup
    )
    assert unknown.status_code == 422
    assert "not a registered partner agency" in unknown.json()["error"]["message"]
    extra = app.post(
        f"/api/people/{child.person_id}/shares", json={**body, "scope": "all"}, headers=sup
    )
    assert extra.status_code == 422 and "scope" in extra.text
    with engine.connect() as conn:
        before = conn.execute(
            sa.select(sa.func.count())
            .select_from(agency_shares)
            .where(agency_shares.c.person_id == child.person_id)
        ).scalar_one()
    assert before == 1  # the fixture's share to health only: nothing half-recorded
    assert [e.action for e in _entries(engine, category="refused")] == ["request.invalid"] * 2
    made = app.post(f"/api/people/{child.person_id}/shares", json=body, headers=sup)
    assert made.status_code == 201, made.text
    share = made.json()
    assert share["agency"] == "childrens-services" and share["record_kinds"] == [
        "contact",
        "incidents",
    ]
    why = {"purpose": "safeguarding_referral", "reference": "MASH/77"}
    seen = app.get(f"/api/people/{child.person_id}", params=why, headers=partner).json()
    assert seen["postcodes"] == [IDENTITY["unshared"][4]]
    assert {i["kind"] for i in seen["timeline"]} == {"event"} and seen["risk"] == []
    [disclosure] = _entries(engine, action="person.share")
    assert disclosure.recipient == "Cumbria Children's Services (childrens-services)"
    revoked = app.post(
        f"/api/shares/{share['id']}/revoke", json={"reason": "case closed"}, headers=sup
    )
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    gone = app.get(f"/api/people/{child.person_id}", params=why, headers=partner)
    assert gone.status_code == 403


def test_an_expired_share_shows_nothing(app: TestClient, engine: Engine, aw: AccessWorld) -> None:
    shared = aw.people["shared"]
    with engine.begin() as conn:
        conn.execute(
            sa.update(agency_shares)
            .where(agency_shares.c.id == shared.share)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    partner = token_for(engine, Role.PARTNER_AGENCY)
    body = app.get(
        f"/api/people/{shared.person_id}", params={"purpose": "supervision_qa"}, headers=partner
    ).json()
    assert body["risk"] == []  # the referral still shows who it is; the share's kinds are gone


def test_shares_are_made_and_revoked_in_the_web_app(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    csrf = sign_in(app, engine, Role.ANALYST)
    child = aw.people["ordinary"]
    page = app.get(f"/people/{child.person_id}", params={"purpose": "supervision_qa"}).text
    assert "Share with a partner agency" in page and "North Cumbria Health" in page
    assert 'value="" selected>Choose a purpose' in page  # nothing chosen for the user
    r = app.post(
        f"/people/{child.person_id}/shares",
        data={
            "csrf_token": csrf,
            "agency": "childrens-services",
            "purpose": "marac_preparation",
            "reference": "MARAC/9",
            "record_kinds": ["risk_summary", "findings"],
            "expires_on": (date.today() + timedelta(days=10)).isoformat(),
            "back": f"/people/{child.person_id}?purpose=supervision_qa",
        },
    )
    assert r.status_code == 303, r.text
    with engine.connect() as conn:
        share_id = conn.execute(
            sa.select(sa.func.max(agency_shares.c.id)).where(
                agency_shares.c.agency == "childrens-services",
                agency_shares.c.person_id == child.person_id,
            )
        ).scalar_one()
    r = app.post(f"/shares/{share_id}/revoke", data={"csrf_token": csrf, "reason": "done now"})
    assert r.status_code == 303
    with engine.connect() as conn:
        revoked = conn.execute(
            sa.select(agency_shares.c.revoked_at).where(agency_shares.c.id == share_id)
        ).scalar_one()
    assert revoked is not None


def test_break_glass_needs_a_purpose_from_the_list_and_bad_requests_are_audited(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    headers = token_for(engine, Role.OFFICER)
    pid = aw.people["restricted"].person_id
    for body, field in (
        ({}, "purpose"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"purpose": "investigation"}, "reference"),
        ({"purpose": "worklist_action"}, "purpose"),  # cannot justify break glass
        ({**GLASS, "reason": "anything"}, "reason"),  # free text is not a field any more
    ):
        r = app.post(f"/api/people/{pid}/break-glass", json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text
    with engine.connect() as conn:
        grants = conn.execute(
            sa.select(sa.func.count())
            .select_from(break_glass_grants)
            .where(break_glass_grants.c.user_id == aw.users[Role.OFFICER])
        ).scalar_one()
    assert grants == 0
    assert [e.action for e in _entries(engine)] == ["request.invalid"] * 5
    # The web form: the purpose list starts empty; a missing purpose is refused the same way.
    csrf = sign_in(app, engine, Role.OFFICER)
    form = app.get(f"/people/{pid}", params={"purpose": "supervision_qa"})
    assert form.status_code == 403 and "Restricted record, reason needed" in form.text
    assert 'value="" selected>Choose a purpose' in form.text
    r = app.post(f"/people/{pid}/break-glass", data={"csrf_token": csrf, "reference": "x1"})
    assert r.status_code == 422 and "purpose" in r.text


def test_a_supervisor_reviews_break_glass_uses_and_may_question_one_but_not_their_own(
    app: TestClient, engine: Engine, aw: AccessWorld
) -> None:
    sup = token_for(engine, Role.SUPERVISOR)
    p = aw.people["restricted"]
    app.post(f"/api/people/{p.person_id}/break-glass", json=GLASS, headers=sup)
    listed = app.get("/api/break-glass", params={"status": "unreviewed"}, headers=sup).json()
    mine = [u for u in listed if u["user_id"] == aw.users[Role.SUPERVISOR]]
    theirs = [u for u in listed if u["id"] == p.grant]
    assert mine and theirs and theirs[0]["purpose"] == "Criminal investigation"
    assert "Berenike" not in json.dumps(listed)  # people by number only
    own = app.post(
        f"/api/break-glass/{mine[0]['id']}/review", json={"verdict": "accepted"}, headers=sup
    )
    assert own.status_code == 403
    no_note = app.post(
        f"/api/break-glass/{p.grant}/review", json={"verdict": "questioned"}, headers=sup
    )
    assert no_note.status_code == 422
    done = app.post(
        f"/api/break-glass/{p.grant}/review",
        json={"verdict": "questioned", "note": "no incident under that reference"},
        headers=sup,
    )
    assert done.status_code == 200 and done.json()["review_status"] == "questioned"
    [audited] = _entries(engine, action="break_glass.questioned")
    assert json.loads(audited.person_ids) == [p.person_id]
    sign_in(app, engine, Role.SUPERVISOR)
    page = app.get("/break-glass", params={"status": "questioned"})
    assert page.status_code == 200 and "no incident under that reference" in page.text
    officer = token_for(engine, Role.OFFICER)
    assert app.get("/api/break-glass", headers=officer).status_code == 403
