"""The board's clocked figures: MASH decisions, Victims' Code updates and the rules engine's
procedure checks, each against the force's clocks (:class:`safeguard.domain.clocks.Clocks`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from safeguard.domain.board import Period, Value, median
from safeguard.domain.board_definitions import BREAKDOWN_BY_ID
from safeguard.domain.board_facts import (
    BoardFacts,
    ProcedureTally,
    RawReport,
    SplitRow,
    by_period,
    count_procedures,
    rate_of,
)
from safeguard.domain.victims import RIGHT6_TRIGGERS
from safeguard.domain.working_time import WorkingCalendar


def hub(
    facts: BoardFacts, periods: list[Period], calendar: WorkingCalendar, out: RawReport
) -> None:
    mash = [r for r in facts.referrals if r.referral_type == "mash"]
    rags = BREAKDOWN_BY_ID["mash.rag"].categories
    for p, here in zip(periods, by_period(mash, lambda r: r.made_at, periods), strict=True):
        out.figures["mash.contacts"].append(Value(count=len(here)))
        out.breakdowns["mash.rag"].append(
            [sum(1 for r in here if (r.rag or "not_rated") == c) for c in rags]
        )
        clocked = [(r, facts.clocks.mash_due(r.made_at, r.rag or "", calendar)) for r in here]
        out.figures["mash.decided_in_time"].append(
            rate_of(
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


def victims(
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
        by_period(right6, lambda c: c.trigger_at, periods),
        by_period(facts.referrals, lambda r: r.made_at, periods),
        by_period(facts.responses, lambda s: s.surveyed_at, periods),
        strict=True,
    ):
        out.figures["victims.code_timeliness"].append(
            rate_of(
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
        out.figures["victims.satisfaction"].append(rate_of(answers))
    v = out.figures["victims.satisfaction"][-1]
    out.satisfaction = (v.numerator or 0, v.denominator or 0)


def procedures(facts: BoardFacts, periods: list[Period], out: RawReport) -> None:
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
