"""The one history model: person keys, other parties, and ``as_of`` with no look-ahead."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguard.domain.history import (
    InvolvementFact,
    Party,
    PersonHistory,
    PersonKey,
    birth_of,
    signed_key,
)
from tests.unit.rules_facts import T0, at, contact, dash, episode, event, fired, person, referral


def test_a_person_key_reads_and_writes_its_text_and_signed_forms() -> None:
    assert str(PersonKey.of(12, 5)) == "P12" and str(PersonKey.of(None, 5)) == "M5"
    assert PersonKey.parse("M5").signed == -5 == signed_key(None, 5)
    assert PersonKey.from_signed(12) == PersonKey.parse("P12")
    for bad in ("X1", "P", "P1a", ""):
        with pytest.raises(ValueError):
            PersonKey.parse(bad)
    with pytest.raises(ValueError):
        PersonKey(person_id=1, mention_id=2)
    with pytest.raises(ValueError):
        PersonKey.from_signed(0)


def test_a_victims_history_names_the_suspects_of_each_incident() -> None:
    e1, e2 = event(1, at(0)), event(2, at(10))
    h = person(
        involvements=(
            InvolvementFact(
                1, e1, "victim", others=(Party("P7", "suspect"), Party("P8", "witness"))
            ),
            InvolvementFact(
                2, e2, "victim", others=(Party("P7", "suspect"), Party("P1", "suspect"))
            ),
            InvolvementFact(3, event(3, at(20)), "suspect", others=(Party("P9", "victim"),)),
        )
    ).normalised()
    assert h.pairs() == [(1, "P7"), (2, "P7")]
    assert h.pairs("suspect", "victim") == [(3, "P9")]
    assert h.key == PersonKey(person_id=1)


def test_the_date_of_birth_is_the_one_recorded_most_often() -> None:
    from datetime import date

    d1, d2 = date(2010, 1, 1), date(2010, 1, 2)
    assert birth_of([d2, d1, d2], []) == (d2, None)
    assert birth_of([d2, d1], []) == (d1, None)  # a tie: the earliest
    assert birth_of([], [(9, 14, d1), (3, 15, d2)]) == (None, (15, d2))


def _rich_history() -> PersonHistory:
    e1, e2 = event(1, at(0)), event(2, at(30), reported_at=at(31))
    return person(
        involvements=(InvolvementFact(1, e1, "victim"), InvolvementFact(2, e2, "victim")),
        assessments=(
            dash(1, at(0, 2), 15, event_id=1, reviewed_grade="high", reviewed_at=at(5)),
            dash(2, at(30, 2), 5, event_id=2),
        ),
        referrals=(
            referral(
                1,
                "marac",
                at(1),
                event_id=1,
                statuses=(("received", at(1)), ("decision_made", at(8))),
            ),
            referral(2, "mash", at(32), rag="red"),
        ),
        missing=(episode(1, at(2), found_at=at(4), rhi_offered_at=at(6), rhi_declined=False),),
        contacts=(contact(1, "arrest", at(1), event_id=1, contacted_at=at(3)),),
    ).normalised()


def test_as_of_hides_every_record_and_timestamp_after_the_moment() -> None:
    h = _rich_history().as_of(at(3))
    assert [i.event.event_id for i in h.involvements] == [1]
    assert list(h.events) == [1]
    assert [(a.assessment_id, a.reviewed_grade) for a in h.assessments] == [(1, None)]
    assert [(r.referral_id, r.statuses) for r in h.referrals] == [(1, (("received", at(1)),))]
    (ep,) = h.missing
    assert ep.found_at is None and ep.rhi_offered_at is None and ep.rhi_declined is None
    assert h.contacts[0].contacted_at == at(3)  # at the moment itself: known
    assert h.as_of(at(3)) == h
    with pytest.raises(ValueError):
        h.as_of(at(3).replace(tzinfo=None))


def test_an_event_reported_later_is_not_known_before_its_report() -> None:
    h = _rich_history()
    assert 2 not in h.as_of(at(30, 12)).events
    assert 2 in h.as_of(at(31)).events


@given(st.floats(min_value=-5, max_value=40))
def test_nothing_in_a_history_as_of_a_moment_is_later_than_the_moment(days: float) -> None:
    moment = at(days)
    h = _rich_history().as_of(moment)

    def times(obj: object) -> list[object]:
        out: list[object] = []
        for f in fields(obj):  # type: ignore[arg-type]
            value = getattr(obj, f.name)
            out.append(value)
            if f.name == "statuses":
                out += [t for _, t in value]
        return out

    records = [*h.assessments, *h.referrals, *h.missing, *h.contacts, *h.events.values()]
    for record in records:
        for value in times(record):
            if hasattr(value, "tzinfo") and value is not None and hasattr(value, "hour"):
                assert value <= moment, (record, value)


def test_rules_on_a_history_as_of_a_moment_see_nothing_later() -> None:
    # The MARAC referral was made at day 1: as of day 0.5 the visible-high-risk DASH (day 0)
    # has no referral yet, so the rule fires; on the whole history it does not.
    h = _rich_history()
    early = h.as_of(at(0, 3))
    assert fired(early, "MARAC-VISIBLE-HIGH-RISK")
    assert not [f for f in fired(h, "MARAC-VISIBLE-HIGH-RISK") if not f.satisfied]


def test_a_mash_contact_declined_or_closed_is_decided() -> None:
    for status in ("declined", "closed", "withdrawn", "decision_made"):
        h = person(
            referrals=(
                referral(1, "mash", T0, rag="red", statuses=((status, T0 + timedelta(hours=1)),)),
            )
        )
        assert not fired(h, "MASH-RAG-DECISION"), status
    undecided = person(referrals=(replace(referral(1, "mash", T0, rag="red"), statuses=()),))
    assert fired(undecided, "MASH-RAG-DECISION")
