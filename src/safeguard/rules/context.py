"""The evaluation context the rule checks share: scored assessments, helpers, and the output."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from safeguard.domain.assessments import Catalogue, Instrument, ScoreResult, grade
from safeguard.domain.history import AssessmentFact, EventFact, PersonHistory
from safeguard.domain.local_time import LocalTime
from safeguard.domain.working_time import WorkingCalendar
from safeguard.errors import ValidationFailed
from safeguard.rules.config import Param, RulesConfig
from safeguard.rules.findings import Finding, ProcedureCheck
from safeguard.rules.rules import RULES_BY_ID


def when(at: datetime | None, clock: LocalTime | None = None) -> str:
    """An instant as officers read it in an explanation: local time with its zone."""
    return (clock or _LONDON).show(at)


_LONDON = LocalTime()


@dataclass(frozen=True, slots=True)
class Phrase:
    """Part of an explanation, written out only when a finding is raised.

    Most procedure checks are done in time, and their trigger sentence is then never read, so
    it is not built for them: formatting local times was the time model's main cost (the
    default force formats ~220,000 instants per 60,000 histories, most for checks done in
    time). Instants among the values are shown in the force's local time with its zone.
    """

    template: str
    values: tuple[tuple[str, object], ...]

    def render(self, clock: LocalTime) -> str:
        return self.template.format_map(
            {k: clock.show(v) if isinstance(v, datetime) else v for k, v in self.values}
        )


def phrase(template: str, **values: object) -> Phrase:
    """``template`` (``str.format`` fields) with ``values``, formatted when a finding needs it."""
    return Phrase(template, tuple(values.items()))


_DEADLINES: dict[tuple[WorkingCalendar, date, int], datetime] = {}


def working_days_deadline(cal: WorkingCalendar, start: datetime, days: int) -> datetime:
    """:meth:`WorkingCalendar.working_days_deadline`, memoised: the answer depends only on the
    local day of ``start``, and a full run asks for the same few thousand days again and again.
    """
    if start.tzinfo is None:
        raise ValueError("naive datetime given; working-time arithmetic needs aware datetimes")
    key = (cal, start.astimezone(cal.tz).date(), days)
    found = _DEADLINES.get(key)
    if found is None:
        found = cal.working_days_deadline(start, days)
        if len(_DEADLINES) < 100_000:
            _DEADLINES[key] = found
    return found


@dataclass(slots=True)
class Scored:
    """One stored assessment with its score, or the reason it could not be scored."""

    fact: AssessmentFact
    instrument: Instrument | None
    result: ScoreResult | None
    error: str | None

    @property
    def complete(self) -> bool:
        return self.result is not None and self.result.state == "complete"

    @property
    def is_da_instrument(self) -> bool:
        return self.instrument is not None and self.instrument.marac_threshold_grade is not None


@dataclass(slots=True)
class Context:
    history: PersonHistory
    config: RulesConfig
    catalogue: Catalogue
    scored: list[Scored] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    checks: dict[str, ProcedureCheck] = field(default_factory=dict)
    enhanced_cache: dict[int | None, list[str]] = field(default_factory=dict)
    event_cache: dict[tuple[tuple[str, ...], Callable[[EventFact], bool]], list[EventFact]] = field(
        default_factory=dict
    )

    @property
    def clock(self) -> LocalTime:
        """The force's local clock: every day, month and age in a rule is counted on it."""
        return self.config.local_time

    def when(self, at: datetime | None) -> str:
        """An instant in an explanation: local time with its zone (e.g. ``BST``)."""
        return self.config.local_time.show(at)

    def local_date(self, at: datetime) -> date:
        return self.config.local_time.local_date(at)

    def age_at(self, at: datetime) -> int | None:
        """The person's age at an instant, on its local date."""
        return self.history.age_at(self.config.local_time.local_date(at))

    def p(self, rule_id: str, name: str) -> Param:
        return self.config.of(rule_id)[name]

    def n(self, rule_id: str, name: str) -> int:
        return int(self.config.params[rule_id][name])

    def version(self, rule_id: str) -> str:
        return self.config.versions[rule_id]

    def key(self, rule_id: str, anchor: str) -> str:
        return f"{rule_id}|{self.history.person_key}|{anchor}"

    def flag(
        self,
        rule_id: str,
        anchor: str,
        explanation: str,
        *,
        event: EventFact | None = None,
        scored: Scored | None = None,
        facts: dict[str, object] | None = None,
    ) -> None:
        rule = RULES_BY_ID[rule_id]
        key = self.key(rule_id, anchor)
        self.findings[key] = Finding(
            key=key,
            rule_id=rule_id,
            rule_version=self.version(rule_id),
            person_key=self.history.person_key,
            category=rule.category,
            kind=rule.kind,
            severity=rule.severity,
            explanation=explanation,
            event_id=event.event_id if event else None,
            instrument_id=scored.fact.instrument_id if scored else None,
            instrument_version=scored.fact.instrument_version if scored else None,
            area=event.area if event else None,
            team=event.team if event else None,
            facts=facts or {},
        )

    def procedure(
        self,
        rule_id: str,
        anchor: str,
        *,
        trigger: str | Phrase,
        trigger_at: datetime,
        due_at: datetime,
        done_at: datetime | None,
        what: str,
        event: EventFact | None = None,
        scored: Scored | None = None,
        facts: dict[str, object] | None = None,
    ) -> None:
        """Record a check; raise a finding unless the procedure was done by its due time."""
        rule = RULES_BY_ID[rule_id]
        key = self.key(rule_id, anchor)
        self.checks[key] = ProcedureCheck(
            key=key,
            rule_id=rule_id,
            rule_version=self.version(rule_id),
            person_key=self.history.person_key,
            trigger_at=trigger_at,
            due_at=due_at,
            done_at=done_at,
            event_id=event.event_id if event else None,
            area=event.area if event else None,
            team=event.team if event else None,
        )
        if done_at is not None and done_at <= due_at:
            return
        state = "not done" if done_at is None else f"done late at {self.when(done_at)}"
        if isinstance(trigger, Phrase):
            trigger = trigger.render(self.clock)
        self.findings[key] = Finding(
            key=key,
            rule_id=rule_id,
            rule_version=self.version(rule_id),
            person_key=self.history.person_key,
            category=rule.category,
            kind=rule.kind,
            severity=rule.severity,
            explanation=f"{trigger}: {what} due by {self.when(due_at)}; {state}.",
            event_id=event.event_id if event else None,
            due_at=due_at,
            done_at=done_at,
            satisfied=done_at is not None,
            instrument_id=scored.fact.instrument_id if scored else None,
            instrument_version=scored.fact.instrument_version if scored else None,
            area=event.area if event else None,
            team=event.team if event else None,
            facts={"trigger_at": trigger_at.isoformat(), **(facts or {})},
        )


def score_fact(
    fact: AssessmentFact, history: PersonHistory, config: RulesConfig, catalogue: Catalogue
) -> Scored:
    """One stored assessment scored as the engine scores it: the force's instruments, the final
    grade (a review raises, nothing lowers), the person's age and the date on the force's local
    date (SERAF's under-13 floor). The one place an assessment is graded: the rules and the
    person's risk view both call it, so they cannot show two grades for one child."""
    instrument = catalogue.find(fact.instrument_id, fact.instrument_version)
    if instrument is None:
        try:
            catalogue.get(fact.instrument_id, fact.instrument_version)
        except ValidationFailed as exc:
            return Scored(fact, None, None, str(exc))
        raise AssertionError("unreachable: find() and get() disagree")  # pragma: no cover
    day = config.local_time.local_date(fact.completed_at)
    try:
        result = grade(
            instrument,
            fact.answers,
            fact.officer_grade,
            fact.reviewed_grade,
            fact.rationale,
            subject_age=history.age_at(day),
            assessed_on=day,
        )
    except ValidationFailed as exc:
        return Scored(fact, instrument, None, str(exc))
    return Scored(fact, instrument, result, None)


def score_all(ctx: Context) -> None:
    for fact in ctx.history.assessments:
        ctx.scored.append(score_fact(fact, ctx.history, ctx.config, ctx.catalogue))


def known_at(event: EventFact) -> datetime:
    """When the force knew of an event: its report, when that came after it occurred.

    A duty cannot fall due before the police could know of the incident, so an incident
    reported long after it occurred starts its clocks (DASH, MARAC referral, Operation
    Encompass) at the report; windows such as "3 incidents in 12 months" still count the dates
    the incidents occurred.
    """
    reported = event.reported_at
    return reported if reported is not None and reported > event.occurred_at else event.occurred_at


def reported_late(event: EventFact) -> datetime | None:
    """When the event was reported, if that was after it occurred (else None)."""
    reported = event.reported_at
    return reported if reported is not None and reported > event.occurred_at else None


REPORTED = ", reported {reported}"
"""The part of a trigger phrase that says when a late-reported event was reported."""


def is_crime(event: EventFact) -> bool:
    return event.is_crime


def victim_events(ctx: Context, pred: Callable[[EventFact], bool]) -> list[EventFact]:
    return role_events(ctx, ("victim",), pred)


def role_events(
    ctx: Context, roles: tuple[str, ...], pred: Callable[[EventFact], bool]
) -> list[EventFact]:
    """Events the person had one of ``roles`` in and that satisfy ``pred``, oldest first.

    Memoised per evaluation: several rules ask the same question of the same history.
    """
    key = (roles, pred)
    cached = ctx.event_cache.get(key)
    if cached is not None:
        return cached
    wanted = set(roles)
    seen: dict[int, EventFact] = {}
    for inv in ctx.history.involvements:
        if inv.role in wanted and pred(inv.event):
            seen.setdefault(inv.event.event_id, inv.event)
    found = sorted(seen.values(), key=lambda e: (e.occurred_at, e.event_id))
    ctx.event_cache[key] = found
    return found


def within(ctx: Context, events: list[EventFact], end: EventFact, days: int) -> list[EventFact]:
    """The events up to and including ``end`` whose local date is at most ``days`` local days
    before ``end``'s ("3 incidents in 12 months" counts dates, not elapsed hours)."""
    start = ctx.clock.window_start(end.occurred_at, days)
    return [
        e
        for e in events
        if start <= e.occurred_at <= end.occurred_at
        and (e.occurred_at, e.event_id) <= (end.occurred_at, end.event_id)
    ]


def referral_done(
    ctx: Context, types: Iterable[str], event_id: int | None, since: datetime
) -> datetime | None:
    """When the first referral of ``types`` answering this trigger was made, if any."""
    wanted = set(types)
    for ref in ctx.history.referrals:
        if ref.referral_type not in wanted or ref.made_at is None:
            continue
        if (event_id is not None and ref.event_id == event_id) or ref.made_at >= since:
            return ref.made_at
    return None


def listing(ctx: Context, events: list[EventFact]) -> str:
    return ", ".join(f"event {e.event_id} ({ctx.when(e.occurred_at)})" for e in events)
