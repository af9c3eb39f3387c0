"""Triage of work: each item's priority from risk and lateness, its state, the due windows a
list can be cut to, and grouping per person so that a child appears once with all that is due.

Pure: the worklist service reads the findings and their assignments and hands them here.

Priority is a number from 0 to 100, higher first::

    risk of the person (their highest open finding, or the risk model's band where it exists)
    + severity of the item itself
    + lateness (overdue grows with how late; due within a day or three days counts too)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class WorkState(StrEnum):
    """Where an item of work stands: new (nobody has it), assigned (an owner has it),
    acknowledged (the owner is on it), done (completed: it leaves the list)."""

    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"


class DueWindow(StrEnum):
    """How far ahead a list looks: overdue only, due within a day, within a week, or all."""

    OVERDUE = "overdue"
    DAY = "24h"
    WEEK = "7d"
    ANY = "any"


DUE_WINDOW_LABELS: dict[DueWindow, str] = {
    DueWindow.ANY: "Any time",
    DueWindow.OVERDUE: "Overdue now",
    DueWindow.DAY: "Due within 24 hours",
    DueWindow.WEEK: "Due within 7 days",
}

_LEVEL = {"high": 3, "medium": 2, "low": 1}


def level(grade: str | None) -> int:
    """0 to 3 for a severity, grade or band (high 3, medium 2, low 1, none or unknown 0)."""
    return _LEVEL.get((grade or "").lower(), 0)


#: A procedure's lateness adds points to its priority: 30 once overdue, one more for every 12
#: hours late up to 50 (ten days); 20 when due within a day, 10 within three days.
LATE_STEP = timedelta(hours=12)
LATE_STEPS_MAX = 20


def lateness_steps(now: datetime) -> list[tuple[datetime, bool, int]]:
    """The lateness points as steps on the due time, most points first: an item due before
    (``strict``) or at the step's time takes its points. One definition for
    :func:`lateness` (which works the same steps out directly) and the database's ordering
    (``adapters.db.work_queue``)."""
    steps: list[tuple[datetime, bool, int]] = [
        (now - k * LATE_STEP, False, 30 + k) for k in range(LATE_STEPS_MAX, 0, -1)
    ]
    steps.append((now, True, 30))
    steps.append((now + timedelta(hours=24), False, 20))
    steps.append((now + timedelta(hours=72), False, 10))
    return steps


def lateness(due_at: datetime | None, now: datetime) -> int:
    """Points for how late (or how soon due) an item is at ``now`` (0 without a clock).

    Examples:
        >>> from datetime import UTC
        >>> t = datetime(2026, 12, 7, 9, tzinfo=UTC)
        >>> [lateness(t - timedelta(days=d), t) for d in (30, 2, 0.25)]
        [50, 34, 30]
        >>> [lateness(t + timedelta(hours=h), t) for h in (0, 24, 72, 73)]
        [20, 20, 10, 0]
    """
    if due_at is None:
        return 0
    # The steps of :func:`lateness_steps`, worked out directly (called for every item shown).
    if due_at < now:
        return 30 + min(LATE_STEPS_MAX, (now - due_at) // LATE_STEP)
    if due_at <= now + timedelta(hours=24):
        return 20
    if due_at <= now + timedelta(hours=72):
        return 10
    return 0


def priority(
    *,
    severity: str,
    person_risk: str | None,
    due_at: datetime | None,
    now: datetime,
    band: str | None = None,
) -> int:
    """How urgent an item is, 0 to 100.

    Args:
        severity: the rule's severity (high, medium, low).
        person_risk: the person's highest open severity (their risk on the worklists).
        due_at: when the item is due (None: no clock).
        now: the time of the list.
        band: the risk model's band for the person, where it has one (it can raise the
            person's risk, never lower it).

    Examples:
        >>> from datetime import UTC
        >>> t = datetime(2026, 12, 7, 9, tzinfo=UTC)
        >>> priority(severity="high", person_risk="high", due_at=t - timedelta(days=2), now=t)
        88
        >>> priority(severity="low", person_risk=None, due_at=t + timedelta(days=9), now=t)
        4
    """
    risk = max(level(person_risk), level(band))
    return clamp(10 * risk + 10 * level(severity) - 6 + lateness(due_at, now))


def clamp(score: int) -> int:
    """A priority kept between 0 and 100."""
    return max(0, min(100, score))


def urgency_label(score: int) -> str:
    """Words for a priority: urgent (70 and over), high (40 and over), routine."""
    if score >= 70:
        return "urgent"
    if score >= 40:
        return "high"
    return "routine"


def in_window(due_at: datetime | None, window: DueWindow, now: datetime) -> bool:
    """Whether an item due at ``due_at`` falls in ``window`` (an item with no clock only in
    "any")."""
    if window is DueWindow.ANY:
        return True
    if due_at is None:
        return False
    if window is DueWindow.OVERDUE:
        return due_at < now
    ahead = timedelta(hours=24) if window is DueWindow.DAY else timedelta(days=7)
    return due_at < now + ahead


def state_of(status: str, owner_user: str | None) -> WorkState:
    """The work state from a finding's status (open, acknowledged, resolved or closed) and
    whether a person owns it."""
    if status in ("resolved", "closed"):
        return WorkState.DONE
    if status == "acknowledged":
        return WorkState.ACKNOWLEDGED
    return WorkState.ASSIGNED if owner_user else WorkState.NEW


@dataclass(frozen=True, slots=True)
class Task:
    """One thing due for a person (a finding with its clock, owner and state)."""

    finding_id: int
    person_id: int
    rule_id: str
    title: str
    category: str
    severity: str
    due_at: datetime | None
    state: WorkState
    owner_team: str | None
    owner_user: str | None
    area: str | None
    priority: int
    overdue: bool = False
    person_risk: str | None = None


@dataclass(frozen=True, slots=True)
class PersonWork:
    """A person on a worklist once, with every task due for them, most urgent first."""

    person_id: int
    tasks: tuple[Task, ...]
    priority: int
    next_due: datetime | None
    risk: str | None = None
    band: str | None = None

    @property
    def overdue_count(self) -> int:
        return sum(1 for t in self.tasks if t.overdue)


def _task_order(t: Task) -> tuple[int, float, int]:
    due = t.due_at.timestamp() if t.due_at is not None else float("inf")
    return (-t.priority, due, t.finding_id)


def group_by_person(
    tasks: Iterable[Task],
    *,
    risks: dict[int, str] | None = None,
    bands: dict[int, str] | None = None,
) -> list[PersonWork]:
    """One entry per person, most urgent person first (their most urgent task, then the
    earliest due, then the person id so the order is stable)."""
    by_person: dict[int, list[Task]] = {}
    for t in tasks:
        by_person.setdefault(t.person_id, []).append(t)
    out = []
    for pid, found in by_person.items():
        found.sort(key=_task_order)
        dues = [t.due_at for t in found if t.due_at is not None]
        out.append(
            PersonWork(
                person_id=pid,
                tasks=tuple(found),
                priority=found[0].priority,
                next_due=min(dues) if dues else None,
                risk=(risks or {}).get(pid) or found[0].person_risk,
                band=(bands or {}).get(pid),
            )
        )
    out.sort(
        key=lambda w: (
            -w.priority,
            w.next_due.timestamp() if w.next_due is not None else float("inf"),
            w.person_id,
        )
    )
    return out


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a grouped list, with exact totals."""

    people: Sequence[PersonWork]
    page: int
    pages: int
    total_people: int
    total_tasks: int
    per_page: int = field(default=25)


def paginate(grouped: Sequence[PersonWork], page: int, per_page: int) -> Page:
    """Page ``page`` (from 1; past the end gives the last page) of ``grouped``."""
    per_page = max(1, per_page)
    pages = max(1, -(-len(grouped) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return Page(
        people=grouped[start : start + per_page],
        page=page,
        pages=pages,
        total_people=len(grouped),
        total_tasks=sum(len(w.tasks) for w in grouped),
        per_page=per_page,
    )
