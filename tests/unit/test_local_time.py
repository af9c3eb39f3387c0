"""The time model: local dates in the force's zone, across each DST change and birthday edge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from safeguard.domain.local_time import UTC_TIME, LocalTime
from tests.unit.rules_facts import event, fired, involved, person, referral

LONDON = LocalTime()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        (utc(2026, 3, 29, 0, 59), "2026-03-29 00:59 GMT"),  # last minute of GMT (spring)
        (utc(2026, 3, 29, 1, 0), "2026-03-29 02:00 BST"),  # clocks go forward
        (utc(2026, 10, 25, 0, 30), "2026-10-25 01:30 BST"),  # first 01:30 (autumn)
        (utc(2026, 10, 25, 1, 30), "2026-10-25 01:30 GMT"),  # the repeated hour
        (utc(2026, 6, 30, 23, 30), "2026-07-01 00:30 BST"),  # summer: local date is the next
        (utc(2026, 12, 31, 23, 30), "2026-12-31 23:30 GMT"),
    ],
)
def test_every_explanation_time_is_local_with_its_zone(instant: datetime, shown: str) -> None:
    assert LONDON.show(instant) == shown


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        LONDON.local_date(datetime(2026, 1, 1))


def test_an_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        LocalTime("Mars/Olympus")


@pytest.mark.parametrize(
    ("first", "last", "days"),
    [
        # Across the spring change: 23 hours fewer elapsed, still one local day apart.
        (utc(2026, 3, 28, 12), utc(2026, 3, 29, 11), 1),
        # Across the autumn change: 25 hours, one local day.
        (utc(2026, 10, 24, 12), utc(2026, 10, 25, 12), 1),
        # 365 local days later in the day: 365 days and 15 hours elapsed.
        (utc(2024, 3, 10, 8), utc(2025, 3, 10, 23), 365),
        # 00:30 BST is the next local day though UTC still shows the day before.
        (utc(2025, 6, 1, 12), utc(2026, 5, 31, 23, 30), 365),
    ],
)
def test_days_are_counted_on_local_dates(first: datetime, last: datetime, days: int) -> None:
    assert LONDON.days_between(first, last) == days
    assert LONDON.within_days(first, last, days)
    assert not LONDON.within_days(first, last, days - 1)


def test_window_start_is_local_midnight_in_either_season() -> None:
    assert LONDON.window_start(utc(2026, 7, 10, 12), 1) == utc(2026, 7, 8, 23)  # 00:00 BST
    assert LONDON.window_start(utc(2026, 1, 10, 12), 1) == utc(2026, 1, 9, 0)  # 00:00 GMT


@pytest.mark.parametrize(
    ("instant", "age"),
    [
        (utc(2026, 6, 14, 22, 59), 17),  # 23:59 BST on the eve of the 18th birthday
        (utc(2026, 6, 14, 23, 30), 18),  # 00:30 BST on the 18th birthday (UTC: the day before)
        (utc(2026, 6, 15, 0, 1), 18),
    ],
)
def test_age_turns_at_local_midnight_in_summer(instant: datetime, age: int) -> None:
    assert LONDON.age_on(date(2008, 6, 15), instant) == age


def test_age_in_winter_and_on_29_february() -> None:
    assert LONDON.age_on(date(2008, 12, 15), utc(2026, 12, 15, 0, 1)) == 18
    assert LONDON.age_on(date(2008, 12, 15), utc(2026, 12, 14, 23, 59)) == 17
    leapling = date(2008, 2, 29)
    assert LONDON.age_on(leapling, utc(2026, 2, 28, 12)) == 17
    assert LONDON.age_on(leapling, utc(2026, 3, 1, 0, 0)) == 18


def test_months_keep_the_local_wall_clock_across_a_change() -> None:
    # 10:00 GMT on 10 January -> 10:00 BST on 10 April (09:00 UTC).
    assert LONDON.add_months(utc(2026, 1, 10, 10), 3) == utc(2026, 4, 10, 9)
    # Clipped to the month's end.
    assert LONDON.add_months(utc(2026, 1, 31, 10), 1) == utc(2026, 2, 28, 10)


@pytest.mark.parametrize(
    ("start", "shown"),
    [
        (datetime(2025, 3, 20, 10, 0, tzinfo=UTC), "2025-04-17 10:00 BST"),  # spring forward
        (datetime(2025, 10, 10, 9, 0, tzinfo=UTC), "2025-11-07 10:00 GMT"),  # autumn back
    ],
)
def test_days_keep_the_local_wall_clock_across_a_change(start: datetime, shown: str) -> None:
    london = LocalTime()
    later = london.add_days(start, 28)
    assert london.show(later) == shown
    assert london.days_between(start, later) == 28
    assert later - start != timedelta(days=28)  # an hour more or less than 28 elapsed days


def test_the_utc_clock_is_the_old_elapsed_model() -> None:
    assert UTC_TIME.show(utc(2026, 7, 1, 0, 30)) == "2026-07-01 00:30 UTC"
    assert UTC_TIME.days_between(utc(2026, 6, 30, 23, 30), utc(2026, 7, 1, 0, 30)) == 1


# -- the rules on local dates ---------------------------------------------------------------


def _three(first: datetime, third: datetime) -> tuple:
    evs = (event(1, first), event(2, first + timedelta(days=100)), event(3, third))
    return tuple(involved(e) for e in evs)


@pytest.mark.parametrize(
    ("first", "third", "fires"),
    [
        # 365 local days, later in the day (elapsed 365 d 14 h): within 12 months.
        (utc(2025, 1, 10, 8), utc(2026, 1, 10, 22), True),
        # 365 local days across the spring change: 00:30 BST, still 19 March in UTC.
        (utc(2025, 3, 20, 12), utc(2026, 3, 19, 23, 30), True),
        # 366 local days: not within.
        (utc(2025, 1, 10, 8), utc(2026, 1, 11, 0, 5), False),
    ],
)
def test_potential_escalation_counts_local_dates(
    first: datetime, third: datetime, fires: bool
) -> None:
    found = fired(person(involvements=_three(first, third)), "MARAC-POTENTIAL-ESCALATION")
    assert bool(found) is fires


def test_repeat_marac_counts_local_dates() -> None:
    ref = referral(9, "marac", utc(2025, 2, 1, 9), event_id=1)
    incident = event(2, utc(2026, 2, 1, 21))  # 365 local days later, in the evening
    history = person(
        involvements=(involved(event(1, utc(2025, 1, 31, 20))), involved(incident)),
        referrals=(ref,),
    )
    (f,) = fired(history, "MARAC-REPEAT")
    assert "2026-02-01 21:00 GMT" in f.explanation


def test_return_at_0030_on_18th_birthday_needs_no_return_home_interview() -> None:
    from tests.unit.rules_facts import episode

    dob = date(2008, 6, 15)
    ep = episode(1, utc(2026, 6, 13, 20), found_at=utc(2026, 6, 14, 23, 30))  # 00:30 BST, 18th
    assert fired(person(dob=dob, missing=(ep,)), "MISSING-RHI-OFFERED") == []
    ep17 = episode(1, utc(2026, 6, 13, 20), found_at=utc(2026, 6, 14, 22, 30))  # 23:30 BST, 17
    (f,) = fired(person(dob=dob, missing=(ep17,)), "MISSING-RHI-OFFERED")
    assert "child aged 17" in f.explanation and "23:30 BST" in f.explanation


@pytest.mark.parametrize(
    ("earlier", "later", "within"),
    [
        (date(2023, 3, 10), date(2024, 3, 10), True),  # 12 months across 29 Feb: 366 days
        (date(2023, 3, 10), date(2024, 3, 11), False),
        (date(2025, 2, 1), date(2026, 2, 1), True),  # 12 months, no 29 Feb: 365 days
        (date(2025, 2, 1), date(2026, 2, 2), False),
        (date(2023, 2, 28), date(2024, 2, 29), False),  # 28 Feb + 12 months is 28 Feb 2024
        (date(2023, 3, 1), date(2024, 2, 29), True),
        (date(2024, 2, 29), date(2025, 2, 28), True),  # 29 Feb + 12 months clips to 28 Feb
        (date(2024, 2, 29), date(2025, 3, 1), False),
    ],
)
def test_a_365_day_window_is_12_calendar_months_across_a_leap_day(
    earlier: date, later: date, within: bool
) -> None:
    noon = LONDON.start_of(earlier) + timedelta(hours=12)
    evening = LONDON.start_of(later) + timedelta(hours=20)
    assert LONDON.within_days(noon, evening, 365) is within
    assert (LONDON.window_start(evening, 365) <= noon) is within


def test_a_90_day_window_is_plain_local_days_across_a_leap_day() -> None:
    end = LONDON.start_of(date(2024, 3, 30)) + timedelta(hours=10)
    assert LONDON.window_start(end, 90) == LONDON.start_of(date(2023, 12, 31))


def test_repeat_marac_is_due_12_calendar_months_after_the_referral_across_a_leap_day() -> None:
    ref = referral(9, "marac", utc(2023, 3, 10, 9), event_id=1)
    on_the_day = event(2, utc(2024, 3, 10, 21))  # 366 local days later: 12 months
    history = person(
        involvements=(involved(event(1, utc(2023, 3, 9, 20))), involved(on_the_day)),
        referrals=(ref,),
    )
    (f,) = fired(history, "MARAC-REPEAT")
    assert "2024-03-10 21:00 GMT" in f.explanation
    day_after = event(2, utc(2024, 3, 11, 21))
    history = person(
        involvements=(involved(event(1, utc(2023, 3, 9, 20))), involved(day_after)),
        referrals=(ref,),
    )
    assert fired(history, "MARAC-REPEAT") == []
