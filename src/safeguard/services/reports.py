"""Board report use cases: gather the facts for a period from storage, compute, publish, render.

The figures are computed from the stored source records (and the rules engine's procedure
checks when that table exists). People are resolved through ``person_links``: a mention with no
link yet (linking not run) is its own person, keyed ``-mention_id`` (see
:func:`safeguard.domain.board.person_key`), so figures are correct before linking and only
sharpen (more repeats found) after it.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import (
    events,
    involvements,
    missing_episodes,
    person_mentions,
    referral_status_changes,
    referrals,
    risk_assessments,
    satisfaction_responses,
    victim_contacts,
)
from safeguard.adapters.reports import render
from safeguard.domain.assessments import Catalogue, score
from safeguard.domain.board import Period, person_key, previous_periods
from safeguard.domain.board_figures import (
    DECISION_STATUSES,
    RIGHT6_TRIGGERS,
    Assessment,
    BoardFacts,
    Incident,
    MissingEpisode,
    ProcedureOutcome,
    RawReport,
    Referral,
    SurveyResponse,
    VictimContact,
    compute,
)
from safeguard.domain.board_publish import PublishedReport, publish
from safeguard.domain.disclosure import DisclosurePolicy
from safeguard.domain.working_time import WorkingCalendar, age_on
from safeguard.errors import ValidationFailed

logger = logging.getLogger(__name__)

PREVIOUS_PERIODS = 4
LOOKBACK = timedelta(days=365 + 28 + 1)  # 12-month repeat windows and the 28-day screening clock
ENHANCED_EVENT_TYPES = frozenset(
    {
        "domestic_abuse",
        "sexual_offence",
        "child_sexual_exploitation",
        "child_criminal_exploitation",
        "modern_slavery",
    }
)
SATISFIED = frozenset({"very_satisfied", "fairly_satisfied"})
REPORT_EVENT_TYPES = ("domestic_abuse", "child_sexual_exploitation", "child_criminal_exploitation")


@dataclass(frozen=True, slots=True)
class ReportTimings:
    """Seconds spent reading the database and in the whole build (for the benchmark)."""

    queries: float
    total: float


def _strands(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value)


def _answers(value: object) -> Mapping[str, object]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def _is_child(dob: date | None, age: int | None, on: datetime) -> bool | None:
    if dob is not None:
        return age_on(dob, on.date()) < 18
    if age is not None:
        return age < 18
    return None


def _hate_condition() -> sa.ColumnElement[bool]:
    text = sa.cast(events.c.hate_crime_strands, sa.Text)
    return sa.and_(events.c.hate_crime_strands.is_not(None), text.not_in(["[]", "null", '"[]"']))


def _incidents(conn: Connection, since: datetime, until: datetime) -> list[Incident]:
    relevant = sa.and_(
        events.c.occurred_at >= since,
        events.c.occurred_at < until,
        sa.or_(
            events.c.event_type.in_(REPORT_EVENT_TYPES),
            events.c.domestic_abuse_related.is_(True),
            _hate_condition(),
        ),
    )
    victims: dict[int, set[int]] = defaultdict(set)
    q = (
        sa.select(involvements.c.event_id, involvements.c.mention_id, person_links.c.person_id)
        .join(events, events.c.id == involvements.c.event_id)
        .outerjoin(person_links, person_links.c.mention_id == involvements.c.mention_id)
        .where(relevant, involvements.c.role == "victim")
    )
    for event_id, mention_id, person_id in conn.execute(q):
        if mention_id is not None:
            victims[event_id].add(person_key(person_id, mention_id))
    rows = conn.execute(
        sa.select(
            events.c.id,
            events.c.event_type,
            events.c.occurred_at,
            events.c.domestic_abuse_related,
            events.c.hate_crime_strands,
            events.c.area,
            events.c.team,
        ).where(relevant)
    )
    return [
        Incident(
            event_id=r.id,
            event_type=r.event_type,
            occurred_at=r.occurred_at,
            domestic=bool(r.domestic_abuse_related),
            hate_strands=_strands(r.hate_crime_strands),
            victims=frozenset(victims.get(r.id, ())),
            area=r.area,
            team=r.team,
        )
        for r in rows
    ]


def _assessments(
    conn: Connection, since: datetime, until: datetime, catalogue: Catalogue | None
) -> list[Assessment]:
    ra = risk_assessments
    q = (
        sa.select(
            ra.c.id,
            ra.c.instrument_id,
            ra.c.instrument_version,
            ra.c.answers,
            ra.c.officer_grade,
            ra.c.rationale,
            ra.c.reviewed_grade,
            ra.c.completed_at,
            ra.c.event_id,
            ra.c.subject_id,
            ra.c.assessor_team,
            person_links.c.person_id,
            person_mentions.c.date_of_birth,
        )
        .outerjoin(person_links, person_links.c.mention_id == ra.c.subject_id)
        .outerjoin(person_mentions, person_mentions.c.id == ra.c.subject_id)
        .where(ra.c.completed_at >= since, ra.c.completed_at < until)
    )
    out = []
    for r in conn.execute(q):
        computed = None
        instrument = (
            catalogue.find(r.instrument_id, r.instrument_version) if catalogue is not None else None
        )
        if instrument is not None:
            age = age_on(r.date_of_birth, r.completed_at.date()) if r.date_of_birth else None
            result = score(
                instrument,
                _answers(r.answers),
                r.officer_grade,
                r.rationale,
                subject_age=age,
                assessed_on=r.completed_at.date(),
            )
            computed = result.actuarial_grade
        out.append(
            Assessment(
                id=r.id,
                instrument_id=r.instrument_id,
                completed_at=r.completed_at,
                subject=person_key(r.person_id, r.subject_id) if r.subject_id else None,
                event_id=r.event_id,
                officer_grade=r.officer_grade,
                reviewed_grade=r.reviewed_grade,
                computed_grade=computed,
                team=r.assessor_team,
            )
        )
    return out


def _referrals(conn: Connection, since: datetime, until: datetime) -> list[Referral]:
    rs = referral_status_changes
    decided = (
        sa.select(rs.c.referral_id, sa.func.min(rs.c.changed_at).label("decided_at"))
        .where(rs.c.status.in_(sorted(DECISION_STATUSES)))
        .group_by(rs.c.referral_id)
        .subquery()
    )
    q = (
        sa.select(
            referrals.c.id,
            referrals.c.referral_type,
            referrals.c.made_at,
            referrals.c.route,
            referrals.c.rag,
            referrals.c.event_id,
            referrals.c.subject_id,
            person_links.c.person_id,
            events.c.occurred_at,
            decided.c.decided_at,
        )
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .outerjoin(events, events.c.id == referrals.c.event_id)
        .outerjoin(decided, decided.c.referral_id == referrals.c.id)
        .where(referrals.c.made_at >= since, referrals.c.made_at < until)
    )
    return [
        Referral(
            id=r.id,
            referral_type=r.referral_type,
            made_at=r.made_at,
            subject=person_key(r.person_id, r.subject_id) if r.subject_id else None,
            event_id=r.event_id,
            event_occurred_at=r.occurred_at,
            route=r.route,
            rag=r.rag,
            decided_at=_utc(r.decided_at),
        )
        for r in conn.execute(q)
    ]


def _utc(value: Any) -> datetime | None:
    # min() over a UTCDateTime column comes back untyped on SQLite: restore the aware value.
    from safeguard.adapters.db.types import UTCDateTime

    return UTCDateTime().process_result_value(value, sa.engine.default.DefaultDialect())


def _missing(conn: Connection, since: datetime, until: datetime) -> list[MissingEpisode]:
    me = missing_episodes
    q = (
        sa.select(
            me.c.id,
            me.c.mention_id,
            person_links.c.person_id,
            me.c.reported_missing_at,
            me.c.found_at,
            me.c.risk_grade,
            me.c.exploitation_flag,
            me.c.rhi_offered_at,
            person_mentions.c.date_of_birth,
            person_mentions.c.age,
        )
        .outerjoin(person_links, person_links.c.mention_id == me.c.mention_id)
        .outerjoin(person_mentions, person_mentions.c.id == me.c.mention_id)
        .where(
            sa.or_(
                sa.and_(me.c.reported_missing_at >= since, me.c.reported_missing_at < until),
                sa.and_(me.c.found_at >= since, me.c.found_at < until),
            )
        )
    )
    return [
        MissingEpisode(
            id=r.id,
            person=person_key(r.person_id, r.mention_id or -r.id),
            reported_at=r.reported_missing_at,
            child=_is_child(r.date_of_birth, r.age, r.reported_missing_at),
            found_at=r.found_at,
            risk_grade=r.risk_grade,
            exploitation_flag=bool(r.exploitation_flag),
            rhi_offered_at=r.rhi_offered_at,
        )
        for r in conn.execute(q)
    ]


def _contacts(conn: Connection, since: datetime, until: datetime) -> list[VictimContact]:
    vc = victim_contacts
    q = (
        sa.select(
            vc.c.id,
            vc.c.trigger,
            vc.c.trigger_at,
            vc.c.contacted_at,
            events.c.event_type,
            events.c.domestic_abuse_related,
            events.c.hate_crime_strands,
            person_mentions.c.date_of_birth,
            person_mentions.c.age,
        )
        .outerjoin(events, events.c.id == vc.c.event_id)
        .outerjoin(person_mentions, person_mentions.c.id == vc.c.mention_id)
        .where(
            vc.c.trigger_at >= since,
            vc.c.trigger_at < until,
            vc.c.trigger.in_(sorted(RIGHT6_TRIGGERS)),
        )
    )
    out = []
    for r in conn.execute(q):
        enhanced = (
            r.event_type in ENHANCED_EVENT_TYPES
            or bool(r.domestic_abuse_related)
            or bool(_strands(r.hate_crime_strands))
            or bool(_is_child(r.date_of_birth, r.age, r.trigger_at))
        )
        out.append(VictimContact(r.id, r.trigger, r.trigger_at, enhanced, r.contacted_at))
    return out


def _responses(conn: Connection, since: datetime, until: datetime) -> list[SurveyResponse]:
    sr = satisfaction_responses
    q = sa.select(sr.c.surveyed_at, sr.c.overall).where(
        sr.c.surveyed_at >= since, sr.c.surveyed_at < until, sr.c.overall.is_not(None)
    )
    return [SurveyResponse(r.surveyed_at, r.overall in SATISFIED) for r in conn.execute(q)]


def _procedures(
    conn: Connection, since: datetime, until: datetime
) -> list[ProcedureOutcome] | None:
    """The rules engine's procedure checks, or None when that table does not exist yet."""
    if not sa.inspect(conn).has_table("procedure_checks"):
        return None
    checks = sa.Table("procedure_checks", sa.MetaData(), autoload_with=conn)
    q = sa.select(checks).where(checks.c.due_at >= since, checks.c.due_at < until)
    from safeguard.adapters.db.types import UTCDateTime

    conv = UTCDateTime()
    dialect = conn.dialect
    return [
        ProcedureOutcome(
            rule_id=r.rule_id,
            due_at=conv.process_result_value(r.due_at, dialect) or r.due_at,
            done_at=conv.process_result_value(r.done_at, dialect),
            area=getattr(r, "area", None),
            team=getattr(r, "team", None),
        )
        for r in conn.execute(q)
    ]


def gather_facts(
    conn: Connection, since: datetime, until: datetime, catalogue: Catalogue | None = None
) -> BoardFacts:
    """Read every fact the board figures need for ``[since, until)`` (one query per kind)."""
    return BoardFacts(
        incidents=_incidents(conn, since, until),
        assessments=_assessments(conn, since, until, catalogue),
        referrals=_referrals(conn, since, until),
        missing=_missing(conn, since, until),
        contacts=_contacts(conn, since, until),
        responses=_responses(conn, since, until),
        procedures=_procedures(conn, since, until),
    )


def _default_catalogue() -> Catalogue:
    from safeguard.instruments import default_catalogue

    return default_catalogue()


def report_periods(start: date, end: date, previous: int = PREVIOUS_PERIODS) -> list[Period]:
    """The period ``start``..``end`` (days included) and the ``previous`` ones before it."""
    try:
        period = Period.from_dates(start, end)
    except ValueError as exc:
        raise ValidationFailed(f"report period: {exc}") from None
    if not 0 <= previous <= 12:
        raise ValidationFailed(f"previous periods: expected 0 to 12, got {previous}")
    return [*previous_periods(period, previous), period]


def raw_figures(
    engine: Engine,
    start: date,
    end: date,
    *,
    previous: int = PREVIOUS_PERIODS,
    calendar: WorkingCalendar | None = None,
    timings: list[float] | None = None,
) -> RawReport:
    """Every figure before disclosure control: for tests and benchmarks, never for display.

    ``timings``, if given, receives the seconds spent reading the database.
    """
    periods = report_periods(start, end, previous)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        facts = gather_facts(
            conn, periods[0].start - LOOKBACK, periods[-1].end, _default_catalogue()
        )
    if timings is not None:
        timings.append(time.perf_counter() - t0)
    logger.info(
        "board report %s..%s: %d incidents, %d assessments, %d referrals read in %.2fs",
        start,
        end,
        len(facts.incidents),
        len(facts.assessments),
        len(facts.referrals),
        time.perf_counter() - t0,
    )
    return compute(facts, periods, calendar)


def build_report(
    engine: Engine,
    start: date,
    end: date,
    *,
    previous: int = PREVIOUS_PERIODS,
    policy: DisclosurePolicy | None = None,
    calendar: WorkingCalendar | None = None,
    timings: list[ReportTimings] | None = None,
) -> PublishedReport:
    """Compute and publish the board report for ``start``..``end`` (both days included).

    Args:
        engine: the database.
        start: first day of the period.
        end: last day of the period.
        previous: how many earlier periods of the same length to show for the trend.
        policy: disclosure threshold.
        calendar: working hours and bank holidays for the clocks.
        timings: if given, the query and total times are appended (benchmark).

    Returns:
        The published (disclosure-controlled) report.
    """
    t0 = time.perf_counter()
    query_time: list[float] = []
    raw = raw_figures(engine, start, end, previous=previous, calendar=calendar, timings=query_time)
    report = publish(raw, policy)
    if timings is not None:
        timings.append(ReportTimings(queries=query_time[0], total=time.perf_counter() - t0))
    return report


def render_report_html(
    engine: Engine, start: date, end: date, *, policy: DisclosurePolicy | None = None
) -> str:
    """The board report as one self-contained HTML page (aggregate figures only).

    For the web app: mount it for board viewers; it holds no person-level data.
    """
    return render.html(build_report(engine, start, end, policy=policy), medium="web")


def render_report_pdf(
    engine: Engine, start: date, end: date, *, policy: DisclosurePolicy | None = None
) -> bytes:
    """The board report as an A4 PDF, OFFICIAL-SENSITIVE on every page."""
    return render.pdf(build_report(engine, start, end, policy=policy))


def iter_sections(report: PublishedReport) -> Iterable[str]:
    """Section ids in report order (for callers building their own views)."""
    seen = []
    for f in report.figures.values():
        if f.definition.section not in seen:
            seen.append(f.definition.section)
    return seen
