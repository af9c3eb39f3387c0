"""MoPI retention groups and review dates, from a person's history (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from safeguard.domain.retention import (
    Decision,
    RecordFacts,
    check_decision,
    parse_policy,
    review_due,
    worklist,
)
from safeguard.errors import ValidationFailed

RAW = {
    "minimum_years": 6,
    "default_group": "group_3",
    "groups": {
        "group_1": {"label": "public protection", "review_years": 10, "retain_until_age": 100},
        "group_2": {"label": "serious", "review_years": 10, "retain_until_age": None},
        "group_3": {"label": "other", "review_years": 6, "retain_until_age": None},
    },
    "suspect_offence_groups": {"sexual": "group_1", "violent": "group_2", "other": "group_3"},
}
POLICY = parse_policy(RAW, "test.yaml")


def facts(**overrides: object) -> RecordFacts:
    values: dict[str, object] = {
        "person_id": 7,
        "latest_record": date(2020, 3, 1),
        "first_record": date(2015, 1, 1),
        "suspected_offence_groups": frozenset(),
        "date_of_birth": date(1980, 5, 5),
    }
    values.update(overrides)
    return RecordFacts(**values)  # type: ignore[arg-type]


def test_a_victim_only_is_reviewed_six_years_after_the_latest_record() -> None:
    due = review_due(facts(), POLICY)
    assert (due.group, due.review_on) == ("group_3", date(2026, 3, 1))
    assert due.earliest_disposal == date(2021, 1, 1)


def test_the_most_serious_suspected_offence_decides_the_group() -> None:
    due = review_due(facts(suspected_offence_groups=frozenset({"violent", "other"})), POLICY)
    assert (due.group, due.review_on) == ("group_2", date(2030, 3, 1))


def test_group_one_is_never_disposed_of_before_the_subject_is_a_hundred() -> None:
    due = review_due(facts(suspected_offence_groups=frozenset({"sexual"})), POLICY)
    assert due.group == "group_1" and due.earliest_disposal == date(2080, 5, 5)
    assert due.review_on == date(2080, 5, 5)
    with pytest.raises(ValueError, match="before 2080-05-05"):
        check_decision(
            Decision.DISPOSE,
            due=due,
            today=date(2031, 1, 1),
            rationale="no longer needed here",
            next_review=None,
            on_hold=False,
        )


def test_a_retain_decision_sets_the_next_review_and_a_later_review_counts_from_it() -> None:
    due = review_due(facts(last_review=date(2026, 4, 1), next_review_set=date(2028, 4, 1)), POLICY)
    assert due.review_on == date(2028, 4, 1)
    assert review_due(facts(last_review=date(2026, 4, 1)), POLICY).review_on == date(2032, 4, 1)


def test_a_leap_day_record_is_reviewed_on_the_28th() -> None:
    assert review_due(facts(latest_record=date(2020, 2, 29)), POLICY).review_on == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("decision", "rationale", "next_review", "hold", "field"),
    [
        (Decision.RETAIN, "short", date(2030, 1, 1), False, "rationale"),
        (Decision.RETAIN, "still needed for MARAC", None, False, "next_review"),
        (Decision.RETAIN, "still needed for MARAC", date(2026, 1, 1), False, "next_review"),
        (Decision.DISPOSE, "no longer needed at all", None, True, "legal hold"),
    ],
)
def test_a_decision_that_cannot_be_recorded_names_the_field(
    decision: Decision, rationale: str, next_review: date | None, hold: bool, field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        check_decision(
            decision,
            due=review_due(facts(), POLICY),
            today=date(2027, 1, 1),
            rationale=rationale,
            next_review=next_review,
            on_hold=hold,
        )


def test_the_worklist_is_due_reviews_most_overdue_first() -> None:
    dues = [
        review_due(
            facts(person_id=i, latest_record=date(2010 + i, 1, 1), first_record=None), POLICY
        )
        for i in (3, 1, 9)
    ]
    assert [d.person_id for d in worklist(dues, date(2020, 1, 1))] == [1, 3]
    assert [d.person_id for d in worklist(dues, date(2020, 1, 1), horizon_days=3000)] == [1, 3, 9]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "(top)"),
        ({"minimum_years": 0}, "minimum_years"),
        ({"default_group": "group_9"}, "default_group"),
        ({"groups": {"group_1": "ten"}}, "groups.group_1"),
        ({"groups": {"group_1": {"review_yrs": 1}}}, "groups.group_1.review_yrs"),
        ({"groups": {"group_1": {"retain_until_age": True}}}, "groups.group_1.retain_until_age"),
        ({"groups": []}, "groups"),
        ({"suspect_offence_groups": ["x"]}, "suspect_offence_groups"),
    ],
)
def test_bad_settings_name_the_file_and_field(raw: object, field: str) -> None:
    with pytest.raises(
        ValidationFailed, match=f"force.yaml: {field.replace('(', '.').replace(')', '.')}"
    ):
        parse_policy(raw, "force.yaml", RAW)
