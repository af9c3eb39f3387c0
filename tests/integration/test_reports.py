"""Board figures from a real database (SQLite and PostgreSQL), through ingest and linking."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.tables import person_mentions
from safeguard.domain.board import Period
from safeguard.domain.board_figures import (
    BoardFacts,
    ProcedureOutcome,
    ProcedureTally,
    compute,
    count_procedures,
)
from safeguard.services.ingest import ingest_paths
from safeguard.services.reports import (
    build_report,
    count_procedure_checks,
    raw_figures,
    render_report_html,
    report_periods,
)
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.factories import event, involvement, mention, row, write_csv

START, END = date(2025, 1, 1), date(2025, 3, 31)


def iso(d: datetime) -> str:
    return d.astimezone(UTC).isoformat().replace("+00:00", "Z")


def base(day: int, hour: int = 10) -> datetime:
    """A weekday in January to March 2025 (the 6th of each month is a weekday in Q1)."""
    return datetime(2025, 1, 6, hour, tzinfo=UTC) + timedelta(days=7 * day)


def dash(yes: int) -> dict[str, str]:
    return {f"q{i}": "yes" if i <= yes else "no" for i in range(1, 25)}


def board_force(folder: Path) -> Path:
    """A small force whose board figures are known (see each block)."""
    mentions: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    invs: list[dict[str, Any]] = []
    ras: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    surveys: list[dict[str, Any]] = []
    # Six domestic-abuse incidents in Q1, one victim mention each (v0..v5); v0's person was
    # also the victim in December (mention v0-old): a repeat once the two are linked.
    mentions.append(mention("v0-old", forenames="Dana"))
    events.append(event("da-old", occurred_at="2024-12-10T20:00:00Z", reported_at=None))
    invs.append(involvement("i-old", "da-old", "v0-old"))
    for k in range(6):
        mentions.append(mention(f"v{k}", forenames="Dana" if k == 0 else f"Vic{k}"))
        at = base(k)
        events.append(event(f"da{k}", occurred_at=iso(at), reported_at=None, team="Carlisle 1"))
        invs.append(involvement(f"i{k}", f"da{k}", f"v{k}"))
        # DASH on five of them; the first has 14 "yes" (computed high) but graded medium by
        # the officer, and a supervisor raised it to high on review.
        if k < 5:
            ras.append(
                row(
                    "risk_assessment",
                    f"ra{k}",
                    event_ref=f"da{k}",
                    subject_ref=f"v{k}",
                    instrument_id="dash-ric",
                    instrument_version="2009",
                    answers=dash(14 if k == 0 else 2),
                    officer_grade="medium" if k == 0 else "standard",
                    assessor_team="Carlisle 1",
                    completed_at=iso(at + timedelta(hours=2)),
                    reviewed_grade="high" if k == 0 else None,
                    reviewed_by="S100" if k == 0 else None,
                    reviewed_at=iso(at + timedelta(days=1)) if k == 0 else None,
                    rationale="Officer judgement recorded" if k == 0 else None,
                )
            )
        # Each victim was told of the arrest the same day (enhanced: 1 working day).
        contacts.append(
            row(
                "victim_contact",
                f"vc{k}",
                event_ref=f"da{k}",
                mention_ref=f"v{k}",
                trigger="arrest",
                trigger_at=iso(at),
                contacted_at=iso(at + timedelta(hours=3)),
                method="phone",
            )
        )
    refs.append(
        row(
            "referral",
            "marac0",
            event_ref="da0",
            subject_ref="v0",
            referral_type="marac",
            route="visible_high_risk",
            made_at=iso(base(0) + timedelta(days=2)),
        )
    )
    # Six MASH contacts rated red, each decided an hour later (within the 4-hour clock).
    for k in range(6):
        made = base(k, 10)
        refs.append(
            row(
                "referral",
                f"mash{k}",
                subject_ref=f"v{k}",
                referral_type="mash",
                rag="red",
                made_at=iso(made),
            )
        )
        statuses.append(
            row(
                "referral_status",
                f"st{k}",
                referral_ref=f"mash{k}",
                status="decision_made",
                changed_at=iso(made + timedelta(hours=1)),
            )
        )
    # A child (born 2010) missing five times in Q1; interviews offered a day after each return.
    mentions.append(mention("c1", forenames="Kit", date_of_birth="2010-05-05"))
    for k in range(5):
        gone = base(k, 18)
        events.append(
            event(f"mp{k}", event_type="missing_person", occurred_at=iso(gone), reported_at=None)
        )
        missing.append(
            row(
                "missing_episode",
                f"me{k}",
                event_ref=f"mp{k}",
                mention_ref="c1",
                reported_missing_at=iso(gone),
                found_at=iso(gone + timedelta(hours=20)),
                risk_grade="medium",
                rhi_offered_at=iso(gone + timedelta(hours=44)),
            )
        )
    # Five race hate crimes, five different victims.
    for k in range(5):
        mentions.append(mention(f"h{k}", forenames=f"Hal{k}"))
        events.append(
            event(
                f"hate{k}",
                event_type="other_crime",
                hate_crime_strands=["race"],
                occurred_at=iso(base(k, 15)),
                reported_at=None,
            )
        )
        invs.append(involvement(f"ih{k}", f"hate{k}", f"h{k}"))
    # Six survey responses, five satisfied.
    for k in range(6):
        surveys.append(
            row(
                "satisfaction_response",
                f"sr{k}",
                event_ref=f"da{k}",
                mention_ref=f"v{k}",
                surveyed_at=iso(base(k) + timedelta(days=20)),
                overall="fairly_satisfied" if k < 5 else "very_dissatisfied",
            )
        )
    for name, rows in [
        ("person_mention", mentions),
        ("event", events),
        ("involvement", invs),
        ("risk_assessment", ras),
        ("referral", refs),
        ("referral_status", statuses),
        ("missing_episode", missing),
        ("victim_contact", contacts),
        ("satisfaction_response", surveys),
    ]:
        write_csv(folder / f"{name}.csv", rows)
    return folder


@pytest.fixture
def force(engine: Engine, tmp_path: Path) -> Engine:
    summary = ingest_paths(engine, [board_force(tmp_path)], actor=OPERATOR_RUN)
    assert all(f.quarantined == 0 and f.error is None for f in summary.files), summary
    return engine


def link(engine: Engine, source_ids: list[str]) -> None:
    """Link mentions to one person, as `safeguard link` would."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        pid = conn.execute(
            sa.insert(people).values(created_at=now).returning(people.c.id)
        ).scalar_one()
        ids = conn.execute(
            sa.select(person_mentions.c.id).where(person_mentions.c.source_id.in_(source_ids))
        ).scalars()
        conn.execute(
            sa.insert(person_links),
            [{"mention_id": i, "person_id": pid, "linked_at": now} for i in ids],
        )


def test_figures_from_the_database_match_the_records(force: Engine) -> None:
    raw = raw_figures(force, START, END, previous=1)
    cur = {k: v[-1] for k, v in raw.figures.items()}
    assert cur["da.incidents"].count == 6
    assert raw.figures["da.incidents"][0].count == 1  # December
    assert (cur["da.dash_completion"].numerator, cur["da.dash_completion"].denominator) == (5, 6)
    assert raw.breakdowns["da.risk_grades"][-1] == [4, 0, 1]
    assert cur["marac.referrals"].count == 1
    assert (
        cur["judgement.differs_from_computed"].numerator,
        cur["judgement.differs_from_computed"].denominator,
    ) == (1, 5)
    assert (
        cur["judgement.changed_on_review"].numerator,
        cur["judgement.changed_on_review"].denominator,
    ) == (1, 1)
    assert cur["mash.contacts"].count == 6
    assert (cur["mash.decided_in_time"].numerator, cur["mash.decided_in_time"].denominator) == (
        6,
        6,
    )
    assert cur["mash.hours_to_decision"].measure == pytest.approx(1.0)
    assert cur["mash.backlog"].count == 0
    assert cur["missing.episodes"].count == 5
    assert cur["missing.children"].count == 1
    assert cur["missing.repeat_children"].count == 1
    assert (cur["missing.rhi_72h"].numerator, cur["missing.rhi_72h"].denominator) == (5, 5)
    assert cur["hate.incidents"].count == 5
    assert raw.breakdowns["hate.strands"][-1] == [5, 0, 0, 0, 0, 0, 0]
    assert (
        cur["victims.code_timeliness"].numerator,
        cur["victims.code_timeliness"].denominator,
    ) == (6, 6)
    assert (cur["victims.satisfaction"].numerator, cur["victims.satisfaction"].denominator) == (
        5,
        6,
    )
    assert raw.rules_available is False  # no procedure checks stored


def test_an_unlinked_mention_counts_as_its_own_person_until_linking_joins_it(
    force: Engine,
) -> None:
    before = raw_figures(force, START, END, previous=0).figures["da.repeat_victims"][-1]
    assert (before.numerator, before.denominator) == (0, 6)
    link(force, ["v0-old", "v0"])
    after = raw_figures(force, START, END, previous=0).figures["da.repeat_victims"][-1]
    assert (after.numerator, after.denominator) == (1, 6)


def test_the_published_report_withholds_small_numbers_from_the_database(force: Engine) -> None:
    report = build_report(force, START, END, previous=1)
    assert report.figures["da.incidents"].current.value == 6
    assert report.figures["da.dash_completion"].current.value == pytest.approx(5 / 6)
    assert report.figures["marac.referrals"].current.value is None  # 1: small
    assert report.figures["da.incidents"].values[0].value is None  # 1 in December
    assert report.figures["victims.satisfaction"].interval is not None
    grades = dict(report.breakdowns["da.risk_grades"].rows)
    assert grades["high"][-1] is None and grades["standard"][-1] is None  # 4 and 1


def test_the_web_page_holds_aggregates_only(force: Engine) -> None:
    page = render_report_html(force, START, END)
    assert "OFFICIAL-SENSITIVE" in page
    assert 'type="application/vnd.vegalite+json"' in page and "<svg" in page
    for name in ("Dana", "Vic1", "Kit", "Hal0", "Taylor"):
        assert name not in page


def test_procedure_compliance_comes_from_the_rules_engines_stored_checks(force: Engine) -> None:
    from safeguard.adapters.db.findings import procedure_checks

    now = datetime.now(UTC)

    def check(k: int, rule: str, due: datetime, done: datetime | None, team: str) -> dict[str, Any]:
        return {
            "check_key": f"{rule}:{k}",
            "rule_id": rule,
            "rule_version": "1",
            "person_key": f"p{k}",
            "area": "North",
            "team": team,
            "trigger_at": due - timedelta(days=1),
            "due_at": due,
            "done_at": done,
            "on_time": done is not None and done <= due,
            "evaluated_at": now,
        }

    rows = [
        # DA-DASH-COMPLETED: 8 due in Q1, 6 on time (team A), 2 late (team B).
        *(
            check(k, "DA-DASH-COMPLETED", base(k), base(k) - timedelta(hours=1), "A")
            for k in range(6)
        ),
        *(
            check(10 + k, "DA-DASH-COMPLETED", base(k), base(k) + timedelta(days=3), "B")
            for k in range(2)
        ),
        # MISSING-RHI-OFFERED: 6 due in Q1, 5 on time, 1 never done (overdue at 31 March).
        *(check(20 + k, "MISSING-RHI-OFFERED", base(k), base(k), "A") for k in range(5)),
        check(30, "MISSING-RHI-OFFERED", base(7), None, "B"),
    ]
    with force.begin() as conn:
        conn.execute(sa.insert(procedure_checks), rows)
    raw = raw_figures(force, START, END, previous=0)
    v = raw.figures["procedures.compliance"][-1]
    assert (v.numerator, v.denominator) == (11, 14)
    assert raw.figures["procedures.overdue"][-1].count == 1
    by_rule = {r.label: (r.yes, r.no) for r in raw.tables["procedures.by_rule"]}
    assert by_rule == {"DA-DASH-COMPLETED": (6, 2), "MISSING-RHI-OFFERED": (5, 1)}
    by_team = {r.label: (r.yes, r.no) for r in raw.tables["procedures.by_team"]}
    assert by_team == {"North / A": (11, 0), "North / B": (0, 3)}
    report = build_report(force, START, END, previous=0)
    assert report.rules_available
    # The 3 not done on time are a small cell of the table, so the "All" row (11 of 14) would
    # reveal it by subtraction: the headline rate is withheld with it.
    assert report.figures["procedures.compliance"].current.value is None
    assert report.tables["procedures.by_rule"].total.total == 14
    team_b = next(r for r in report.tables["procedures.by_team"].rows if r.label == "North / B")
    assert team_b.total is None and team_b.rate is None


def _edge_times(periods: list[Period]) -> list[datetime]:
    """Times at and around every boundary: a microsecond either side, and an hour either side
    (UK local midnight in summer is 23:00 UTC the day before)."""
    bounds = sorted({p.start for p in periods} | {p.end for p in periods})
    steps = (timedelta(0), timedelta(microseconds=1), timedelta(hours=1), timedelta(days=1))
    return [b + sign * s for b in bounds for s in steps for sign in (1, -1)]


def _random_checks(periods: list[Period], seed: int) -> list[ProcedureOutcome]:
    rng = random.Random(seed)
    first, until = periods[0].start, periods[-1].end
    span = (until - first) + timedelta(days=60)
    edges = _edge_times(periods)
    places = [("North", "A"), ("North", "B"), ("South", None), (None, None), ("", "A")]
    out = []
    for _ in range(700):
        if rng.random() < 0.3:
            due = rng.choice(edges)
        else:
            due = first - timedelta(days=30) + span * rng.random()
            due = due.replace(microsecond=rng.choice([0, due.microsecond]))
        pick = rng.random()
        done: datetime | None
        if pick < 0.15:
            done = None
        elif pick < 0.25:
            done = due  # exactly on time
        elif pick < 0.3:
            done = due + timedelta(microseconds=1)  # just late
        elif pick < 0.45:
            done = rng.choice(edges)  # done at or around a period's end
        else:
            done = due + timedelta(days=rng.uniform(-5, 40))
        area, team = rng.choice(places)
        rule = rng.choice(["DA-DASH-COMPLETED", "MISSING-RHI-OFFERED", "VC-RIGHT6"])
        out.append(ProcedureOutcome(rule, due, done, area, team))
    return out


@pytest.mark.parametrize(
    "periods",
    [
        # Quarters across both clock changes, and periods of 45 days that are not months.
        report_periods(date(2025, 4, 1), date(2025, 6, 30), previous=4),
        report_periods(date(2025, 3, 10), date(2025, 4, 23), previous=3),
    ],
    ids=["quarters", "45-days"],
)
def test_procedure_counts_in_the_database_agree_with_their_definition(
    engine: Engine, periods: list[Period]
) -> None:
    from safeguard.adapters.db.findings import procedure_checks

    checks = _random_checks(periods, seed=len(periods))
    now = datetime.now(UTC)
    rows = [
        {
            "check_key": f"k{i}",
            "rule_id": c.rule_id,
            "rule_version": "1",
            "person_key": f"p{i}",
            "area": c.area,
            "team": c.team,
            "trigger_at": c.due_at - timedelta(days=1),
            "due_at": c.due_at,
            "done_at": c.done_at,
            "on_time": c.on_time,
            "evaluated_at": now,
        }
        for i, c in enumerate(checks)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(procedure_checks), rows)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Stored times are naive UTC: a session in UK time must not move a check.
            conn.exec_driver_sql("SET TIME ZONE 'Europe/London'")
        counted = count_procedure_checks(conn, periods)
    first, until = periods[0].start, periods[-1].end
    read = [c for c in checks if first <= c.due_at < until]
    expected = count_procedures(read, periods)
    assert counted == expected
    # Every kind of count is exercised, and the figures computed from either agree.
    cells = expected.cells.values()
    assert all(sum(sum(getattr(c, f)) for c in cells) > 0 for f in ("due", "on_time", "overdue"))
    from_db = compute(BoardFacts(procedures=counted), periods)
    by_definition = compute(BoardFacts(procedures=read), periods)
    for key in ("procedures.compliance", "procedures.overdue"):
        assert from_db.figures[key] == by_definition.figures[key]
    assert from_db.tables == by_definition.tables
    assert from_db.overdue_by_rule == by_definition.overdue_by_rule


def test_no_stored_procedure_checks_count_as_not_measured(engine: Engine) -> None:
    with engine.connect() as conn:
        assert count_procedure_checks(conn, report_periods(START, END)) is None


def test_an_in_memory_database_counts_its_procedure_checks_on_its_one_connection() -> None:
    from safeguard.adapters.db.engine import make_engine, upgrade
    from safeguard.adapters.db.findings import procedure_checks
    from safeguard.services.reports import gather_facts

    engine = make_engine("sqlite://")
    upgrade(engine)
    due = datetime(2025, 2, 3, 12, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(procedure_checks),
            [
                {
                    "check_key": "k1",
                    "rule_id": "DA-DASH-COMPLETED",
                    "rule_version": "1",
                    "person_key": "p1",
                    "trigger_at": due - timedelta(days=1),
                    "due_at": due,
                    "done_at": None,
                    "on_time": False,
                    "evaluated_at": due,
                }
            ],
        )
    periods = report_periods(START, END, previous=0)
    facts = gather_facts(engine, periods)
    assert isinstance(facts.procedures, ProcedureTally)
    assert facts.procedures.cells[("DA-DASH-COMPLETED", None, None)].overdue == [1]
