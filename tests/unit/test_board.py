"""Periods, Wilson intervals, trends and medians of the board report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguard.domain.board import (
    BREAKDOWNS,
    FIGURES,
    SECTIONS,
    Period,
    median,
    previous_periods,
    trend,
    wilson_interval,
)
from safeguard.domain.history import PersonKey


def test_wilson_interval_matches_the_published_formula() -> None:
    i = wilson_interval(8, 10)
    assert i.low == pytest.approx(0.4902, abs=1e-4)
    assert i.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_stays_inside_zero_and_one_at_the_extremes() -> None:
    none = wilson_interval(0, 20)
    assert none.low == 0.0 and none.high == pytest.approx(0.1611, abs=1e-4)
    every = wilson_interval(20, 20)
    assert every.high == 1.0 and every.low == pytest.approx(0.8389, abs=1e-4)


def test_wilson_interval_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="at least one"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="outside"):
        wilson_interval(11, 10)


def test_a_quarter_steps_back_by_quarters() -> None:
    q = Period.from_dates(date(2025, 4, 1), date(2025, 6, 30))
    prev = previous_periods(q, 2)
    assert [(p.first_day, p.last_day) for p in prev] == [
        (date(2024, 10, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 3, 31)),
    ]
    assert q.label == "Apr-Jun 2025"


def test_a_month_steps_back_by_calendar_months() -> None:
    m = Period.from_dates(date(2025, 3, 1), date(2025, 3, 31))
    (feb,) = previous_periods(m, 1)
    assert (feb.first_day, feb.last_day) == (date(2025, 2, 1), date(2025, 2, 28))
    assert m.label == "Mar 2025" and feb.label == "Feb 2025"


def test_a_year_that_is_not_a_calendar_year_is_labelled_by_its_months() -> None:
    y = Period.from_dates(date(2024, 4, 1), date(2025, 3, 31))
    assert y.label == "Apr 2024-Mar 2025"
    (before,) = previous_periods(y, 1)
    assert before.first_day == date(2023, 4, 1)


def test_an_odd_period_steps_back_by_its_length_in_days() -> None:
    p = Period.from_dates(date(2025, 1, 10), date(2025, 1, 19))
    (before,) = previous_periods(p, 1)
    assert (before.first_day, before.last_day) == (date(2024, 12, 31), date(2025, 1, 9))
    assert p.label == "2025-01-10 to 2025-01-19"


def test_a_period_must_end_after_it_starts_and_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="before --from"):
        Period.from_dates(date(2025, 2, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        Period(datetime(2025, 1, 1), datetime(2025, 2, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="end after"):
        Period(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))


def test_an_unlinked_mention_is_its_own_person() -> None:
    assert PersonKey.of(7, 100).signed == 7
    assert PersonKey.of(None, 100).signed == -100
    assert PersonKey.from_signed(-100) == PersonKey.parse("M100")


def test_trend_says_which_way_is_better() -> None:
    assert trend(0.9, 0.8, "higher", "rate").verdict == "better"
    assert trend(0.7, 0.8, "higher", "rate").verdict == "worse"
    assert trend(0.3, 0.2, "lower", "rate").verdict == "worse"
    assert trend(0.805, 0.8, "higher", "rate").direction == "same"  # under a point
    assert trend(104, 100, None, "count").direction == "same"  # under 5 %
    assert trend(120, 100, None, "count").verdict == "none"
    assert trend(None, 100, "lower", "count").direction == "unknown"
    assert trend(3, 0, None, "count").direction == "up"


def test_median_of_odd_and_even_counts() -> None:
    assert median([]) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 2.0, 3.0]) == 2.5


def test_every_figure_has_a_definition_a_known_section_and_a_unique_id() -> None:
    sections = {s for s, _ in SECTIONS}
    ids = [f.id for f in FIGURES] + [b.id for b in BREAKDOWNS]
    assert len(ids) == len(set(ids))
    for f in FIGURES:
        assert f.section in sections and len(f.definition) > 30
    for b in BREAKDOWNS:
        assert b.section in sections and b.categories and len(b.definition) > 30
    assert {f.section for f in FIGURES} == sections


def test_short_labels_fit_a_chart_axis() -> None:
    assert Period.from_dates(date(2025, 3, 1), date(2025, 3, 31)).short_label == "Mar 25"
    assert Period.from_dates(date(2025, 1, 1), date(2025, 3, 31)).short_label == "Jan-Mar 25"
    assert Period.from_dates(date(2025, 1, 1), date(2025, 12, 31)).short_label == "2025"
    assert Period.from_dates(date(2024, 4, 1), date(2025, 3, 31)).short_label == "Apr 24-Mar 25"
    assert Period.from_dates(date(2025, 1, 1), date(2025, 12, 31)).label == "2025"
