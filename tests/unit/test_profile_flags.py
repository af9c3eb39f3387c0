"""The profile's flags count the rules' windows on the force's local dates, as the rules do: an
incident on the first local day of the window counts whatever its hour, and the screen agrees
with DA-REPEAT-VICTIM at the boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from safeguard.domain.clocks import Clocks
from safeguard.domain.history import PersonHistory
from safeguard.domain.local_time import LocalTime, first_day_within
from safeguard.services.people import Profile, _flags
from tests.unit.rules_facts import episode, event, fired, involved, person

LONDON = LocalTime("Europe/London")


def _profile() -> Profile:
    return Profile(
        person_id=1,
        restricted=False,
        names=[],
        dates_of_birth=[],
        sexes=[],
        postcodes=[],
        mention_ids=[],
    )


def _codes(history_now: tuple[PersonHistory, datetime]) -> set[str]:
    history, now = history_now
    return {f.code for f in _flags(_profile(), history, now, Clocks(), LONDON)}


def test_a_victim_flag_counts_the_first_local_day_of_the_window_whatever_the_hour() -> None:
    now = datetime(2025, 7, 20, 22, 0, tzinfo=UTC)  # 23:00 BST on 20 July 2025
    first = first_day_within(LONDON.local_date(now), Clocks().repeat_da_window_days)
    early = LONDON.start_of(first).replace(minute=30)  # 00:30 BST on the window's first day
    assert (now - early).days >= 365  # more than 365 elapsed days: elapsed time would miss it
    e1, e2 = event(1, early), event(2, datetime(2025, 7, 1, 12, tzinfo=UTC))
    history = person(involvements=(involved(e1), involved(e2)), events={1: e1, 2: e2})
    assert "repeat_da_victim" in _codes((history, now))
    e0 = event(1, LONDON.start_of(first) - timedelta(minutes=30))  # 23:30 the day before
    outside = person(involvements=(involved(e0), involved(e2)), events={1: e0, 2: e2})
    assert "repeat_da_victim" not in _codes((outside, now))
    # the rule's window ends at the later incident; on the same dates it counts the same way
    e3 = event(3, now)
    same_day = person(involvements=(involved(e1), involved(e3)), events={1: e1, 3: e3})
    assert fired(same_day, "DA-REPEAT-VICTIM")


def test_a_repeat_missing_flag_counts_local_dates_across_the_clock_change() -> None:
    now = datetime(2025, 3, 31, 22, 30, tzinfo=UTC)  # 23:30 BST, 31 March, after spring forward
    first = first_day_within(LONDON.local_date(now), Clocks().repeat_missing_window_days)
    start = LONDON.start_of(first)  # 00:00 GMT on the window's first day
    episodes = (
        episode(1, start),
        episode(2, datetime(2025, 2, 15, 12, tzinfo=UTC)),
        episode(3, datetime(2025, 3, 20, 12, tzinfo=UTC)),
    )
    assert "repeat_missing" in _codes((person(missing=episodes), now))
    outside = (episode(1, start - timedelta(minutes=1)), *episodes[1:])
    assert "repeat_missing" not in _codes((person(missing=outside), now))
