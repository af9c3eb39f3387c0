"""Working hours, working days and school days in England and Wales; bank holidays from `holidays`.

Every clock in the rules (MASH RAG working hours, Victims' Code working days, Operation Encompass
"before the start of the next school day") runs on a :class:`WorkingCalendar`. Bank holidays come
from the maintained ``holidays`` library (England, or Wales), never from a hand-typed list.
Inputs and outputs are timezone-aware UTC datetimes; the arithmetic happens in local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SUBDIVISIONS = {
    "england": "ENG",
    "wales": "WLS",
    "scotland": "SCT",
    "northern_ireland": "NIR",
}
"""The UK nations whose bank holidays ``holidays`` knows (England and Wales is the default)."""


@lru_cache(maxsize=64)
def bank_holidays(year: int, subdiv: str = "ENG") -> frozenset[date]:
    """The bank holidays (with substitute days) of one year in one UK nation (ENG, WLS, SCT,
    NIR)."""
    return frozenset(holidays.country_holidays("GB", subdiv=subdiv, years=year).keys())


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; working-time arithmetic needs aware datetimes")
    return at


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working hours (Monday to Friday, not bank holidays) and school days in one nation.

    Args:
        region: ``england`` (default), ``wales``, ``scotland`` or ``northern_ireland``
            (bank holidays differ).
        timezone: the local clock the working day is set in.
        day_start, day_end: the working day, local time.
        school_day_start: when the school day starts (Operation Encompass deadline).
        school_closures: extra non-school days (term holidays, INSET days) as inclusive ranges
            ``(local authority, first, last)``; authority ``*`` closes every authority's schools
            (see :mod:`safeguard.rules.school_calendar`).
        local_authority: the authority whose closures apply to an event with no area of its
            own, or whose area is not in ``area_authorities`` (``*``: only the common ones).
        area_authorities: ``(event area, local authority)`` pairs.
    """

    region: str = "england"
    timezone: str = "Europe/London"
    day_start: time = time(9, 0)
    day_end: time = time(17, 0)
    school_day_start: time = time(8, 30)
    school_closures: tuple[tuple[str, date, date], ...] = field(default=())
    local_authority: str = "*"
    area_authorities: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.region not in SUBDIVISIONS:
            raise ValueError(
                f"unknown region {self.region!r}; expected one of {', '.join(SUBDIVISIONS)}"
            )
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours_per_day(self) -> float:
        start = datetime.combine(date(2000, 1, 1), self.day_start)
        end = datetime.combine(date(2000, 1, 1), self.day_end)
        return (end - start).total_seconds() / 3600

    def is_bank_holiday(self, day: date) -> bool:
        return day in bank_holidays(day.year, SUBDIVISIONS[self.region])

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a bank holiday."""
        return day.weekday() < 5 and not self.is_bank_holiday(day)

    def authority_of(self, area: str | None) -> str:
        """The local authority whose school calendar applies to an event in ``area``."""
        if area is not None:
            for name, authority in self.area_authorities:
                if name == area:
                    return authority
        return self.local_authority

    def is_school_day(self, day: date, authority: str = "*") -> bool:
        """A working day outside the school closures of ``authority`` (and the common ``*``)."""
        if not self.is_working_day(day):
            return False
        return not any(
            first <= day <= last and who in ("*", authority)
            for who, first, last in self.school_closures
        )

    def _local(self, at: datetime) -> datetime:
        return _aware(at).astimezone(self.tz)

    def _utc(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``start``.

        Time outside working hours does not count: a clock started on a Friday evening before a
        bank-holiday Monday starts running at the start of Tuesday's working day.
        """
        if hours < 0:
            raise ValueError("hours must not be negative")
        local = self._local(start)
        day = local.date()
        remaining = timedelta(hours=hours)
        clock = local.replace(tzinfo=None)
        while True:
            if self.is_working_day(day):
                open_at = datetime.combine(day, self.day_start)
                close_at = datetime.combine(day, self.day_end)
                begin = max(clock, open_at)
                if begin < close_at:
                    available = close_at - begin
                    if remaining <= available:
                        end = begin + remaining
                        return end.replace(tzinfo=self.tz).astimezone(UTC)
                    remaining -= available
            day += timedelta(days=1)
            clock = datetime.combine(day, time(0, 0))

    def working_days_deadline(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after the day of ``start``.

        "Within 1 working day" of an arrest on a Friday afternoon before a bank-holiday Monday
        means by the end of Tuesday's working day.
        """
        if days < 1:
            raise ValueError("days must be at least 1")
        day = self._local(start).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self._utc(day, self.day_end)

    def next_school_day_start(self, at: datetime, authority: str = "*") -> datetime:
        """The start of the first school day (of ``authority``'s schools) that begins after
        ``at``."""
        local = self._local(at)
        day = local.date()
        if not (self.is_school_day(day, authority) and local.time() < self.school_day_start):
            day += timedelta(days=1)
            while not self.is_school_day(day, authority):
                day += timedelta(days=1)
        return self._utc(day, self.school_day_start)


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on ``day`` (a birthday on ``day`` counts; 29 Feb turns on 1 Mar)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clipped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
