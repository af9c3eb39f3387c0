"""Property: the order in which records arrive never changes the findings or the checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguard.domain.history import (
    AssessmentFact,
    ContactFact,
    EventFact,
    InvolvementFact,
    MissingFact,
    PersonHistory,
    ReferralFact,
)
from tests.unit.rules_facts import run

BASE = datetime(2024, 1, 1, tzinfo=UTC)
times = st.integers(min_value=0, max_value=2 * 365 * 24).map(lambda h: BASE + timedelta(hours=h))
maybe_times = st.none() | times


@st.composite
def histories(draw: st.DrawFn) -> PersonHistory:
    n_events = draw(st.integers(0, 8))
    events = [
        EventFact(
            event_id=i,
            event_type=draw(st.sampled_from(["domestic_abuse", "other_crime", "missing_person"])),
            occurred_at=draw(times),
            domestic_abuse_related=draw(st.booleans()),
            hate_crime_strands=draw(st.sampled_from([(), ("race",)])),
            area=draw(st.sampled_from(["North", "South"])),
        )
        for i in range(1, n_events + 1)
    ]
    roles = st.sampled_from(["victim", "suspect", "child_present", "witness"])
    involvements = [
        InvolvementFact(100 + n, e, draw(roles))
        for n, e in enumerate(events)
        if draw(st.booleans()) or True
    ]
    event_ids = st.none() | (st.sampled_from([e.event_id for e in events]) if events else st.none())
    assessments = [
        AssessmentFact(
            200 + n,
            "dash-ric",
            "2009",
            {f"q{i}": draw(st.sampled_from(["yes", "no", "not_known"])) for i in range(1, 25)},
            draw(times),
            draw(event_ids),
            officer_grade=draw(st.sampled_from([None, "standard", "medium", "high"])),
            rationale=draw(st.sampled_from([None, "reasons"])),
        )
        for n in range(draw(st.integers(0, 3)))
    ]
    referrals = [
        ReferralFact(
            300 + n,
            draw(st.sampled_from(["marac", "mash", "operation_encompass", "multi_agency_review"])),
            draw(maybe_times),
            draw(event_ids),
            rag=draw(st.sampled_from([None, "red", "amber", "green"])),
            statuses=tuple(
                (draw(st.sampled_from(["received", "decision_made"])), draw(times))
                for _ in range(draw(st.integers(0, 2)))
            ),
        )
        for n in range(draw(st.integers(0, 3)))
    ]
    missing = []
    for n in range(draw(st.integers(0, 4))):
        reported = draw(times)
        missing.append(
            MissingFact(
                400 + n,
                500 + n,
                reported,
                found_at=draw(
                    st.none() | st.just(reported + timedelta(hours=draw(st.integers(-5, 90))))
                ),
                exploitation_flag=draw(st.booleans()),
                rhi_offered_at=draw(maybe_times),
            )
        )
    contacts = [
        ContactFact(
            600 + n,
            draw(st.sampled_from(["arrest", "needs_assessment", "released_on_bail"])),
            draw(maybe_times),
            draw(event_ids),
            draw(maybe_times),
        )
        for n in range(draw(st.integers(0, 3)))
    ]
    return PersonHistory(
        person_key="P7",
        person_id=7,
        date_of_birth=draw(st.sampled_from([date(2010, 3, 1), date(1985, 7, 9), None])),
        involvements=tuple(involvements),
        assessments=tuple(assessments),
        referrals=tuple(referrals),
        missing=tuple(missing),
        contacts=tuple(contacts),
    )


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), data=st.data())
def test_arrival_order_never_changes_the_findings_or_checks(
    history: PersonHistory, data: st.DataObject
) -> None:
    shuffled = PersonHistory(
        person_key=history.person_key,
        person_id=history.person_id,
        date_of_birth=history.date_of_birth,
        involvements=tuple(data.draw(st.permutations(history.involvements))),
        assessments=tuple(data.draw(st.permutations(history.assessments))),
        referrals=tuple(data.draw(st.permutations(history.referrals))),
        missing=tuple(data.draw(st.permutations(history.missing))),
        contacts=tuple(data.draw(st.permutations(history.contacts))),
    )
    assert run(shuffled) == run(history)
