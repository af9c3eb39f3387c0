"""MoPI review, retention and disposal on SQLite and PostgreSQL: the worklist, retain and
dispose decisions recorded and audited, disposal removing the person from every table while
the audit log keeps the fact, legal holds and restricted records respected."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters.db.audit import audit_log, audit_person_index, verify_audit
from safeguard.adapters.db.findings import findings
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.retention import retention_reviews
from safeguard.adapters.db.tables import (
    events,
    involvements,
    person_mentions,
    record_history,
    referrals,
    risk_assessments,
)
from safeguard.cli import app as cli_app
from safeguard.domain.access import Actor, BreakGlassRequired, Refused, Role
from safeguard.domain.retention import Decision
from safeguard.errors import ValidationFailed
from safeguard.services import accounts, triage
from safeguard.services import retention as svc
from safeguard.services import worklist_rankings as rankings
from safeguard.services.unit_of_work import UnitOfWork
from tests.web_fixtures import World, as_admin, build_world

MANAGER = Actor(1, "records_manager", Role.SUPERVISOR)
LATER = date.today() + timedelta(days=365 * 20)  # past every minimum period of the world


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def _mentions_of(engine: Engine, person_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(person_links.c.mention_id).where(person_links.c.person_id == person_id)
            ).scalars()
        )


def _dispose(engine: Engine, person_id: int, today: date = LATER) -> int:
    with engine.begin() as conn:
        return svc.decide(
            UnitOfWork(conn, MANAGER),
            person_id=person_id,
            decision=Decision.DISPOSE,
            rationale="no longer needed for a policing purpose",
            policy=svc.load_policy(),
            today=today,
        )


def test_the_worklist_lists_who_is_due_and_is_audited(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        now = svc.review_worklist(
            UnitOfWork(conn, MANAGER), policy=svc.load_policy(), today=date.today()
        )
        later = svc.review_worklist(
            UnitOfWork(conn, MANAGER), policy=svc.load_policy(), today=LATER
        )
    assert now == []  # every record of the world is recent
    due = {i.due.person_id: i for i in later}
    assert {world.victim, world.suspect_restricted, world.child_shared} <= set(due)
    assert due[world.suspect_restricted].restricted and not due[world.victim].restricted
    with engine.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action)).scalars().all()
    assert actions.count("retention.worklist") == 2


def test_only_the_records_manager_may_review(engine: Engine, world: World) -> None:
    with pytest.raises(Refused), engine.begin() as conn:
        officer = UnitOfWork(conn, Actor(2, "pc", Role.OFFICER))
        svc.review_worklist(officer, policy=svc.load_policy(), today=LATER)


def test_disposal_removes_the_person_from_every_table_and_the_audit_keeps_only_the_fact(
    engine: Engine, world: World
) -> None:
    mids = _mentions_of(engine, world.victim)
    with engine.connect() as conn:
        events_before = conn.execute(sa.select(sa.func.count()).select_from(events)).scalar()
    with engine.begin() as conn:  # the victim's record viewed once: an audit-index entry
        from safeguard.adapters.db.audit import append_audit
        from safeguard.domain.audit import AuditCategory, AuditEntry

        append_audit(
            conn,
            AuditEntry(
                "pc",
                "person.view",
                AuditCategory.CONSULTATION,
                "person",
                [str(world.victim)],
                [world.victim],
                justification="enquiry",
            ),
        )
        # an earlier version of a mention, kept by the history trigger
        conn.execute(
            sa.update(person_mentions)
            .where(person_mentions.c.id == mids[0])
            .values(postcode="CA2 2BB", content_hash="changed")
        )
    rid = _dispose(engine, world.victim)
    with engine.connect() as conn:

        def left(table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(table).where(condition)
                ).scalar()
                or 0
            )

        assert left(person_mentions, person_mentions.c.id.in_(mids)) == 0
        assert left(person_links, person_links.c.person_id == world.victim) == 0
        assert left(people, people.c.id == world.victim) == 0
        assert left(involvements, involvements.c.mention_id.in_(mids)) == 0
        assert left(risk_assessments, risk_assessments.c.subject_id.in_(mids)) == 0
        assert left(referrals, referrals.c.subject_id.in_(mids)) == 0
        assert left(findings, findings.c.person_id == world.victim) == 0
        assert left(audit_person_index, audit_person_index.c.person_id == world.victim) == 0
        history = conn.execute(
            sa.select(record_history.c.payload).where(
                record_history.c.table_name == "person_mentions",
                record_history.c.record_id.in_(mids),
            )
        ).all()
        assert history == []
        everything = json.dumps(
            [list(map(str, r)) for r in conn.execute(sa.select(record_history)).all()]
        )
        assert "Joanne" not in everything and "Smyth" not in everything
        # the incident stays: the suspect is still involved in it
        assert conn.execute(sa.select(sa.func.count()).select_from(events)).scalar() == (
            events_before
        )
        entry = conn.execute(
            sa.select(audit_log).where(audit_log.c.action == "retention.dispose")
        ).one()
        assert json.loads(entry.record_ids) == [str(world.victim)]
        assert json.loads(entry.person_ids) == []
        detail = json.loads(entry.detail)
        assert detail["review_id"] == rid and detail["rows_removed"]["person_mentions"] == 3
        assert "Joanne" not in str(entry)
        review = conn.execute(sa.select(retention_reviews)).one()
        assert review.decision == "dispose" and review.person_id == world.victim
        assert verify_audit(conn) == []


def test_no_disposal_within_the_minimum_period_or_under_a_legal_hold(
    engine: Engine, world: World
) -> None:
    with pytest.raises(ValidationFailed, match="may not be disposed of before"):
        _dispose(engine, world.victim, today=date.today())
    with engine.begin() as conn:
        svc.place_hold(
            UnitOfWork(conn, MANAGER),
            person_id=world.victim,
            reason="civil claim: preserve records",
        )
    with pytest.raises(ValidationFailed, match="legal hold"):
        _dispose(engine, world.victim)
    assert _mentions_of(engine, world.victim)
    with engine.begin() as conn:
        svc.lift_hold(UnitOfWork(conn, MANAGER), person_id=world.victim, reason="claim settled")
    _dispose(engine, world.victim)
    assert _mentions_of(engine, world.victim) == []


def test_a_restricted_person_needs_break_glass_first(engine: Engine, world: World) -> None:
    with pytest.raises(BreakGlassRequired):
        _dispose(engine, world.suspect_restricted)
    assert _mentions_of(engine, world.suspect_restricted)


def test_a_retain_decision_sets_the_next_review(engine: Engine, world: World) -> None:
    policy = svc.load_policy()
    with engine.begin() as conn:
        with pytest.raises(ValidationFailed, match="next_review"):
            svc.decide(
                UnitOfWork(conn, MANAGER),
                person_id=world.child_shared,
                decision=Decision.RETAIN,
                rationale="child still at risk of exploitation",
                policy=policy,
                today=LATER,
            )
        svc.decide(
            UnitOfWork(conn, MANAGER),
            person_id=world.child_shared,
            decision=Decision.RETAIN,
            rationale="child still at risk of exploitation",
            policy=policy,
            today=LATER,
            next_review=LATER + timedelta(days=730),
        )
        due = {
            i.due.person_id
            for i in svc.review_worklist(UnitOfWork(conn, MANAGER), policy=policy, today=LATER)
        }
    assert world.child_shared not in due and world.victim in due


def test_a_bad_retention_file_names_the_file_and_field(tmp_path: Path) -> None:
    f = tmp_path / "force-retention.yaml"
    f.write_text("groups:\n  group_2:\n    review_years: -3\n")
    with pytest.raises(
        ValidationFailed, match=r"force-retention.yaml: groups.group_2.review_years"
    ):
        svc.load_policy(f)
    f.write_text("minimum_year: 6\n")
    with pytest.raises(ValidationFailed, match="minimum_year: unknown setting"):
        svc.load_policy(f)
    f.write_text("suspect_offence_groups:\n  sexual: group_9\n")
    with pytest.raises(ValidationFailed, match="suspect_offence_groups.sexual"):
        svc.load_policy(f)
    f.write_text("groups:\n  group_3:\n    review_years: 7\n")
    assert svc.load_policy(f).groups["group_3"].review_years == 7
    with pytest.raises(ValidationFailed, match="no such retention settings file"):
        svc.load_policy(tmp_path / "absent.yaml")


def test_the_cli_lists_retains_and_disposes(
    engine: Engine, world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguard.config import get_settings

    with engine.begin() as conn:
        accounts.create_user(
            as_admin(conn),
            username="rm_jones",
            display_name="Records Manager",
            role=Role.SUPERVISOR,
            password="a long enough password",
        )
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        from safeguard.cli import context as cli_context

        # The CLI's console is made once per process, before COLUMNS is set here: widen it, so
        # the table's columns are not cut whatever ran first.
        monkeypatch.setattr(cli_context.out, "width", 200)
        runner = CliRunner(env={"COLUMNS": "200"})
        later = LATER.isoformat()
        listed = runner.invoke(
            cli_app, ["retention", "list", "--user", "rm_jones", "--today", later]
        )
        assert listed.exit_code == 0, listed.output
        assert "restricted: break glass first" in listed.output
        named = runner.invoke(cli_app, ["--as", "rm_jones", "retention", "list", "--today", later])
        assert named.exit_code == 0 and named.output == listed.output  # --as names them too
        nobody = runner.invoke(cli_app, ["retention", "list", "--today", later])
        assert nobody.exit_code == 2 and "--user USERNAME" in nobody.output
        kept = runner.invoke(
            cli_app,
            ["retention", "review", str(world.child_shared), "--user", "rm_jones",
             "--rationale", "still at risk of exploitation", "--today", later,
             "--next-review", (LATER + timedelta(days=400)).isoformat()],
        )  # fmt: skip
        assert kept.exit_code == 0, kept.output
        gone = runner.invoke(
            cli_app,
            ["retention", "dispose", str(world.victim), "--user", "rm_jones", "--yes",
             "--rationale", "no longer needed for a policing purpose", "--today", later],
        )  # fmt: skip
        assert gone.exit_code == 0, gone.output
        early = runner.invoke(
            cli_app,
            ["retention", "dispose", str(world.child_shared), "--user", "rm_jones", "--yes",
             "--rationale", "no longer needed for a policing purpose"],
        )  # fmt: skip
        assert early.exit_code == 2 and "may not be disposed of before" in early.output
        held = runner.invoke(
            cli_app,
            ["retention", "hold", str(world.child_shared), "--user", "rm_jones",
             "--reason", "inquiry: preserve the records"],
        )  # fmt: skip
        assert held.exit_code == 0, held.output
    finally:
        get_settings.cache_clear()
    assert _mentions_of(engine, world.victim) == []


def test_a_disposal_takes_the_person_off_a_worklist_at_once(engine: Engine, world: World) -> None:
    # Someone else's finding, newer and changed later than the victim's: removing the victim's
    # leaves the newest finding id and change time as they were, so only the retention
    # decision tells a kept ranking that the list has changed.
    later = datetime.now(UTC) + timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(findings).values(
                finding_key=f"test:{world.child_shared}",
                rule_id="DA-MARAC-1",
                rule_version="1",
                person_key=f"P{world.child_shared}",
                person_id=world.child_shared,
                category="marac_due",
                kind="procedure",
                severity="medium",
                due_at=later,
                status="open",
                explanation="Refer to MARAC.",
                facts="{}",
                content_hash="1" * 32,
                first_found_at=later,
                last_changed_at=later,
            )
        )
    rankings.RANKINGS.clear()
    now = datetime.now(UTC)
    with engine.connect() as conn:
        before = triage.triaged_page(conn, "marac-due", now, triage.Filters())
    assert {w.person_id for w in before.people} == {world.victim, world.child_shared}
    _dispose(engine, world.victim)
    with engine.connect() as conn:
        after = triage.triaged_page(conn, "marac-due", now, triage.Filters())
    assert [w.person_id for w in after.people] == [world.child_shared]
    assert (after.total_people, after.total_tasks) == (1, 1)
