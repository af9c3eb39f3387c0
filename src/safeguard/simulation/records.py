"""Rows of one chunk, built as interchange records, plus the truth that goes with them.

Time inside the simulator is a float count of days from the start of the period (day 0 at
00:00 UTC). Nothing is written after the end of the period: a step scheduled later simply has
not happened yet when the force exports its data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import holidays
import numpy as np

from safeguard.interchange.schema import SCHEMA_VERSION
from safeguard.simulation import geography as geo
from safeguard.simulation.config import SimulationConfig
from safeguard.simulation.draws import Uniforms
from safeguard.simulation.noise import MentionNoise
from safeguard.simulation.population import Population


class Ids:
    """Source ids, unique across the run: the chunk number, then a counter per prefix, so
    chunks can be generated independently (and in parallel) with the same result."""

    def __init__(self, chunk: int) -> None:
        self._chunk = f"{chunk:04d}-"
        self._n: dict[str, int] = defaultdict(int)

    def next(self, prefix: str) -> str:
        self._n[prefix] += 1
        return f"{prefix}{self._chunk}{self._n[prefix]:06d}"


#: "HH:MM:SS" for every second of a day: formatting times is the simulator's commonest step.
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]


class Clock:
    """Day numbers to ISO 8601 text, and England's working days (with bank holidays)."""

    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.days = (end - start).days
        self._base = datetime(start.year, start.month, start.day, tzinfo=UTC)
        years = range(start.year, end.year + 2)
        bank = sorted(holidays.country_holidays("GB", subdiv="ENG", years=years))
        self._holidays = np.array(bank, dtype="datetime64[D]")
        self._day0 = np.datetime64(start.isoformat(), "D")

        # Working days (weekdays that are not bank holidays) as day numbers, and for each day
        # the index of the first working day on or after it: offsets become list look-ups.
        span = np.arange(self.days + 800)
        working = np.is_busday(self._day0 + span.astype("timedelta64[D]"), holidays=self._holidays)
        workdays = np.flatnonzero(working)
        self._workdays: list[int] = workdays.tolist()
        self._next_workday: list[int] = np.searchsorted(workdays, span).tolist()
        self._dates = [(start + timedelta(days=d)).isoformat() for d in range(self.days + 800)]

    def iso(self, day: float) -> str:
        """``2024-03-01T21:15:00Z`` for a day number (to the second)."""
        d, rem = divmod(round(day * 86_400), 86_400)
        return f"{self.date_iso(d)}T{_HMS[rem]}Z"

    def date_iso(self, day: float) -> str:
        d = int(day)
        if 0 <= d < len(self._dates):
            return self._dates[d]
        return (self.start + timedelta(days=d)).isoformat()

    def is_working_day(self, day: float) -> bool:
        return self._workdays[self._next_workday[int(day)]] == int(day)

    def working_day_offset(self, day: float, n: int) -> int:
        """The day number ``n`` working days after ``day`` (0 = that day or the next working)."""
        return self._workdays[self._next_workday[int(day)] + n]


@dataclass
class ChunkRecords:
    """Interchange rows (per record type) and truth rows produced for one chunk."""

    cfg: SimulationConfig
    rng: np.random.Generator
    pop: Population
    ids: Ids
    clock: Clock
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    truth_mentions: list[tuple[str, str, int]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    missing_outcomes: list[dict[str, Any]] = field(default_factory=list)
    #: (person, day, offence code) of every crime with a known suspect, and (person, day) of
    #: every crime victim, for the risk of the domestic-abuse pairs simulated after them.
    offending: list[tuple[int, float, str]] = field(default_factory=list)
    victimisations: list[tuple[int, float]] = field(default_factory=list)
    _locations: dict[tuple[str, int], str] = field(default_factory=dict)
    _members: dict[int, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.u = Uniforms(self.rng)
        self.noise = MentionNoise(self.u, self.cfg.rates, self.clock.start)

    @property
    def end(self) -> float:
        return float(self.clock.days)

    def add(
        self, record_type: str, system: str, source_id: str, recorded: float, **fields: Any
    ) -> str:
        row: dict[str, Any] = {
            "record_type": record_type,
            "schema_version": SCHEMA_VERSION,
            "source_system": system,
            "source_id": source_id,
            "recorded_at": self.clock.iso(min(recorded, self.end)),
        }
        row.update(fields)  # None means null: the writers leave it empty or out
        self.rows[record_type].append(row)
        return source_id

    def mention(self, i: int, day: float, system: str | None = None) -> str:
        """A new person_mention of person ``i`` (noisy, as recorded on ``day``)."""
        system = system or self.cfg.police_system
        sid = self.ids.next("PM" if system == self.cfg.police_system else "CP")
        self.add("person_mention", system, sid, day + 0.02, **self.noise.fields(self.pop, i, day))
        self.truth_mentions.append((system, sid, self.pop.key(i)))
        return sid

    def household_location(self, i: int, day: float, system: str | None = None) -> str:
        """The location row of the address person ``i`` lived at on ``day`` (one per address)."""
        system = system or self.cfg.police_system
        hk = self.pop.household[i]
        moved = 0 <= self.pop.moved_day[i] <= day
        key = (system, -hk - 1 if moved else hk)
        if key in self._locations:
            return self._locations[key]
        address, postcode = self.pop.address_on(i, int(day))
        _, _, town, east, north = self.pop.household_addresses[hk]
        kind = "care_home" if hk in self.pop.care_homes else "dwelling"
        sid = self.ids.next("L")
        self.add(
            "location",
            system,
            sid,
            0.0,
            address=address,
            postcode=postcode,
            location_kind=kind,
            area=geo.AREAS[geo.TOWNS[town].area],
            beat=f"{geo.TOWNS[town].name} {1 + hk % 4}",
            easting=None if moved else east,
            northing=None if moved else north,
        )
        self._locations[key] = sid
        return sid

    def public_location(self, town: int, day: float) -> str:
        key = (self.cfg.police_system, 10**12 + town * 100 + self.u.below(20))
        if key in self._locations:
            return self._locations[key]
        t = geo.TOWNS[town]
        sid = self.ids.next("L")
        self.add(
            "location",
            self.cfg.police_system,
            sid,
            day,
            address=f"Town centre, {t.name}",
            location_kind="public_place",
            area=geo.AREAS[t.area],
            beat=f"{t.name} centre",
        )
        self._locations[key] = sid
        return sid

    def event(
        self,
        event_type: str,
        occurred: float,
        *,
        reported: float,
        area: int,
        team_kind: str,
        location: str | None,
        recorded: float | None = None,
        **fields: Any,
    ) -> str:
        team, officer = self.officer(area, team_kind)
        sid = self.ids.next("E")
        self.add(
            "event",
            self.cfg.police_system,
            sid,
            recorded if recorded is not None else reported,
            event_type=event_type,
            occurred_at=self.clock.iso(occurred),
            reported_at=self.clock.iso(reported),
            location_ref=location,
            area=geo.AREAS[area],
            team=team,
            officer_id=officer,
            **fields,
        )
        return sid

    def involve(
        self, event: str, mention: str, role: str, day: float, relationship: str | None = None
    ) -> str:
        return self.add(
            "involvement",
            self.cfg.police_system,
            self.ids.next("I"),
            day + 0.02,
            event_ref=event,
            mention_ref=mention,
            role=role,
            relationship_to_suspect=relationship,
        )

    def officer(self, area: int, kind: str) -> tuple[str, str]:
        """(team, staff id) of an officer of a team of ``kind`` serving ``area``."""
        team = kind if kind in geo.FORCE_TEAMS else geo.team_name(area, kind)
        return team, geo.officer_id(geo.team_index(area, kind), self.u.below(geo.OFFICERS_PER_TEAM))

    def household_members(self, household: int) -> list[int]:
        """Local indices of everyone in ``household`` (an index built on first use)."""
        if not self._members:
            for i, h in enumerate(self.pop.household):
                self._members.setdefault(h, []).append(i)
        return self._members.get(household, [])

    def area_of(self, i: int) -> int:
        return geo.TOWNS[self.pop.town[i]].area
