"""Triage: priority from risk and lateness, due windows, states, one line per person, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safeguard.domain.triage import (
    DueWindow,
    Task,
    WorkState,
    group_by_person,
    in_window,
    lateness,
    lateness_steps,
    level,
    paginate,
    priority,
    state_of,
    urgency_label,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def task(
    fid: int, pid: int, *, due: datetime | None, sev: str = "medium", risk: str | None = None
) -> Task:
    return Task(
        finding_id=fid,
        person_id=pid,
        rule_id="R",
        title="Rule",
        category="c",
        severity=sev,
        due_at=due,
        state=WorkState.NEW,
        owner_team=None,
        owner_user=None,
        area=None,
        priority=priority(severity=sev, person_risk=risk, due_at=due, now=NOW),
        overdue=due is not None and due < NOW,
        person_risk=risk,
    )


def test_an_overdue_item_outranks_one_due_next_week_at_the_same_risk() -> None:
    late = priority(
        severity="medium", person_risk="medium", due_at=NOW - timedelta(hours=1), now=NOW
    )
    soon = priority(
        severity="medium", person_risk="medium", due_at=NOW + timedelta(hours=2), now=NOW
    )
    later = priority(
        severity="medium", person_risk="medium", due_at=NOW + timedelta(days=2), now=NOW
    )
    week = priority(
        severity="medium", person_risk="medium", due_at=NOW + timedelta(days=7), now=NOW
    )
    assert late > soon > later > week


def test_the_longer_overdue_the_higher_up_to_ten_days() -> None:
    def p(days: float) -> int:
        return priority(
            severity="low", person_risk=None, due_at=NOW - timedelta(days=days), now=NOW
        )

    assert p(1) < p(5) < p(10) == p(30)


def test_higher_risk_people_come_first_and_the_model_band_can_raise_never_lower() -> None:
    due = NOW + timedelta(days=5)
    high = priority(severity="medium", person_risk="high", due_at=due, now=NOW)
    low = priority(severity="medium", person_risk="low", due_at=due, now=NOW)
    assert high > low
    assert priority(severity="medium", person_risk="low", due_at=due, now=NOW, band="high") == high
    assert priority(severity="medium", person_risk="high", due_at=due, now=NOW, band="low") == high


def test_priority_stays_between_0_and_100_and_has_words() -> None:
    top = priority(severity="high", person_risk="high", due_at=NOW - timedelta(days=99), now=NOW)
    assert top == 100 and urgency_label(top) == "urgent"
    assert priority(severity="none", person_risk=None, due_at=None, now=NOW) == 0
    assert urgency_label(50) == "high" and urgency_label(10) == "routine"
    assert level("HIGH") == 3 and level(None) == 0


@pytest.mark.parametrize(
    ("due", "window", "inside"),
    [
        (NOW - timedelta(minutes=1), DueWindow.OVERDUE, True),
        (NOW + timedelta(minutes=1), DueWindow.OVERDUE, False),
        (NOW + timedelta(hours=23), DueWindow.DAY, True),
        (NOW + timedelta(hours=25), DueWindow.DAY, False),
        (NOW + timedelta(days=6), DueWindow.WEEK, True),
        (NOW + timedelta(days=8), DueWindow.WEEK, False),
        (None, DueWindow.WEEK, False),
        (None, DueWindow.ANY, True),
    ],
)
def test_due_windows(due: datetime | None, window: DueWindow, inside: bool) -> None:
    assert in_window(due, window, NOW) is inside


def test_the_state_follows_the_finding_and_its_owner() -> None:
    assert state_of("open", None) is WorkState.NEW
    assert state_of("open", "pc_patel") is WorkState.ASSIGNED
    assert state_of("acknowledged", None) is WorkState.ACKNOWLEDGED
    assert state_of("resolved", "pc_patel") is WorkState.DONE


def test_a_child_appears_once_with_all_that_is_due_most_urgent_person_first() -> None:
    tasks = [
        task(1, 10, due=NOW + timedelta(days=3)),
        task(2, 20, due=NOW - timedelta(days=1), sev="high", risk="high"),
        task(3, 10, due=NOW - timedelta(hours=2)),
        task(4, 30, due=None, sev="low"),
    ]
    grouped = group_by_person(tasks)
    assert [w.person_id for w in grouped] == [20, 10, 30]
    child = grouped[1]
    assert [t.finding_id for t in child.tasks] == [3, 1]
    assert child.next_due == NOW - timedelta(hours=2)
    assert child.overdue_count == 1
    assert grouped[0].risk == "high"


def test_paging_gives_exact_totals_and_clamps_the_page() -> None:
    grouped = group_by_person([task(i, i, due=NOW + timedelta(hours=i)) for i in range(1, 8)])
    first = paginate(grouped, 1, 3)
    assert (first.pages, first.total_people, first.total_tasks) == (3, 7, 7)
    assert [w.person_id for w in first.people] == [1, 2, 3]
    last = paginate(grouped, 99, 3)
    assert last.page == 3 and [w.person_id for w in last.people] == [7]
    assert paginate([], 1, 25).pages == 1


def _by_steps(due: datetime, now: datetime) -> int:
    for at, strict, points in lateness_steps(now):
        if due < at or (not strict and due == at):
            return points
    return 0


def test_lateness_worked_out_directly_is_the_steps_the_database_orders_by() -> None:
    # Every 12-hour step and either side of it, both windows ahead and beyond, to the second.
    offsets = {
        timedelta(hours=h) + timedelta(seconds=s) for h in range(-12 * 23, 80) for s in (-1, 0, 1)
    }
    for offset in offsets:
        due = NOW + offset
        assert lateness(due, NOW) == _by_steps(due, NOW), offset
    assert lateness(None, NOW) == 0
