"""What the board figures are computed from: plain facts, people already resolved to their
signed ``PersonKey``, and the raw figures before disclosure control.

The service reads them (``services.reports``), :mod:`safeguard.domain.board_figures` counts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from safeguard.domain.board import Period, PersonKey, Value
from safeguard.domain.clocks import Clocks


@dataclass(frozen=True, slots=True)
class Incident:
    """An event with the people who were its victims."""

    event_id: int
    event_type: str
    occurred_at: datetime
    domestic: bool = False
    hate_strands: tuple[str, ...] = ()
    victims: frozenset[PersonKey] = frozenset()
    area: str | None = None
    team: str | None = None

    @property
    def is_domestic_abuse(self) -> bool:
        return self.event_type == "domestic_abuse" or self.domestic

    @property
    def is_hate(self) -> bool:
        return bool(self.hate_strands)


@dataclass(frozen=True, slots=True)
class Assessment:
    """A completed risk instrument; ``computed_grade`` is the instrument's own (actuarial) grade,
    which is compared with ``officer_grade`` (the service computes it only where there is one)."""

    id: int
    instrument_id: str
    completed_at: datetime
    subject: PersonKey | None = None
    event_id: int | None = None
    officer_grade: str | None = None
    reviewed_grade: str | None = None
    computed_grade: str | None = None
    team: str | None = None
    final_grade: str | None = None  # safeguard.domain.assessments.grading: the one definition

    @property
    def is_dash(self) -> bool:
        return self.instrument_id.startswith("dash-")


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral; ``decided_at`` is its first decision status (MASH contacts)."""

    id: int
    referral_type: str
    made_at: datetime
    subject: PersonKey | None = None
    event_id: int | None = None
    event_occurred_at: datetime | None = None
    route: str | None = None
    rag: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MissingEpisode:
    """A missing episode; ``rhi_due_at`` is set for a child's return the RHI clock applies to
    (age on the day found within the clock's ages, dates in order), ``rhi_done_at`` when an
    interview was offered or held."""

    id: int
    person: PersonKey
    reported_at: datetime
    child: bool | None
    found_at: datetime | None = None
    risk_grade: str | None = None
    exploitation_flag: bool = False
    rhi_offered_at: datetime | None = None
    rhi_due_at: datetime | None = None
    rhi_done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VictimContact:
    id: int
    trigger: str
    trigger_at: datetime
    enhanced: bool
    contacted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    surveyed_at: datetime
    satisfied: bool


@dataclass(frozen=True, slots=True)
class ProcedureOutcome:
    """One procedure the rules engine found due: by when, and when (if ever) it was done."""

    rule_id: str
    due_at: datetime
    done_at: datetime | None = None
    area: str | None = None
    team: str | None = None

    @property
    def on_time(self) -> bool:
        return self.done_at is not None and self.done_at <= self.due_at


@dataclass(slots=True)
class ProcedureCell:
    """One rule, area and team's procedure checks, counted for each period (oldest first).

    ``due[k]``: checks due in period k; ``on_time[k]``: of those, done by their due time;
    ``overdue[k]``: checks due before period k ends and not done by its end.
    """

    due: list[int]
    on_time: list[int]
    overdue: list[int]


@dataclass(slots=True)
class ProcedureTally:
    """Procedure checks counted by (rule, area, team) for ``periods``: all the figures need.

    The rules engine stores hundreds of thousands of checks; the database counts them (see
    ``services.reports``) and :func:`count_procedures` counts a list of outcomes the same way.
    Every check counted has a cell, even one that falls in no period (its rule is still listed).
    """

    periods: list[Period]
    cells: dict[tuple[str, str | None, str | None], ProcedureCell] = field(default_factory=dict)

    def cell(self, rule_id: str, area: str | None, team: str | None) -> ProcedureCell:
        found = self.cells.get((rule_id, area, team))
        if found is None:
            n = len(self.periods)
            found = self.cells[(rule_id, area, team)] = ProcedureCell([0] * n, [0] * n, [0] * n)
        return found


def count_procedures(
    outcomes: Iterable[ProcedureOutcome], periods: Sequence[Period]
) -> ProcedureTally:
    """The procedure counts, by definition: each outcome against each period."""
    tally = ProcedureTally(list(periods))
    for c in outcomes:
        cell = tally.cell(c.rule_id, c.area, c.team)
        for k, p in enumerate(periods):
            if p.contains(c.due_at):
                cell.due[k] += 1
                cell.on_time[k] += c.on_time
            if c.due_at < p.end and (c.done_at is None or c.done_at >= p.end):
                cell.overdue[k] += 1
    return tally


@dataclass(slots=True)
class BoardFacts:
    """Everything the figures are computed from. ``procedures`` is None when no rules have run;
    otherwise the outcomes themselves, or their counts for the periods being computed."""

    incidents: list[Incident] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    missing: list[MissingEpisode] = field(default_factory=list)
    contacts: list[VictimContact] = field(default_factory=list)
    responses: list[SurveyResponse] = field(default_factory=list)
    procedures: list[ProcedureOutcome] | ProcedureTally | None = None
    linked_share: float | None = None  # share of person mentions linked to a person
    clocks: Clocks = field(default_factory=Clocks)  # the force's rules settings


@dataclass(frozen=True, slots=True)
class SplitRow:
    """One row of a rate table: how many of ``label``'s cases met the measure, how many not."""

    label: str
    yes: int
    no: int


@dataclass(slots=True)
class RawReport:
    """Every figure for every period, before disclosure control. Never rendered as it is."""

    periods: list[Period]
    figures: dict[str, list[Value]]
    breakdowns: dict[str, list[list[int]]]
    tables: dict[str, list[SplitRow]]
    overdue_by_rule: list[tuple[str, int]]
    satisfaction: tuple[int, int]  # current period: satisfied, responses
    rules_available: bool
    linked_share: float | None = None


_T = TypeVar("_T")


def rate_of(pairs: Iterable[bool]) -> Value:
    items = list(pairs)
    return Value(numerator=sum(items), denominator=len(items))


def by_period(
    items: Iterable[_T], when: Callable[[_T], datetime | None], periods: Sequence[Period]
) -> list[list[_T]]:
    """``items`` in each period (``period.contains(when(item))``), in their order.

    One pass over the items: for periods in order that do not overlap (as the report's are),
    a binary search finds an item's period; otherwise each period is tried.
    """
    out: list[list[_T]] = [[] for _ in periods]
    ordered = all(a.end <= b.start for a, b in zip(periods, periods[1:], strict=False))
    starts = [p.start for p in periods]
    for item in items:
        t = when(item)
        if t is None:
            continue
        if ordered:
            k = bisect_right(starts, t) - 1
            if k >= 0 and t < periods[k].end:
                out[k].append(item)
        else:
            for k, p in enumerate(periods):
                if p.contains(t):
                    out[k].append(item)
    return out
