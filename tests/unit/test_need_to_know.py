"""The pure parts of need to know: the sight a viewer has of a person, the one projection,
purposes as data, partner agencies and shares, and the sign-in throttle's growing waits."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from safeguard.domain.access import (
    ALWAYS_SHARED,
    EVERYTHING,
    Action,
    Actor,
    RecordKind,
    Refused,
    Resource,
    Role,
    ensure,
    sight,
)
from safeguard.domain.accounts import throttle_policy
from safeguard.domain.partners import (
    check_agency,
    check_share_expiry,
    check_share_kinds,
    name_key,
    share_active,
)
from safeguard.domain.projection import WITHHELD_NAME, person_fields, project, withheld
from safeguard.domain.purposes import PURPOSES, Use, justify, purposes_for
from safeguard.errors import ValidationFailed
from safeguard.services.associates import LinkedPerson
from safeguard.services.links import MentionCard
from safeguard.services.people import PersonHit, Profile, TimelineItem
from safeguard.services.risk_view import RiskSummary
from safeguard.services.throttle import Attempt, SignInThrottle
from safeguard.services.triage import PersonRow
from safeguard.services.worklists import WorkItem

K = RecordKind
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PC = Actor(1, "pc_patel", Role.OFFICER)
CSC = Actor(4, "social_worker", Role.PARTNER_AGENCY, "childrens-services")


def _profile() -> Profile:
    return Profile(
        person_id=7,
        restricted=False,
        names=["Joanne Smith"],
        dates_of_birth=[datetime(1990, 4, 23).date()],
        sexes=["female"],
        postcodes=["CA1 1AA"],
        mention_ids=[11, 12],
        timeline=[
            TimelineItem(NOW, "event", "Domestic abuse", "Argument", 1, "domestic_abuse"),
            TimelineItem(NOW, "referral", "Referral", "", 2, "other", "childrens-services"),
            TimelineItem(NOW, "referral", "Referral", "", 3, "other", "marac"),
        ],
        risk=[
            RiskSummary(
                "dash-police", "2009", "DASH", NOW, "high", "high", 15, ("15 yes",), ("Q1?",)
            )
        ],
        referrals=[
            {"id": 2, "agency_code": "childrens-services"},
            {"id": 3, "agency_code": "marac"},
        ],
        findings=[{"id": 5}],
        shared_with=["childrens-services"],
    )


def test_every_shape_that_carries_a_person_marks_its_identifying_fields() -> None:
    for shape, expected in (
        (PersonHit, {"name", "date_of_birth", "sex"}),
        (WorkItem, {"name", "detail", "risk_band", "risk_probability"}),
        (MentionCard, {"name", "date_of_birth", "sex", "postcode", "pnc_id"}),
        (
            Profile,
            {
                "names",
                "dates_of_birth",
                "sexes",
                "postcodes",
                "mention_ids",
                "timeline",
                "flags",
                "risk",
                "referrals",
                "findings",
                "shared_with",
                "age",
                "aliases",
                "address",
                "markers",
                "linked",
                "incidents_by_month",
                "risk_model",
            },
        ),
        (LinkedPerson, {"name", "age", "risk"}),
        (PersonRow, {"name", "work"}),
    ):
        assert set(person_fields(shape)) == expected, shape


def test_a_restricted_person_is_a_restricted_record_and_nothing_else_before_break_glass() -> None:
    card = MentionCard(1, 9, "niche", "John Smith", NOW.date(), "male", "LA9 1AA", "85/1X")
    hidden = withheld(card)
    assert hidden.name == WITHHELD_NAME
    assert (hidden.date_of_birth, hidden.sex, hidden.postcode, hidden.pnc_id) == (None,) * 4
    assert hidden.mention_id == 1 and hidden.person_id == 9  # ids only, to break glass with
    resource = Resource("person", restricted=True, person_id=9)
    assert sight(PC, resource).reason_needed
    assert project(card, sight(PC, dataclasses.replace(resource, break_glass=True))) == card


def test_a_partner_sees_exactly_the_kinds_shared_and_only_its_own_referrals() -> None:
    resource = Resource(
        "person",
        shared_with=frozenset({"childrens-services"}),
        shared_kinds={"childrens-services": frozenset({K.RISK_SUMMARY})},
    )
    view = sight(CSC, resource)
    assert view.kinds == ALWAYS_SHARED | {K.RISK_SUMMARY}
    p = project(_profile(), view)
    assert p.names == ["Joanne Smith"] and p.postcodes == [] and p.mention_ids == []
    assert [i.record_id for i in p.timeline] == [2]  # its own referral; no incident
    assert [r["id"] for r in p.referrals] == [2]
    assert p.risk[0].grade == "high" and p.risk[0].yes_questions == ()  # summary, no answers
    assert p.findings == [] and p.shared_with == []
    assert project(_profile(), EVERYTHING) == _profile()


def test_a_partner_sees_nothing_of_a_person_not_shared_or_restricted() -> None:
    assert sight(CSC, Resource("person")).nothing
    restricted = Resource("person", restricted=True, shared_with=frozenset({"childrens-services"}))
    view = sight(CSC, restricted)
    assert view.nothing and not view.reason_needed  # partners cannot break glass
    assert sight(Actor(5, "board", Role.BOARD_VIEWER), Resource("person")).nothing


def test_a_refusal_carries_who_what_and_which_person_for_the_audit() -> None:
    with pytest.raises(Refused) as caught:
        ensure(CSC, Action.VIEW_PERSON, Resource("person", person_id=42))
    assert caught.value.person_id == 42 and caught.value.action is Action.VIEW_PERSON
    assert caught.value.actor == CSC and caught.value.why == "not shared with your agency"


def test_purposes_are_a_controlled_list_with_references_where_needed() -> None:
    codes = {p.code for p in PURPOSES}
    assert {
        "investigation",
        "safeguarding_referral",
        "marac_preparation",
        "supervision_qa",
        "disclosure",
    } <= codes
    assert (
        justify("supervision_qa", None, use=Use.CONSULT).text == "Supervision and quality assurance"
    )
    assert justify("disclosure", " DVDS/12 ", use=Use.SHARE).reference == "DVDS/12"
    for purpose, reference, use, field in (
        (None, None, Use.CONSULT, "purpose"),
        ("", None, Use.CONSULT, "purpose"),
        ("because", None, Use.CONSULT, "purpose"),
        ("investigation", None, Use.CONSULT, "reference"),
        ("investigation", "<script>", Use.CONSULT, "reference"),
        ("worklist_action", None, Use.BREAK_GLASS, "purpose"),
        ("incident_response", "INC/1", Use.SHARE, "purpose"),
    ):
        with pytest.raises(ValidationFailed, match=field):
            justify(purpose, reference, use=use)
    assert all(Use.SHARE in p.uses for p in purposes_for(Use.SHARE))


def test_agencies_and_shares_are_checked_with_clear_messages() -> None:
    assert name_key("  Cumbria  Children\u2019s Services ") == "cumbria children's services"
    assert check_agency("health", "North Cumbria Health", "health").code == "health"
    for code, name, sector, field in (
        ("Bad Code", "x", "health", "code"),
        ("ok-code", " ", "health", "display_name"),
        ("ok-code", "x", "plumbing", "sector"),
    ):
        with pytest.raises(ValidationFailed, match=field):
            check_agency(code, name, sector)
    assert check_share_kinds(["risk_summary", "missing"]) == {K.RISK_SUMMARY, K.MISSING}
    for kinds in ([], ["everything"], ["records"], ["identity"], ["referrals"]):
        with pytest.raises(ValidationFailed, match="record_kinds"):
            check_share_kinds(kinds)
    with pytest.raises(ValidationFailed, match="expires"):
        check_share_expiry(NOW + timedelta(minutes=5), now=NOW)
    with pytest.raises(ValidationFailed, match="expires"):
        check_share_expiry(NOW + timedelta(days=400), now=NOW)
    assert share_active(revoked_at=None, expires_at=NOW + timedelta(days=1), now=NOW)
    assert not share_active(revoked_at=NOW, expires_at=None, now=NOW)
    assert not share_active(revoked_at=None, expires_at=NOW, now=NOW)


def test_the_throttle_makes_each_further_failure_wait_longer_and_keys_trusted_browsers_apart() -> (
    None
):
    throttle = SignInThrottle(throttle_policy(2))
    stranger = Attempt("pc_patel", "203.0.113.9")
    waits = []
    for _ in range(5):
        waits.append(throttle.wait(stranger))
        throttle.failed(stranger)
    assert waits[:2] == [0, 0] and 0 < waits[2] <= 60 and waits[4] > 60
    assert throttle.wait(Attempt("pc_patel", "198.51.100.1")) > 0  # the account, any address
    assert throttle.wait(Attempt("pc_patel", "203.0.113.9", browser="b1")) == 0  # her browser
    assert throttle.wait(Attempt("sgt_okafor", "198.51.100.1")) == 0
