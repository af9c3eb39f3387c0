"""Compute every board figure from plain facts, following the definitions in
``board_definitions``.

Pure: the service turns stored records into the facts of :mod:`safeguard.domain.board_facts`
(re-exported here; people already resolved to ``PersonKey``), and this module counts. Each
figure is computed for each period given, from the
same facts, so the trend and the period always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from safeguard.domain import board_clocked
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
from safeguard.domain.board_facts import (  # re-exported: the facts the figures count
    Assessment,
    BoardFacts,
    Incident,
    MissingEpisode,
    ProcedureCell,
    ProcedureOutcome,
    ProcedureTally,
    RawReport,
    Referral,
    SplitRow,
    SurveyResponse,
    VictimContact,
    by_period,
    count_procedures,
    rate_of,
)

__all__ = [
    "Assessment", "BoardFacts", "Incident", "MissingEpisode", "ProcedureCell",
    "ProcedureOutcome", "ProcedureTally", "RawReport", "Referral", "SplitRow",
    "SurveyResponse", "VictimContact", "compute", "count_procedures",
]  # fmt: skip

from safeguard.domain.local_time import LocalTime
from safeguard.domain.working_time import WorkingCalendar

CSE_INSTRUMENT = "cse-seraf"
CSE_GRADES = ("low", "medium", "significant", "serious")
MAIN_STRANDS = ("race", "religion", "sexual_orientation", "disability", "transgender")
_T = TypeVar("_T")
EXPLOITATION_KINDS = {
    "child_sexual_exploitation": "sexual",
    "child_criminal_exploitation": "criminal",
}


def _repeats(
    incidents: Sequence[Incident],
    periods: Sequence[Period],
    days: int,
    clock: LocalTime,
    min_incidents: int = 2,
) -> list[tuple[int, int]]:
    """(repeat victims, victims) for victims of ``incidents`` in each period: a victim repeats
    at an incident with at least ``min_incidents`` of theirs (it included) in the ``days`` local
    dates up to it, as the rules DA-REPEAT-VICTIM and HATE-REPEAT-VICTIM count (dates, not
    elapsed hours: :meth:`LocalTime.window_start`)."""
    by_person: dict[PersonKey, list[tuple[datetime, int]]] = defaultdict(list)
    for inc in incidents:
        for v in inc.victims:
            by_person[v].append((inc.occurred_at, inc.event_id))
    counts = [(0, 0)] * len(periods)
    for times in by_person.values():
        times.sort()
        for k, in_period in enumerate(by_period(times, _first, periods)):
            if not in_period:
                continue
            repeat = any(
                1 + sum(1 for t0, e0 in times if start <= t0 and (t0, e0) < (t, e)) >= min_incidents
                for t, e in in_period
                for start in (clock.window_start(t, days),)
            )
            rep, vic = counts[k]
            counts[k] = (rep + repeat, vic + 1)
    return counts


def _first(pair: tuple[datetime, int]) -> datetime:
    return pair[0]


def _da(facts: BoardFacts, periods: list[Period], clock: LocalTime, out: RawReport) -> None:
    clocks = facts.clocks
    marac_days = clocks.marac_repeat_window_days
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
        by_period(da, lambda i: i.occurred_at, periods),
        _repeats(da, periods, clocks.repeat_da_window_days, clock, clocks.repeat_da_min_incidents),
        by_period(dash, lambda a: a.completed_at, periods),
        by_period(marac, lambda r: r.made_at, periods),
        strict=True,
    ):
        out.figures["da.incidents"].append(Value(count=len(here)))
        out.figures["da.repeat_victims"].append(Value(numerator=rep, denominator=vic))
        out.figures["da.dash_completion"].append(
            rate_of(i.event_id in dash_events for i in here if i.victims)
        )
        graded = [a.final_grade for a in dash_here]
        out.breakdowns["da.risk_grades"].append([graded.count(g) for g in grades])
        out.figures["marac.referrals"].append(Value(count=len(m_here)))
        out.breakdowns["marac.routes"].append(
            [sum(1 for r in m_here if (r.route or "not_recorded") == c) for c in routes]
        )
        out.figures["marac.repeat_rate"].append(
            rate_of(
                r.subject is not None
                and any(
                    t < r.made_at and clock.within_days(t, r.made_at, marac_days)
                    for t in marac_by_subject[r.subject]
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


def _missing(facts: BoardFacts, periods: list[Period], clock: LocalTime, out: RawReport) -> None:
    clocks = facts.clocks
    days = clocks.repeat_missing_window_days
    by_person: dict[PersonKey, list[tuple[datetime, int]]] = defaultdict(list)
    for ep in facts.missing:
        by_person[ep.person].append((ep.reported_at, ep.id))
    # MISSING-REPEAT: at an episode, at least min_episodes of the person's (it included) within
    # the window's local dates up to it.
    repeat_at = {
        ep.id
        for ep in facts.missing
        for start in (clock.window_start(ep.reported_at, days),)
        if sum(
            1 for t, i in by_person[ep.person] if start <= t and (t, i) <= (ep.reported_at, ep.id)
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
            rate_of(ep.risk_grade == "high" for ep in graded)
        )
        out.breakdowns["missing.risk_grades"].append(
            [sum(1 for ep in here if (ep.risk_grade or "not_graded") == g) for g in grades]
        )
        returned = [
            ep for ep in facts.missing if ep.rhi_due_at is not None and p.contains(ep.found_at)
        ]
        out.figures["missing.rhi_72h"].append(
            rate_of(
                ep.rhi_done_at is not None
                and ep.rhi_due_at is not None
                and ep.rhi_done_at <= ep.rhi_due_at
                for ep in returned
            )
        )


def _grade_rank(grade: str | None) -> int | None:
    return CSE_GRADES.index(grade) if grade in CSE_GRADES else None


def _exploitation(
    facts: BoardFacts, periods: list[Period], clock: LocalTime, out: RawReport
) -> None:
    # Due SCREENING_DUE_DAYS local dates after the concern (the force's dates, as every rule
    # counts them, not elapsed hours): in time when done from the local day before the concern
    # to the due date, whatever the hour or a clock change in between.
    def due_at(at: datetime) -> datetime:
        return clock.add_days(at, SCREENING_DUE_DAYS)

    def in_time(at: datetime, done: datetime) -> bool:
        return -1 <= clock.days_between(at, done) <= SCREENING_DUE_DAYS

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
    hate_days, hate_min = (
        facts.clocks.repeat_hate_window_days,
        facts.clocks.repeat_hate_min_incidents,
    )
    for rep, vic in _repeats(hate, periods, hate_days, clock, hate_min):
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
        due_here = [(who, at) for who, at in due if p.contains(due_at(at))]
        out.figures["exploitation.screenings_due"].append(Value(count=len(due_here)))
        out.figures["exploitation.screened_in_time"].append(
            rate_of(any(in_time(at, t) for t in screened[who]) for who, at in due_here)
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
    for here in by_period(facts.assessments, lambda a: a.completed_at, periods):
        comparable = [a for a in here if a.computed_grade and a.officer_grade]
        out.figures["judgement.differs_from_computed"].append(
            rate_of(a.officer_grade != a.computed_grade for a in comparable)
        )
        reviewed = [a for a in here if a.reviewed_grade and a.officer_grade]
        out.figures["judgement.changed_on_review"].append(
            rate_of(a.reviewed_grade != a.officer_grade for a in reviewed)
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
    clock = LocalTime(cal.timezone)  # windows count the force's local dates, as the rules do
    _da(facts, plist, clock, out)
    _missing(facts, plist, clock, out)
    _exploitation(facts, plist, clock, out)
    _judgement(facts, plist, out)
    board_clocked.hub(facts, plist, cal, out)
    board_clocked.victims(facts, plist, cal, out)
    board_clocked.procedures(facts, plist, out)
    return out
