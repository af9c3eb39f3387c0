"""Assessing stored records end to end, on SQLite and PostgreSQL: ingest -> assess -> findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.engine import downgrade, make_engine, upgrade
from safeguard.adapters.db.findings import assessment_runs, findings, procedure_checks
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.tables import events, person_mentions
from safeguard.domain.access import Actor, Role
from safeguard.errors import InvalidTransition, NotFound
from safeguard.services import assessment as svc
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.integration import interchange_rows as rows

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SERGEANT = Actor(2, "mash_sergeant", Role.SUPERVISOR)


def ingest(
    engine: Engine, directory: Path, items: list[dict[str, object]], now: datetime = NOW
) -> None:
    summary = ingest_paths(engine, rows.write(directory, items), actor=OPERATOR_RUN, now=now)
    assert summary.clean, [(f.path, f.error, f.quarantined) for f in summary.files]


def victim_case() -> list[dict[str, object]]:
    """A victim with a 15-yes DASH at an incident a child was present at."""
    return [
        rows.person("p1"),
        rows.person("c1", dob="2016-02-03"),
        rows.event("e1", "2025-01-10T12:00:00Z"),
        rows.involvement("i1", "e1", "p1"),
        rows.involvement("i2", "e1", "c1", "child_present"),
        rows.dash("a1", "p1", "2025-01-10T15:00:00Z", 15, event_ref="e1"),
    ]


def statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            r.rule_id: r.status
            for r in conn.execute(sa.select(findings.c.rule_id, findings.c.status))
        }


def test_migration_0003_downgrades_and_upgrades_cleanly(engine: Engine) -> None:
    downgrade(engine, "0001")
    assert "findings" not in sa.inspect(engine).get_table_names()
    upgrade(engine)
    names = set(sa.inspect(engine).get_table_names())
    assert {"findings", "procedure_checks", "assessment_runs"} <= names


def test_assess_all_stores_findings_with_versions_and_a_rerun_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    ingest(engine, tmp_path / "in", victim_case())
    first = svc.assess_all(engine)
    assert first.people == 2 and first.new > 0
    marac = svc.worklist(engine, "marac_due")
    assert [f.rule_id for f in marac] == ["MARAC-VISIBLE-HIGH-RISK"]
    (f,) = marac
    assert (f.instrument_id, f.instrument_version) == ("dash-police", "2009")
    assert f.rule_version.startswith("1.") and f.status == "open" and f.person_id is None
    assert f.due_at == datetime(2025, 1, 13, 17, 0, tzinfo=UTC)
    assert "15 'yes' answers (>= 14)" in f.explanation
    before = statuses(engine)
    second = svc.assess_all(engine)
    assert (second.new, second.changed, second.closed) == (0, 0, 0)
    assert statuses(engine) == before
    with engine.connect() as conn:
        runs = conn.execute(sa.select(sa.func.count()).select_from(assessment_runs)).scalar_one()
    assert runs == 2


def test_a_referral_arriving_later_closes_the_finding_by_rule_and_counts_as_late(
    engine: Engine, tmp_path: Path
) -> None:
    ingest(engine, tmp_path / "a", victim_case())
    svc.assess_all(engine)
    ingest(
        engine,
        tmp_path / "b",
        [rows.referral("r1", "p1", "marac", "2025-01-20T10:00:00Z", event_ref="e1")],
        now=NOW + timedelta(days=1),
    )
    summary = svc.assess_since(engine, NOW + timedelta(hours=1))
    assert summary.people == 1
    assert statuses(engine)["MARAC-VISIBLE-HIGH-RISK"] == "closed_by_rule"
    with engine.connect() as conn:
        check = conn.execute(
            sa.select(procedure_checks).where(
                procedure_checks.c.rule_id == "MARAC-VISIBLE-HIGH-RISK"
            )
        ).one()
    assert check.on_time is False
    assert check.done_at == datetime(2025, 1, 20, 10, 0, tzinfo=UTC)
    assert (check.area, check.team) == ("North", "PPU-1")


def test_compliance_rate_per_rule_area_and_team_is_computable_from_procedure_checks(
    engine: Engine, tmp_path: Path
) -> None:
    items = victim_case() + [
        rows.referral("r1", "c1", "operation_encompass", "2025-01-13T07:00:00Z", event_ref="e1")
    ]
    ingest(engine, tmp_path / "in", items)
    svc.assess_all(engine)
    query = sa.text(
        "SELECT rule_id, area, team, SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS on_time, "
        "COUNT(*) AS due FROM procedure_checks WHERE due_at <= :t GROUP BY rule_id, area, team"
    )
    with engine.connect() as conn:
        got = {r.rule_id: (r.on_time, r.due) for r in conn.execute(query, {"t": NOW})}
    assert got["OP-ENCOMPASS-SCHOOL-TOLD"] == (1, 1)
    assert got["MARAC-VISIBLE-HIGH-RISK"] == (0, 1)
    assert got["DA-DASH-COMPLETED"] == (1, 1)


def test_acknowledging_and_resolving_records_who_and_when_and_audits_it(
    engine: Engine, tmp_path: Path
) -> None:
    ingest(engine, tmp_path / "in", victim_case())
    svc.assess_all(engine)
    (f,) = svc.worklist(engine, "marac_due")
    acked = svc.acknowledge_finding(engine, f.id, actor=SERGEANT)
    assert acked.status == "acknowledged" and acked.acknowledged_by == "user:2"
    assert acked.acknowledged_at is not None
    with pytest.raises(InvalidTransition, match="is acknowledged; it cannot become acknowledged"):
        svc.acknowledge_finding(engine, f.id, actor=SERGEANT)
    done = svc.resolve_finding(engine, f.id, actor=SERGEANT, note="referred by phone")
    assert (done.status, done.resolved_by, done.resolution_note) == (
        "resolved", "user:2", "referred by phone",
    )  # fmt: skip
    with pytest.raises(NotFound):
        svc.resolve_finding(engine, 99999, actor=SERGEANT, note="y")
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))]
    assert actions == ["ingest.run", "finding.acknowledged", "finding.resolved"]
    svc.assess_all(engine)
    assert statuses(engine)["MARAC-VISIBLE-HIGH-RISK"] == "resolved"


def test_linked_mentions_are_assessed_as_one_person_and_their_unlinked_findings_close(
    engine: Engine, tmp_path: Path
) -> None:
    items = [
        rows.person("p1"),
        rows.person("p2"),
        rows.event("e1", "2025-01-10T12:00:00Z"),
        rows.event("e2", "2025-03-10T12:00:00Z"),
        rows.event("e3", "2025-06-10T12:00:00Z"),
        rows.involvement("i1", "e1", "p1"),
        rows.involvement("i2", "e2", "p2"),
        rows.involvement("i3", "e3", "p2"),
    ]
    ingest(engine, tmp_path / "in", items)
    svc.assess_all(engine)
    assert not svc.worklist(engine, "marac_due")
    with engine.begin() as conn:
        ids = [r.id for r in conn.execute(sa.select(person_mentions.c.id))]
        pid = conn.execute(
            sa.insert(people).values(created_at=NOW).returning(people.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(person_links),
            [{"mention_id": m, "person_id": pid, "linked_at": NOW} for m in ids],
        )
    svc.assess_all(engine)
    (f,) = svc.worklist(engine, "marac_due")
    assert f.rule_id == "MARAC-POTENTIAL-ESCALATION" and f.person_id == pid
    assert [x.person_key for x in svc.open_findings_for_person(engine, pid)] != []
    assert not [x for x in svc.open_findings_for_person(engine, f"M{ids[0]}") if x.status == "open"]


def test_assess_people_reassesses_only_those_people(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, tmp_path / "in", victim_case())
    with engine.begin() as conn:
        mentions = {
            r.source_id: r.id
            for r in conn.execute(sa.select(person_mentions.c.source_id, person_mentions.c.id))
        }
        pid = conn.execute(
            sa.insert(people).values(created_at=NOW).returning(people.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(person_links).values(mention_id=mentions["p1"], person_id=pid, linked_at=NOW)
        )
    summary = svc.assess_people(engine, [pid])
    assert summary.people == 1
    keys = {f.person_key for f in svc.worklist(engine, "overdue", as_of=NOW)}
    assert keys == {f"P{pid}"}


def _signature(engine: Engine) -> set[tuple[object, ...]]:
    """What the engine currently says, by source ids: findings it raises (open, or done late)
    and every procedure check. Findings it raised earlier and withdrew stay on record as
    closed_by_rule with no done time: the trail, not the result."""
    with engine.connect() as conn:
        source = dict(conn.execute(sa.select(events.c.id, events.c.source_id)).all())
        current = sa.select(findings).where(
            sa.or_(findings.c.status != "closed_by_rule", findings.c.done_at.is_not(None))
        )
        found = {
            ("finding", r.rule_id, source.get(r.event_id), r.due_at, r.done_at, r.status)
            for r in conn.execute(current)
        }
        checks = {
            ("check", r.rule_id, source.get(r.event_id), r.due_at, r.done_at, r.on_time)
            for r in conn.execute(sa.select(procedure_checks))
        }
        return found | checks


def test_the_order_records_arrive_in_does_not_change_the_stored_findings(
    engine: Engine, tmp_path: Path
) -> None:
    items = victim_case() + [
        rows.event("e2", "2025-02-01T12:00:00Z"),
        rows.event("e3", "2025-12-01T09:00:00Z"),
        rows.involvement("i3", "e2", "p1"),
        rows.involvement("i4", "e3", "p1"),
        rows.referral("r1", "p1", "marac", "2025-02-03T10:00:00Z", event_ref="e2"),
    ]
    ingest(engine, tmp_path / "all", list(reversed(items)))
    svc.assess_all(engine)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    try:
        by_id = {str(i["source_id"]): i for i in items}
        batches = [["p1", "c1", "e3", "e2", "i4", "i3"], ["e1", "r1", "i2", "i1"], ["a1"]]
        for n, batch in enumerate(batches):
            ingest(other, tmp_path / f"part{n}", [by_id[k] for k in batch])
            svc.assess_all(other)
        assert _signature(engine) == _signature(other)
        assert _signature(engine)
    finally:
        other.dispose()


def test_since_last_reassesses_only_people_touched_after_the_last_run(
    engine: Engine, tmp_path: Path
) -> None:
    assert svc.assess_since(engine).people == 0  # nothing stored yet: a full (empty) run
    ingest(engine, tmp_path / "a", victim_case(), now=datetime.now(UTC))
    assert svc.assess_since(engine).people == 2
    ingest(
        engine,
        tmp_path / "b",
        [rows.referral("r1", "p1", "marac", "2025-01-11T10:00:00Z", event_ref="e1")],
        now=datetime.now(UTC),
    )
    again = svc.assess_since(engine)
    assert again.people == 1
    assert statuses(engine)["MARAC-VISIBLE-HIGH-RISK"] == "closed_by_rule"
    assert svc.assess_since(engine).people == 0


def _force(n: int) -> list[dict[str, object]]:
    """``n`` households: a victim with escalating incidents, a DASH, a child present, a referral
    on some, a suspect, and a missing child; enough variety for every rule family to fire."""
    items: list[dict[str, object]] = []
    for h in range(n):
        v, s, c, k = f"v{h}", f"s{h}", f"c{h}", f"k{h}"
        items += [
            rows.person(v, dob=f"19{70 + h % 25}-05-0{1 + h % 9}"),
            rows.person(s, dob=f"19{60 + h % 30}-07-1{h % 9}"),
            rows.person(c, dob=f"20{10 + h % 9}-02-0{1 + h % 9}"),
            rows.person(k, dob="2011-03-04"),
        ]
        for e in range(1 + h % 4):
            ev, day = f"e{h}-{e}", f"2025-0{1 + e * 2}-1{h % 9}T1{h % 10}:00:00Z"
            items += [
                rows.event(ev, day, area=f"Area{h % 3}"),
                rows.involvement(f"iv{h}-{e}", ev, v),
                rows.involvement(f"is{h}-{e}", ev, s, "suspect"),
                rows.involvement(f"ic{h}-{e}", ev, c, "child_present"),
            ]
            if (h + e) % 2 == 0:
                items.append(rows.dash(f"a{h}-{e}", v, day, 5 + (h * 3 + e) % 20, event_ref=ev))
            if (h + e) % 3 == 0:
                items.append(rows.referral(f"r{h}-{e}", v, "marac", day, event_ref=ev))
            mev = f"m{h}-{e}"
            items += [
                rows.event(mev, day, "missing_person"),
                rows.involvement(f"im{h}-{e}", mev, k, "missing_person"),
                rows.missing(f"ep{h}-{e}", mev, k, day),
            ]
    return items


def _stored(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every stored finding and procedure check in id order, without ids and run times."""
    skip = {"id", "first_found_at", "last_changed_at", "evaluated_at"}
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(*[c for c in findings.c if c.name not in skip]).order_by(findings.c.id)
        ).all()
        checks = conn.execute(
            sa.select(*[c for c in procedure_checks.c if c.name not in skip]).order_by(
                procedure_checks.c.id
            )
        ).all()
    return [tuple(r) for r in found], [tuple(r) for r in checks]


def test_a_full_run_stores_the_same_with_one_worker_or_several(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(engine, tmp_path / "in", _force(12))
    with engine.begin() as conn:  # link each victim's mentions into a person, like linking
        ids = [r.id for r in conn.execute(sa.select(person_mentions.c.id).limit(4))]
        pid = conn.execute(
            sa.insert(people).values(created_at=NOW).returning(people.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(person_links),
            [{"mention_id": m, "person_id": pid, "linked_at": NOW} for m in ids],
        )
    monkeypatch.setattr(svc, "BATCH_PEOPLE", 5)  # many batches, so several workers share them
    one = svc.assess_all(engine, workers=1)
    alone = _stored(engine)
    assert one.people == 45 and len(alone[0]) > 20 and len(alone[1]) > 20
    with engine.begin() as conn:
        conn.execute(sa.delete(procedure_checks))
        conn.execute(sa.delete(findings))
    many = svc.assess_all(engine, workers=3)
    assert (many.people, many.new, many.changed) == (one.people, one.new, one.changed)
    assert _stored(engine) == alone
    again = svc.assess_all(engine, workers=2)
    assert (again.new, again.changed, again.closed) == (0, 0, 0)
    assert _stored(engine) == alone
