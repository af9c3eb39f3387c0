"""Board report use cases: gather the facts for a period from storage, compute, publish, render.

The figures are computed from the stored source records (and the rules engine's procedure
checks when that table exists). People are resolved through ``person_links``: a mention with no
link yet (linking not run) is its own person, keyed ``-mention_id`` (the signed form of
:class:`safeguard.domain.history.PersonKey`), so figures are correct before linking and only
sharpen (more repeats found) after it.

Every business term is the domain's one definition, with the force's own settings: the final
grade (:mod:`safeguard.domain.assessments.grading`), Right 6 and enhanced rights
(:mod:`safeguard.domain.victims`), every clock (:class:`safeguard.domain.clocks.Clocks`, from the
same rules settings the engine reads) and people's ages (their linked history's date of birth,
read by :class:`~safeguard.adapters.db.history_repository.HistoryRepository`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy.engine import Engine

from safeguard.adapters.db.board_records import Births, read_records
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.procedure_counts import count_procedure_checks
from safeguard.adapters.db.risk_models import validity_items
from safeguard.adapters.reports import render
from safeguard.domain.assessments import Catalogue
from safeguard.domain.board import Period, previous_periods
from safeguard.domain.board_figures import (
    BoardFacts,
    ProcedureTally,
    RawReport,
    compute,
)
from safeguard.domain.board_publish import PublishedReport, publish
from safeguard.domain.board_validity import PredictiveValidity, predictive_validity
from safeguard.domain.disclosure import DisclosurePolicy
from safeguard.domain.working_time import WorkingCalendar
from safeguard.errors import ValidationFailed
from safeguard.rules import RulesConfig
from safeguard.services.assessment import Assessor

logger = logging.getLogger(__name__)

PREVIOUS_PERIODS = 4


@dataclass(frozen=True, slots=True)
class ReportTimings:
    """Seconds spent reading the database and in the whole build (for the benchmark)."""

    queries: float
    total: float


def gather_facts(
    engine: Engine,
    periods: list[Period],
    catalogue: Catalogue | None = None,
    config: RulesConfig | None = None,
) -> BoardFacts:
    """Read every fact the figures for ``periods`` (oldest first) need.

    Histories (incidents, assessments, referrals, missing episodes) reach back ``LOOKBACK``
    before the first period for the 12-month measures; contacts and surveys need only the
    periods; procedure checks are counted in the database, for these periods. ``config``: the
    force's rules settings (clocks and thresholds), from the settings by default.

    The count and people's dates of birth are nearly all the database's own work (sqlite3 and
    psycopg release the GIL), so they run on their own connections in background threads while
    this one reads the records. An in-memory SQLite database has one connection per thread, so
    there they run in turn.
    """
    cfg = config or Assessor.from_settings().config
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        with engine.connect() as conn:
            births = HistoryRepository(conn).births()
            facts = read_records(conn, periods, catalogue, cfg, lambda: births)
            facts.procedures = count_procedure_checks(conn, periods)
            return facts
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="report-reads") as pool:
        counted = pool.submit(_count_on_own_connection, engine, periods)
        born = pool.submit(_births_on_own_connection, engine)
        with engine.connect() as conn:
            facts = read_records(conn, periods, catalogue, cfg, born.result)
        facts.procedures = counted.result()
    return facts


def _count_on_own_connection(engine: Engine, periods: list[Period]) -> ProcedureTally | None:
    with engine.connect() as conn:
        return count_procedure_checks(conn, periods)


def _births_on_own_connection(engine: Engine) -> Births:
    with engine.connect() as conn:
        return HistoryRepository(conn).births()


def instrument_catalogue() -> Catalogue:
    """The instruments assessments are scored with: the rules engine's, a force's own included."""
    return Assessor.from_settings().catalogue


def report_periods(
    start: date, end: date, previous: int = PREVIOUS_PERIODS, zone: str | None = None
) -> list[Period]:
    """The period ``start``..``end`` (local days included) and the ``previous`` ones before
    it; the days are the force's (its settings' time zone unless ``zone`` is given)."""
    if zone is None:
        zone = Assessor.from_settings().config.local_time.name
    try:
        period = Period.from_dates(start, end, zone)
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
    assessor = Assessor.from_settings()  # instruments and calendar: one read of the settings
    periods = report_periods(start, end, previous, assessor.config.local_time.name)
    t0 = time.perf_counter()
    facts = gather_facts(engine, periods, assessor.catalogue, assessor.config)
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
    return compute(facts, periods, calendar or assessor.config.calendar)


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
    report = replace(report, validity=predictive_validity_of(engine, report))
    if timings is not None:
        timings.append(ReportTimings(queries=query_time[0], total=time.perf_counter() - t0))
    return report


def predictive_validity_of(engine: Engine, report: PublishedReport) -> PredictiveValidity | None:
    """How well DASH, the officer's grade and the model ranked repeat victimisation, on the
    incidents of the year before the period (whose 12-month follow-up the period completes)."""
    period = report.current
    first = _years_before(period.first_day, 1)
    last = _years_before(period.last_day, 1)
    with engine.connect() as conn:
        items, version = validity_items(conn, first, last)
    if not items:
        return None
    return predictive_validity(
        items, first, last, threshold=report.threshold, model_version=version
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


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
