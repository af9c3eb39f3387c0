"""Executive Board report: periods, values, rates, Wilson intervals and trends.

Every figure is defined once in :mod:`safeguard.domain.board_definitions` (re-exported here);
:mod:`safeguard.domain.board_figures` computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from safeguard.domain.board_definitions import (  # re-exported: the report's vocabulary
    BREAKDOWN_BY_ID,
    BREAKDOWNS,
    FIGURE_BY_ID,
    FIGURES,
    REPEAT_WINDOW_DAYS,
    SCREENING_DUE_DAYS,
    SECTIONS,
    Better,
    BreakdownDefinition,
    FigureDefinition,
    Unit,
)
from safeguard.domain.local_time import DEFAULT_ZONE, LocalTime

__all__ = [
    "BREAKDOWNS",
    "BREAKDOWN_BY_ID",
    "CONFIDENCE_Z",
    "FIGURES",
    "FIGURE_BY_ID",
    "REPEAT_WINDOW_DAYS",
    "SCREENING_DUE_DAYS",
    "SECTIONS",
    "Better",
    "BreakdownDefinition",
    "FigureDefinition",
    "Interval",
    "Period",
    "PersonKey",
    "Trend",
    "Unit",
    "Value",
    "median",
    "previous_periods",
    "trend",
    "wilson_interval",
]

CONFIDENCE_Z = 1.959963984540054  # 95 %

# People are counted by the signed form of their key (``PersonKey.signed``: ``people.id`` once
# linked, minus the mention id before): see :class:`safeguard.domain.history.PersonKey`.
PersonKey = int


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period ``[start, end)`` of whole local days in the force's zone, held as UTC
    instants and named by its first and last local day.

    The days are the force's (Europe/London by default), as every rule counts them: "April"
    starts at 00:00 BST on 1 April (23:00 UTC on 31 March), so an incident at 00:30 on
    1 April is April's, not March's.
    """

    start: datetime
    end: datetime
    zone: str = DEFAULT_ZONE

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs timezone-aware datetimes")
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts: {self.start} .. {self.end}")

    @classmethod
    def from_dates(cls, first: date, last: date, zone: str = DEFAULT_ZONE) -> Period:
        """The period from local midnight at the start of ``first`` to local midnight at the end
        of ``last`` (both days included), in the zone ``zone``."""
        if last < first:
            raise ValueError(f"--to {last} is before --from {first}")
        clock = LocalTime(zone)
        return cls(clock.start_of(first), clock.start_of(last + timedelta(days=1)), zone)

    @property
    def clock(self) -> LocalTime:
        return LocalTime(self.zone)

    @property
    def first_day(self) -> date:
        return self.clock.local_date(self.start)

    @property
    def last_day(self) -> date:
        return self.clock.local_date(self.end - timedelta(microseconds=1))

    @property
    def label(self) -> str:
        """A short human label: ``Mar 2026``, ``Jan-Mar 2026``, ``2025-26`` or the two dates."""
        months = _whole_months(self)
        f, last = self.first_day, self.last_day
        if months == 1:
            return f.strftime("%b %Y")
        if months == 12 and f.month == 1:
            return str(f.year)
        if months is not None and months <= 12 and f.year == last.year:
            return f"{f.strftime('%b')}-{last.strftime('%b %Y')}"
        if months == 12:
            return f"{f.strftime('%b %Y')}-{last.strftime('%b %Y')}"
        return f"{f.isoformat()} to {last.isoformat()}"

    @property
    def short_label(self) -> str:
        """A label short enough for a chart axis: ``Mar 25``, ``Jan-Mar 25``, ``2025``."""
        months = _whole_months(self)
        f, last = self.first_day, self.last_day
        if months == 1:
            return f.strftime("%b %y")
        if months == 12 and f.month == 1:
            return str(f.year)
        if months is not None and months < 12:
            return f"{f.strftime('%b')}-{last.strftime('%b %y')}"
        if months is not None:
            return f"{f.strftime('%b %y')}-{last.strftime('%b %y')}"
        return f"{f.strftime('%d %b %y')}-{last.strftime('%d %b %y')}"

    def contains(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _whole_months(period: Period) -> int | None:
    clock = period.clock
    f, nxt = period.first_day, clock.local_date(period.end)
    if f.day != 1 or nxt.day != 1:
        return None
    if period.start != clock.start_of(f) or period.end != clock.start_of(nxt):
        return None
    return (nxt.year - f.year) * 12 + nxt.month - f.month


def previous_periods(period: Period, count: int) -> list[Period]:
    """The ``count`` periods of the same length before ``period``, oldest first.

    A period of whole calendar months steps back by calendar months (a quarter's previous
    period is the previous quarter); any other period steps back by its length in days.
    """
    months = _whole_months(period)
    out: list[Period] = []
    for k in range(count, 0, -1):
        if months is not None:
            first = _add_months(period.first_day, -months * k)
            nxt = _add_months(period.first_day, -months * (k - 1))
            out.append(Period.from_dates(first, nxt - timedelta(days=1), period.zone))
        else:
            length = (period.last_day - period.first_day).days + 1
            first = period.first_day - timedelta(days=length * k)
            out.append(Period.from_dates(first, first + timedelta(days=length - 1), period.zone))
    return out


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def wilson_interval(successes: int, n: int, z: float = CONFIDENCE_Z) -> Interval:
    """The Wilson score interval for a proportion (95 % by default).

    Examples:
        >>> i = wilson_interval(8, 10)
        >>> round(i.low, 4), round(i.high, 4)
        (0.4902, 0.9433)
    """
    if n <= 0:
        raise ValueError("a confidence interval needs at least one response")
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} outside 0..{n}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Value:
    """A figure's value for one period, before disclosure control.

    ``numerator``/``denominator`` for rates; ``count`` for counts; ``measure`` for medians
    (with ``count`` the number of cases it is the median of).
    """

    count: int | None = None
    numerator: int | None = None
    denominator: int | None = None
    measure: float | None = None

    @property
    def rate(self) -> float | None:
        if self.numerator is None or not self.denominator:
            return None
        return self.numerator / self.denominator


Direction = Literal["up", "down", "same", "unknown"]
Verdict = Literal["better", "worse", "steady", "none"]


@dataclass(frozen=True, slots=True)
class Trend:
    """How a figure moved from the previous period to this one."""

    direction: Direction
    verdict: Verdict
    change: float | None


def trend(current: float | None, previous: float | None, better: Better, unit: Unit) -> Trend:
    """Compare two published values; rates move in percentage points.

    A change smaller than 1 percentage point (rates) or 5 % (counts, times) is ``same``.
    """
    if current is None or previous is None:
        return Trend("unknown", "none", None)
    delta = current - previous
    if unit == "rate":
        steady = abs(delta) < 0.01
    elif previous == 0:
        steady = delta == 0
    else:
        steady = abs(delta) / abs(previous) < 0.05
    if steady:
        return Trend("same", "steady" if better else "none", delta)
    direction: Direction = "up" if delta > 0 else "down"
    if better is None:
        return Trend(direction, "none", delta)
    good = (direction == "up") == (better == "higher")
    return Trend(direction, "better" if good else "worse", delta)


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
