"""Compute every board figure from plain facts, following the definitions in ``board``.

Pure: the service turns stored records into the facts below (people already resolved to
``PersonKey``), and this module counts. Each figure is computed for each period given, from the
same facts, so the trend and the period always agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from safeguard.domain.board import (
    BREAKDOWN_BY_ID,
    BREAKDOWNS,
    FIGURES,
    SCREENING_DUE_DAYS,
    Period,
    PersonKey,
    Value,
    median,
)
from safeguard.domain.clocks import Clocks
from safeguard.domain.victims import RIGHT6_TRIGGERS
from safeguard.domain.working_time import WorkingCalendar

CSE_INSTRUMENT = "cse-seraf"
CSE_GRADES = ("low", "medium", "significant", "serious")
MAIN_STRANDS = ("race", "religion", "sexual_orientation", "disability", "transgender")
_T = TypeVar("_T")
EXPLOITATION_KINDS = {
    "child_sexual_exploitation": "sexual",
    "child_criminal_exploitation": "criminal",
}


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


def _rate(pairs: Iterable[bool]) -> Value:
    items = list(pairs)
    return Value(numerator=sum(items), denominator=len(items))


def _by_period(
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


def _repeats(
    incidents: Sequence[Incident],
    periods: Sequence[Period],
    window: timedelta,
    min_incidents: int = 2,
) -> list[tuple[int, int]]:
    """(repeat victims, victims) for victims of ``incidents`` in each period: a victim repeats
    at an incident with at least ``min_incidents`` of theirs (it included) in ``window`` up to
    it, as the rules DA-REPEAT-VICTIM and HATE-REPEAT-VICTIM count."""
    by_person: dict[PersonKey, list[tuple[datetime, int]]] = defaultdict(list)
    for inc in incidents:
        for v in inc.victims:
            by_person[v].append((inc.occurred_at, inc.event_id))
    counts = [(0, 0)] * len(periods)
    for times in by_person.values():
        times.sort()
        for k, in_period in enumerate(_by_period(times, _first, periods)):
            if not in_period:
                continue
            repeat = any(
                1 + sum(1 for t0, e0 in times if t - window <= t0 and (t0, e0) < (t, e))
                >= min_incidents
                for t, e in in_period
            )
            rep, vic = counts[k]
            counts[k] = (rep + repeat, vic + 1)
    return counts


def _first(pair: tuple[datetime, int]) -> datetime:
    return pair[0]


def _da(facts: BoardFacts, periods: list[Period], out: RawReport) -> None:
    clocks = facts.clocks
    window = timedelta(days=clocks.repeat_da_window_days)
    marac_window = timedelta(days=clocks.marac_repeat_window_days)
    da = [i for i in facts.incidents if i.is_domestic_abuse]
    dash_events = {a.event_id for a in facts.assessments if a.is_dash and a.event_id is not None}
    marac = [r for r in facts.referrals if r.referral_type == "marac"]
    marac_by_subject: dict[PersonKey, list[datetime]] = defaultdict(list)
    for r in marac:
        if r.subject is not None:
            marac_by_subject[r.subject].append(r.made_at)
    grades = BREAKDOWN_BY_ID["da.risk_grades"].categories
    routes = BREAKDOWN_BY_ID["marac.routes"].categories
    dash = [a for a in facts.assessments if a.is_dash]
    for here, (rep, vic), dash_here, m_here in zip(
        _by_period(da, lambda i: i.occurred_at, periods),
        _repeats(da, periods, window, clocks.repeat_da_min_incidents),
        _by_period(dash, lambda a: a.completed_at, periods),
        _by_period(marac, lambda r: r.made_at, periods),
        strict=True,
    ):
        out.figures["da.incidents"].append(Value(count=len(here)))
        out.figures["da.repeat_victims"].append(Value(numerator=rep, denominator=vic))
        out.figures["da.dash_completion"].append(
            _rate(i.event_id in dash_events for i in here if i.victims)
        )
        graded = [a.final_grade for a in dash_here]
        out.breakdowns["da.risk_grades"].append([graded.count(g) for g in grades])
        out.figures["marac.referrals"].append(Value(count=len(m_here)))
        out.breakdowns["marac.routes"].append(
            [sum(1 for r in m_here if (r.route or "not_recorded") == c) for c in routes]
        )
        out.figures["marac.repeat_rate"].append(
            _rate(
                r.subject is not None
                and any(
                    r.made_at - marac_window <= t < r.made_at for t in marac_by_subject[r.subject]
                )
                for r in m_here
            )
        )
        days = [
            (r.made_at - r.event_occurred_at).total_seconds() / 86400
            for r in m_here
            if r.event_occurred_at is not None and r.made_at >= r.event_occurred_at
        ]
        out.figures["marac.days_to_referral"].append(Value(count=len(days), measure=median(days)))


def _missing(facts: BoardFacts, periods: list[Period], out: RawReport) -> None:
    clocks = facts.clocks
    window = timedelta(days=clocks.repeat_missing_window_days)
    by_person: dict[PersonKey, list[tuple[datetime, int]]] = defaultdict(list)
    for ep in facts.missing:
        by_person[ep.person].append((ep.reported_at, ep.id))
    # MISSING-REPEAT: at an episode, at least min_episodes of the person's (it included) within
    # the window up to it.
    repeat_at = {
        ep.id
        for ep in facts.missing
        if sum(
            1
            for t, i in by_person[ep.person]
            if ep.reported_at - window <= t and (t, i) <= (ep.reported_at, ep.id)
        )
        >= clocks.repeat_missing_min_episodes
    }
    grades = BREAKDOWN_BY_ID["missing.risk_grades"].categories
    for p in periods:
        here = [ep for ep in facts.missing if p.contains(ep.reported_at)]
        out.figures["missing.episodes"].append(Value(count=len(here)))
        children = {ep.person for ep in here if ep.child}
        out.figures["missing.children"].append(Value(count=len(children)))
        repeat = {ep.person for ep in here if ep.child and ep.id in repeat_at}
        out.figures["missing.repeat_children"].append(Value(count=len(repeat)))
        graded = [ep for ep in here if ep.risk_grade]
        out.figures["missing.high_risk_share"].append(
            _rate(ep.risk_grade == "high" for ep in graded)
        )
        out.breakdowns["missing.risk_grades"].append(
            [sum(1 for ep in here if (ep.risk_grade or "not_graded") == g) for g in grades]
        )
        returned = [
            ep for ep in facts.missing if ep.rhi_due_at is not None and p.contains(ep.found_at)
        ]
        out.figures["missing.rhi_72h"].append(
            _rate(
                ep.rhi_done_at is not None
                and ep.rhi_due_at is not None
                and ep.rhi_done_at <= ep.rhi_due_at
                for ep in returned
            )
        )


def _grade_rank(grade: str | None) -> int | None:
    return CSE_GRADES.index(grade) if grade in CSE_GRADES else None


def _exploitation(facts: BoardFacts, periods: list[Period], out: RawReport) -> None:
    due_after = timedelta(days=SCREENING_DUE_DAYS)
    concerns = [i for i in facts.incidents if i.event_type in EXPLOITATION_KINDS]
    screenings = sorted(
        (a for a in facts.assessments if a.instrument_id == CSE_INSTRUMENT),
        key=lambda a: (a.completed_at, a.id),
    )
    screened: dict[PersonKey, list[datetime]] = defaultdict(list)
    history: dict[PersonKey, list[Assessment]] = defaultdict(list)
    for a in screenings:
        if a.subject is not None:
            screened[a.subject].append(a.completed_at)
            history[a.subject].append(a)
    # One screening due per child and concern: exploitation events' victims, and children missing
    # in an episode where exploitation concerns were recorded.
    due: list[tuple[PersonKey, datetime]] = [
        (v, c.occurred_at) for c in concerns for v in c.victims
    ]
    due += [
        (ep.person, ep.reported_at) for ep in facts.missing if ep.exploitation_flag and ep.child
    ]
    hate = [i for i in facts.incidents if i.is_hate]
    hate_window = timedelta(days=facts.clocks.repeat_hate_window_days)
    for rep, vic in _repeats(hate, periods, hate_window, facts.clocks.repeat_hate_min_incidents):
        out.figures["hate.repeat_victims"].append(Value(numerator=rep, denominator=vic))
    for p in periods:
        here = [c for c in concerns if p.contains(c.occurred_at)]
        out.figures["exploitation.concerns"].append(Value(count=len(here)))
        out.breakdowns["exploitation.kinds"].append(
            [
                sum(1 for c in here if EXPLOITATION_KINDS[c.event_type] == k)
                for k in BREAKDOWN_BY_ID["exploitation.kinds"].categories
            ]
        )
        done = [a for a in screenings if p.contains(a.completed_at)]
        out.figures["exploitation.screenings_done"].append(Value(count=len(done)))
        due_here = [(who, at) for who, at in due if p.contains(at + due_after)]
        out.figures["exploitation.screenings_due"].append(Value(count=len(due_here)))
        out.figures["exploitation.screened_in_time"].append(
            _rate(
                any(at - timedelta(days=1) <= t <= at + due_after for t in screened[who])
                for who, at in due_here
            )
        )
        movement = [0, 0, 0]
        for a in done:
            if a.subject is None:
                continue
            earlier = [
                b for b in history[a.subject] if (b.completed_at, b.id) < (a.completed_at, a.id)
            ]
            if not earlier:
                continue
            now, before = _grade_rank(a.final_grade), _grade_rank(earlier[-1].final_grade)
            if now is None or before is None:
                continue
            movement[0 if now < before else 1 if now == before else 2] += 1
        out.breakdowns["exploitation.movement"].append(movement)
        h_here = [i for i in hate if p.contains(i.occurred_at)]
        out.figures["hate.incidents"].append(Value(count=len(h_here)))
        strands = BREAKDOWN_BY_ID["hate.strands"].categories
        out.breakdowns["hate.strands"].append(
            [sum(1 for i in h_here if _strand(i.hate_strands) == s) for s in strands]
        )


def _strand(strands: tuple[str, ...]) -> str:
    distinct = set(strands)
    if len(distinct) > 1:
        return "multiple"
    (only,) = distinct
    return only if only in MAIN_STRANDS else "other"


def _judgement(facts: BoardFacts, periods: list[Period], out: RawReport) -> None:
    for here in _by_period(facts.assessments, lambda a: a.completed_at, periods):
        comparable = [a for a in here if a.computed_grade and a.officer_grade]
        out.figures["judgement.differs_from_computed"].append(
            _rate(a.officer_grade != a.computed_grade for a in comparable)
        )
        reviewed = [a for a in here if a.reviewed_grade and a.officer_grade]
        out.figures["judgement.changed_on_review"].append(
            _rate(a.reviewed_grade != a.officer_grade for a in reviewed)
        )
    current = periods[-1]
    here = [a for a in facts.assessments if current.contains(a.completed_at)]
    out.tables["judgement.differs_by_team"] = _split(
        (a.team or "not recorded", a.officer_grade != a.computed_grade)
        for a in here
        if a.computed_grade and a.officer_grade
    )
    out.tables["judgement.review_by_team"] = _split(
        (a.team or "not recorded", a.reviewed_grade != a.officer_grade)
        for a in here
        if a.reviewed_grade and a.officer_grade
    )


def _split(items: Iterable[tuple[str, bool]]) -> list[SplitRow]:
    yes: dict[str, int] = defaultdict(int)
    no: dict[str, int] = defaultdict(int)
    for label, hit in items:
        if hit:
            yes[label] += 1
        else:
            no[label] += 1
    return [SplitRow(k, yes[k], no[k]) for k in sorted(set(yes) | set(no))]


def _hub(
    facts: BoardFacts, periods: list[Period], calendar: WorkingCalendar, out: RawReport
) -> None:
    mash = [r for r in facts.referrals if r.referral_type == "mash"]
    rags = BREAKDOWN_BY_ID["mash.rag"].categories
    for p, here in zip(periods, _by_period(mash, lambda r: r.made_at, periods), strict=True):
        out.figures["mash.contacts"].append(Value(count=len(here)))
        out.breakdowns["mash.rag"].append(
            [sum(1 for r in here if (r.rag or "not_rated") == c) for c in rags]
        )
        clocked = [(r, facts.clocks.mash_due(r.made_at, r.rag or "", calendar)) for r in here]
        out.figures["mash.decided_in_time"].append(
            _rate(
                r.decided_at is not None and r.decided_at <= due
                for r, due in clocked
                if due is not None
            )
        )
        hours = [
            (r.decided_at - r.made_at).total_seconds() / 3600
            for r in here
            if r.decided_at is not None and r.decided_at >= r.made_at
        ]
        out.figures["mash.hours_to_decision"].append(Value(count=len(hours), measure=median(hours)))
        backlog = sum(
            1 for r in mash if r.made_at < p.end and (r.decided_at is None or r.decided_at >= p.end)
        )
        out.figures["mash.backlog"].append(Value(count=backlog))


class _DayDeadlines:
    """Working-day deadlines, memoised: they depend only on the local day the clock starts."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self.cache: dict[tuple[object, int], datetime] = {}

    def __call__(self, start: datetime, days: int) -> datetime:
        key = (start.astimezone(self.tz).date(), days)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self.calendar.working_days_deadline(start, days)
        return found


def _victims(
    facts: BoardFacts, periods: list[Period], calendar: WorkingCalendar, out: RawReport
) -> None:
    deadline = _DayDeadlines(calendar)
    right6 = [
        c
        for c in facts.contacts
        if c.trigger in RIGHT6_TRIGGERS
        and not (c.contacted_at is not None and c.contacted_at < c.trigger_at)
    ]
    clocks = facts.clocks
    support = BREAKDOWN_BY_ID["victims.support"].categories
    for here, refs, surveyed in zip(
        _by_period(right6, lambda c: c.trigger_at, periods),
        _by_period(facts.referrals, lambda r: r.made_at, periods),
        _by_period(facts.responses, lambda s: s.surveyed_at, periods),
        strict=True,
    ):
        out.figures["victims.code_timeliness"].append(
            _rate(
                c.contacted_at is not None
                and c.contacted_at <= deadline(c.trigger_at, clocks.right6_days(c.enhanced))
                for c in here
            )
        )
        counts = [sum(1 for r in refs if r.referral_type == t) for t in support]
        out.breakdowns["victims.support"].append(counts)
        out.figures["victims.idva_referrals"].append(Value(count=counts[0]))
        out.figures["victims.sarc_referrals"].append(Value(count=counts[1]))
        answers = [s.satisfied for s in surveyed]
        out.figures["victims.satisfaction"].append(_rate(answers))
    v = out.figures["victims.satisfaction"][-1]
    out.satisfaction = (v.numerator or 0, v.denominator or 0)


def _procedures(facts: BoardFacts, periods: list[Period], out: RawReport) -> None:
    procs = facts.procedures
    if procs is None:
        for _ in periods:
            out.figures["procedures.compliance"].append(Value())
            out.figures["procedures.overdue"].append(Value())
        return
    tally = procs if isinstance(procs, ProcedureTally) else count_procedures(procs, periods)
    if tally.periods != periods:
        raise ValueError("the procedure counts are for other periods")
    cells = list(tally.cells.items())
    for k in range(len(periods)):
        out.figures["procedures.compliance"].append(
            Value(
                numerator=sum(c.on_time[k] for _, c in cells),
                denominator=sum(c.due[k] for _, c in cells),
            )
        )
        out.figures["procedures.overdue"].append(Value(count=sum(c.overdue[k] for _, c in cells)))
    current = [(key, c.on_time[-1], c.due[-1] - c.on_time[-1]) for key, c in cells if c.due[-1]]
    out.tables["procedures.by_rule"] = _split_counts((rule, y, n) for (rule, _, _), y, n in current)
    out.tables["procedures.by_team"] = _split_counts(
        (f"{area or 'no area'} / {team or 'no team'}", y, n) for (_, area, team), y, n in current
    )
    late: dict[str, int] = defaultdict(int)
    for (rule, _, _), c in cells:
        late[rule] += c.overdue[-1]
    out.overdue_by_rule = [(r, late[r]) for r in sorted(late)]


def _split_counts(items: Iterable[tuple[str, int, int]]) -> list[SplitRow]:
    yes: dict[str, int] = defaultdict(int)
    no: dict[str, int] = defaultdict(int)
    for label, y, n in items:
        yes[label] += y
        no[label] += n
    return [SplitRow(k, yes[k], no[k]) for k in sorted(yes)]


def compute(
    facts: BoardFacts, periods: Sequence[Period], calendar: WorkingCalendar | None = None
) -> RawReport:
    """Every figure, breakdown and table for ``periods`` (oldest first; the last is current).

    Args:
        facts: the records, people resolved; they must reach back a year before the first period
            for the 12-month measures.
        periods: the periods to compute, oldest first.
        calendar: working hours and bank holidays for the clocks (England by default).

    Returns:
        The raw figures; pass them through :func:`safeguard.domain.board_publish.publish`
        before showing them to anyone.
    """
    if not periods:
        raise ValueError("at least one period is needed")
    cal = calendar or WorkingCalendar()
    plist = list(periods)
    out = RawReport(
        periods=plist,
        figures={f.id: [] for f in FIGURES},
        breakdowns={b.id: [] for b in BREAKDOWNS},
        tables={},
        overdue_by_rule=[],
        satisfaction=(0, 0),
        rules_available=facts.procedures is not None,
        linked_share=facts.linked_share,
    )
    _da(facts, plist, out)
    _missing(facts, plist, out)
    _exploitation(facts, plist, out)
    _judgement(facts, plist, out)
    _hub(facts, plist, cal, out)
    _victims(facts, plist, cal, out)
    _procedures(facts, plist, out)
    return out
