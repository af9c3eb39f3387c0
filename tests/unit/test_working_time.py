"""Working hours, working days and school days with England and Wales bank holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from safeguard.domain.working_time import WorkingCalendar, add_months, age_on, bank_holidays

CAL = WorkingCalendar()
# Friday 1 May 2026, 17:00 BST (16:00 UTC); Monday 4 May 2026 is the Early May bank holiday.
FRIDAY_5PM = datetime(2026, 5, 1, 16, 0, tzinfo=UTC)


def test_bank_holidays_come_from_the_holidays_library_with_substitute_days() -> None:
    days = bank_holidays(2026, "ENG")
    assert date(2026, 5, 4) in days
    assert date(2026, 12, 28) in days  # Boxing Day observed
    assert not CAL.is_working_day(date(2026, 4, 6))  # Easter Monday
    assert CAL.is_working_day(date(2026, 4, 7))


def test_wales_and_england_share_the_same_2026_bank_holidays_but_are_looked_up_separately() -> None:
    wales = WorkingCalendar(region="wales")
    assert wales.is_bank_holiday(date(2026, 8, 31))
    with pytest.raises(ValueError, match="unknown region"):
        WorkingCalendar(region="atlantis")


def test_next_school_day_after_friday_5pm_before_a_bank_holiday_is_tuesday() -> None:
    assert CAL.next_school_day_start(FRIDAY_5PM) == datetime(2026, 5, 5, 7, 30, tzinfo=UTC)


def test_an_incident_before_the_school_day_starts_is_due_that_morning() -> None:
    early = datetime(2026, 5, 5, 5, 0, tzinfo=UTC)  # 06:00 BST Tuesday
    assert CAL.next_school_day_start(early) == datetime(2026, 5, 5, 7, 30, tzinfo=UTC)


def test_school_closures_push_the_next_school_day_back() -> None:
    cal = WorkingCalendar(school_closures=(("*", date(2026, 5, 5), date(2026, 5, 8)),))
    assert cal.next_school_day_start(FRIDAY_5PM) == datetime(2026, 5, 11, 7, 30, tzinfo=UTC)


def test_one_working_day_after_friday_5pm_before_a_bank_holiday_ends_on_tuesday() -> None:
    assert CAL.working_days_deadline(FRIDAY_5PM, 1) == datetime(2026, 5, 5, 16, 0, tzinfo=UTC)
    assert CAL.working_days_deadline(FRIDAY_5PM, 5) == datetime(2026, 5, 11, 16, 0, tzinfo=UTC)


def test_working_hours_do_not_run_at_weekends_or_on_bank_holidays() -> None:
    assert CAL.add_working_hours(FRIDAY_5PM, 4) == datetime(2026, 5, 5, 12, 0, tzinfo=UTC)
    friday_4pm = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)  # 16:00 BST: one hour left on Friday
    assert CAL.add_working_hours(friday_4pm, 4) == datetime(2026, 5, 5, 11, 0, tzinfo=UTC)
    assert CAL.add_working_hours(FRIDAY_5PM, 24) == datetime(2026, 5, 7, 16, 0, tzinfo=UTC)


def test_working_hours_follow_the_local_clock_across_the_change_to_gmt() -> None:
    # Friday 23 Oct 2026 16:00 BST; clocks go back on Sunday 25 Oct; Monday 09:00 GMT = 09:00 UTC.
    start = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)
    assert CAL.add_working_hours(start, 2) == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_a_custom_working_day_is_configurable() -> None:
    cal = WorkingCalendar(day_start=time(8, 0), day_end=time(18, 0))
    assert cal.hours_per_day == 10
    with pytest.raises(ValueError, match="must end after"):
        WorkingCalendar(day_start=time(18, 0), day_end=time(8, 0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_hours(datetime(2026, 5, 1, 12, 0), 1)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("dob", "day", "age"),
    [(date(2022, 5, 1), date(2026, 5, 1), 4), (date(2022, 5, 2), date(2026, 5, 1), 3),
     (date(2008, 5, 1), date(2026, 5, 1), 18), (date(2008, 5, 2), date(2026, 5, 1), 17),
     (date(2008, 2, 29), date(2026, 2, 28), 17), (date(2008, 2, 29), date(2026, 3, 1), 18)],
)  # fmt: skip
def test_age_counts_a_birthday_on_the_day(dob: date, day: date, age: int) -> None:
    assert age_on(dob, day) == age


def test_adding_months_clips_to_the_end_of_the_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 1), -6) == date(2025, 9, 1)
