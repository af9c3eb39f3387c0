"""The one time model of the rules: instants in UTC, days and ages on the force's local dates.

Every instant is stored and compared as a timezone-aware UTC datetime. Every rule that speaks of
days, months, years or ages counts on *local dates* in the force's time zone (Europe/London by
default), as the guidance does:

* "within 12 months" / "within 365 days" compares local calendar dates, not elapsed hours: an
  incident at 23:30 on 10 March 2025 is 365 days after one at 08:00 on 10 March 2024, however
  many hours lie between and whatever clock change came in between; a 365-day window is 12
  calendar months, so across a 29 February it is 366 days (:func:`first_day_within`);
* an age is the age on the local date: a child who returns at 00:30 BST on her 18th birthday is
  18 (in UTC it is still 23:30 the day before);
* an explanation shows local time with its zone (``2024-03-31 02:30 BST``).

This module owns those three things; the rules call it and never do date arithmetic on UTC.

Examples:
    >>> from datetime import UTC, datetime
    >>> london = LocalTime()
    >>> birthday_night = datetime(2025, 6, 14, 23, 30, tzinfo=UTC)   # 00:30 BST on 15 June
    >>> london.local_date(birthday_night).isoformat(), london.show(birthday_night)
    ('2025-06-15', '2025-06-15 00:30 BST')
    >>> first, last = datetime(2024, 3, 10, 8, tzinfo=UTC), datetime(2025, 3, 10, 23, tzinfo=UTC)
    >>> london.days_between(first, last)
    365
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from safeguard.domain.working_time import add_months, age_on

DEFAULT_ZONE = "Europe/London"


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError naming it when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name, e.g. Europe/London)"
        ) from None


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; instants must be timezone-aware (UTC)")
    return at


@lru_cache(maxsize=262144)
def _local_date(name: str, at: datetime) -> date:
    return _aware(at).astimezone(zone(name)).date()


@lru_cache(maxsize=262144)
def _show(name: str, at: datetime) -> str:
    # Formatted by hand: strftime costs twice as much, and a full assessment of the
    # default force formats ~700,000 (220,000 per 60,000 histories, measured).
    d = _aware(at).astimezone(zone(name))
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d} {d.tzname()}"


@lru_cache(maxsize=65536)
def _start_of(name: str, day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone(name)).astimezone(UTC)


@lru_cache(maxsize=65536)
def first_day_within(last: date, days: int) -> date:
    """The earliest local date still "within ``days`` days" of ``last`` (both inclusive).

    A window of 365 days (or a multiple) is the guidance's "12 months" (years): it is counted in
    calendar months, so across a 29 February it is 366 days long. An incident on 10 March 2024
    is within 12 months of one on 10 March 2023; one on 11 March 2024 is not. Other lengths
    (e.g. 90 days) are plain local days.

    Examples:
        >>> first_day_within(date(2024, 3, 10), 365).isoformat()
        '2023-03-10'
        >>> first_day_within(date(2026, 2, 1), 365).isoformat()
        '2025-02-01'
        >>> first_day_within(date(2024, 2, 29), 365).isoformat()   # 28 Feb 2023 + 12 months < it
        '2023-03-01'
        >>> first_day_within(date(2026, 4, 4), 90).isoformat()
        '2026-01-04'
    """
    if days <= 0 or days % 365:
        return last - timedelta(days=days)
    months = 12 * (days // 365)
    start = add_months(last, -months)
    if add_months(start, months) < last:  # e.g. 29 February: 28 Feb + 12 months falls short
        start += timedelta(days=1)
    return start


@dataclass(frozen=True, slots=True)
class LocalTime:
    """The force's local clock (an IANA zone name, Europe/London by default)."""

    name: str = DEFAULT_ZONE
    tz: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", zone(self.name))

    def local(self, at: datetime) -> datetime:
        """The instant as a local wall-clock time (aware, in the force's zone)."""
        return _aware(at).astimezone(self.tz)

    def local_date(self, at: datetime) -> date:
        """The local calendar date of an instant."""
        return _local_date(self.name, at)

    def show(self, at: datetime | None) -> str:
        """An instant as officers read it: local date and time with the zone (GMT or BST)."""
        return "-" if at is None else _show(self.name, at)

    def days_between(self, earlier: datetime, later: datetime) -> int:
        """Local calendar days from ``earlier`` to ``later`` (negative when later is earlier)."""
        return (self.local_date(later) - self.local_date(earlier)).days

    def within_days(self, earlier: datetime, later: datetime, days: int) -> bool:
        """``later`` falls on or after ``earlier``'s local date and at most ``days`` local
        dates after it ("within 365 days", the first and the last day inclusive; 365 days is
        12 calendar months, see :func:`first_day_within`)."""
        first, last = _local_date(self.name, earlier), _local_date(self.name, later)
        return first <= last and first_day_within(last, days) <= first

    def window_start(self, end: datetime, days: int) -> datetime:
        """The first instant (UTC) of the first local day of the ``days``-day window ending on
        ``end``'s local day: an instant ``t <= end`` is within the window exactly when
        ``t >= window_start``."""
        return _start_of(self.name, first_day_within(_local_date(self.name, end), days))

    def start_of(self, day: date) -> datetime:
        """The first instant (UTC) of a local date (00:00 local; DST changes here happen at
        01:00 or 02:00, so midnight always exists)."""
        return _start_of(self.name, day)

    def age_on(self, date_of_birth: date, at: datetime) -> int:
        """Age in whole years at an instant, on its local date (see
        :func:`~safeguard.domain.working_time.age_on`: 29 February birthdays turn on 1 March)."""
        return age_on(date_of_birth, self.local_date(at))

    def add_days(self, at: datetime, days: int) -> datetime:
        """The same local wall-clock time ``days`` local dates later, as a UTC instant (28
        days after 10:00 GMT on 20 March 2025 is 10:00 BST on 17 April, one elapsed hour short
        of 28 whole days)."""
        local = self.local(at)
        day = local.date() + timedelta(days=days)
        wall = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=self.tz)
        return wall.astimezone(UTC)

    def add_months(self, at: datetime, months: int) -> datetime:
        """The same local wall-clock time ``months`` calendar months later (clipped to the
        month's end), as a UTC instant: a 3-monthly review of a screening at 10:00 BST is due at
        10:00 GMT three months on, not 09:00."""
        local = self.local(at)
        day = add_months(local.date(), months)
        wall = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=self.tz)
        return wall.astimezone(UTC)


UTC_TIME = LocalTime("UTC")
"""The UTC clock, for tests and for comparing with the old elapsed-time model."""
