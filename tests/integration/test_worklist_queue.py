"""The worklists ranked and paged in the database give exactly what the domain's triage gives
over the whole list (priority from risk, band and lateness, grouped per person, filtered, exact
totals), on SQLite and PostgreSQL, including items due exactly at a lateness step."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import work_queue
from safeguard.adapters.db.assignments import work_assignments
from safeguard.adapters.db.findings import ACTIVE, findings
from safeguard.adapters.db.risk_models import risk_models, risk_scores
from safeguard.adapters.db.tables import events
from safeguard.adapters.db.types import as_utc
from safeguard.domain.triage import (
    Page,
    Task,
    group_by_person,
    in_window,
    level,
    paginate,
    priority,
    state_of,
)
from safeguard.domain.worklists import WORKLIST_BY_CODE
from safeguard.services import risk_model, triage
from safeguard.services import worklist_rankings as rankings
from safeguard.services.findings import key_to_person_id
from safeguard.services.risk_model import person_bands
from tests.web_fixtures import add

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
CATEGORIES = ("repeat_victim", "victim_update", "marac_due", "professional_judgement")
AREAS = ("North", "South", None)
TEAMS = ("T1", "T2", None)
NAMES = {3: "high", 2: "medium", 1: "low"}


def _due(rnd: random.Random) -> datetime | None:
    pick = rnd.random()
    if pick < 0.2:
        return None
    if pick < 0.45:  # exactly on a lateness step: k half-days late, now, a day or 3 days ahead
        return rnd.choice(
            [NOW - timedelta(hours=12 * k) for k in range(0, 23)]
            + [NOW + timedelta(hours=24), NOW + timedelta(hours=72)]
        )
    return NOW + timedelta(minutes=rnd.randint(-16 * 24 * 60, 10 * 24 * 60))


def _world(conn: Connection, seed: int) -> None:
    rnd = random.Random(seed)
    incidents = [
        add(conn, events, event_type="domestic_abuse", occurred_at=NOW - timedelta(days=d))
        for d in (1, 5, 30, 400)
    ]
    people = [f"P{n}" for n in range(1, 40)] + [f"M{n}" for n in range(1, 10)]
    model = conn.execute(
        sa.insert(risk_models)
        .values(
            target="da_repeat",
            version=1,
            family="spline_logistic",
            format_version=1,
            features=[],
            created_at=NOW,
            trained_by="t",
            data_end=NOW,
            artifact=b"x",
            sha256="0" * 64,
            card={},
            card_markdown="",
            refusals=[],
            active=True,
        )  # fmt: skip
        .returning(risk_models.c.id)
    ).scalar_one()
    for n in range(260):
        key = rnd.choice(people)
        fid = conn.execute(
            sa.insert(findings)
            .values(
                finding_key=f"q:{n}",
                rule_id=rnd.choice(["DA-MARAC-1", "DA-REPEAT-1", "VC-1"]),
                rule_version="1",
                person_key=key,
                person_id=key_to_person_id(key) if key[0] == "P" else None,
                event_id=rnd.choice([*incidents, None]),
                category=rnd.choice(CATEGORIES),
                kind="procedure",
                severity=rnd.choice(["high", "medium", "low"]),
                due_at=_due(rnd),
                status=rnd.choice(["open", "open", "acknowledged", "closed_by_rule", "resolved"]),
                explanation="x",
                facts="{}",
                area=rnd.choice(AREAS),
                team=rnd.choice(TEAMS),
                content_hash="0" * 32,
                first_found_at=NOW - timedelta(days=rnd.randint(0, 9)),
                last_changed_at=NOW,
            )
            .returning(findings.c.id)
        ).scalar_one()
        if rnd.random() < 0.25:
            conn.execute(
                sa.insert(work_assignments).values(
                    finding_id=fid,
                    owner_user=rnd.choice(["alice", "bob", None]),
                    owner_team=rnd.choice(["T2", "T3", "", None]),
                    assigned_by="t",
                    assigned_at=NOW,
                )
            )
    for n, key in enumerate(rnd.sample(people, 20)):  # some people scored, two targets
        for target in ("da_repeat", "child_missing"):
            for back in range(rnd.randint(0, 2)):
                conn.execute(
                    sa.insert(risk_scores).values(
                        model_id=model,
                        target=target,
                        subject_key=f"S{n}{target}{back}",
                        person_key=key,
                        event_id=None,
                        occurred_at=NOW - timedelta(days=back),
                        probability=0.5,
                        band=rnd.choice(["low", "medium", "high"]),
                        scored_at=NOW,
                        drivers=[],
                    )  # fmt: skip
                )


def _reference(conn: Connection, code: str, f: triage.Filters) -> Page:
    """The whole list read and triaged in Python with the domain's functions."""
    kind = WORKLIST_BY_CODE[code]
    bands = person_bands(conn)
    t, w = findings.c, work_assignments.c
    rows = conn.execute(
        sa.select(t, events.c.occurred_at, w.owner_user, w.owner_team.label("assigned_team"))
        .outerjoin(events, events.c.id == t.event_id)
        .outerjoin(work_assignments, w.finding_id == t.id)
    ).all()
    risk: dict[str, int] = {}
    for r in rows:
        if r.status in ACTIVE:
            risk[r.person_key] = max(risk.get(r.person_key, 0), level(r.severity))
    tasks = []
    for r in rows:
        due_at = as_utc(r.due_at)
        if r.status not in ACTIVE:
            continue
        if code == "overdue":
            if due_at is None or due_at >= NOW:
                continue
        elif r.category not in kind.categories:
            continue
        if (f.area and r.area != f.area) or (f.team and r.team != f.team):
            continue
        if f.kind and r.category != f.kind:
            continue
        owner_user = r.owner_user or None
        owner_team = r.assigned_team or r.team
        if f.owner == "unassigned" and owner_user:
            continue
        if f.owner not in (None, "unassigned") and f.owner not in (owner_user, owner_team):
            continue
        basis = due_at or as_utc(r.occurred_at) or as_utc(r.first_found_at)
        if not in_window(basis, f.window, NOW):
            continue
        pid = key_to_person_id(r.person_key)
        assert pid is not None
        name = NAMES.get(risk.get(r.person_key, 0))
        tasks.append(
            Task(
                finding_id=r.id,
                person_id=pid,
                rule_id=r.rule_id,
                title=triage.rule_title(r.rule_id),
                category=r.category,
                severity=r.severity,
                due_at=basis,
                state=state_of(r.status, owner_user),
                owner_team=owner_team,
                owner_user=owner_user,
                area=r.area,
                priority=priority(
                    severity=r.severity,
                    person_risk=name,
                    due_at=due_at,
                    now=NOW,
                    band=bands.get(pid),
                ),
                overdue=due_at is not None and due_at < NOW,
                person_risk=name,
            )  # fmt: skip
        )
    return paginate(group_by_person(tasks, bands=bands), f.page, f.per_page)


def _shape(page: Page) -> Any:
    return (
        page.page,
        page.pages,
        page.total_people,
        page.total_tasks,
        [
            (w.person_id, w.priority, w.next_due, w.risk, w.band,
             [(t.finding_id, t.priority, t.state, t.owner_user, t.owner_team, t.due_at, t.overdue)
              for t in w.tasks])
            for w in page.people
        ],
    )  # fmt: skip


CUTS = [
    {},
    {"page": 2, "per_page": 5},
    {"page": 99, "per_page": 4},  # past the end: the last page
    {"area": "North"},
    {"team": "T1", "per_page": 3},
    {"owner": "alice"},
    {"owner": "T2"},
    {"owner": "unassigned", "per_page": 6, "page": 2},
    {"kind": "marac_due"},
    {"due": "overdue"},
    {"due": "24h", "per_page": 4},
    {"due": "7d", "area": "South"},
]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_paged_lists_are_the_domains_triage_of_the_whole_list(
    engine: Engine, seed: int
) -> None:
    with engine.begin() as conn:
        _world(conn, seed)
    rankings.RANKINGS.clear()
    with engine.connect() as conn:
        for code in ("overdue", "repeat-victims", "victims-code-due", "marac-due"):
            assert _reference(conn, code, triage.Filters()).total_people >= 8  # a real list
            for cut in CUTS:
                f = triage.filters_from(**cut)
                got = triage.triaged_page(conn, code, NOW, f)
                assert _shape(got) == _shape(_reference(conn, code, f)), (code, cut)


def test_a_page_past_the_kept_ranking_is_ranked_on_its_own(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        _world(conn, 3)
    monkeypatch.setattr(rankings, "RANKED_KEPT", 4)
    rankings.RANKINGS.clear()
    with engine.connect() as conn:
        for page in (1, 2, 3, 50):
            f = triage.filters_from(page=page, per_page=3)
            got = triage.triaged_page(conn, "overdue", NOW, f)
            assert _shape(got) == _shape(_reference(conn, "overdue", f)), page


def test_the_flat_list_is_the_most_urgent_items_in_order(engine: Engine) -> None:
    with engine.begin() as conn:
        _world(conn, 4)
    with engine.connect() as conn:
        for code in ("overdue", "victims-code-due"):
            everything = _reference(conn, code, triage.filters_from(per_page=200))
            expected = sorted(
                (t for w in everything.people for t in w.tasks),
                key=lambda t: (-t.priority, t.due_at, t.finding_id),
            )[:10]
            got = triage.top_tasks(conn, code, NOW, 10)
            assert [(t.finding_id, t.priority) for t in got] == [
                (t.finding_id, t.priority) for t in expected
            ]


def test_filter_choices_are_the_values_of_open_items(engine: Engine) -> None:
    with engine.begin() as conn:
        _world(conn, 5)
    with engine.connect() as conn:
        for column in ("area", "team", "category"):
            c = findings.c[column]
            expected = sorted(
                conn.execute(
                    sa.select(c).distinct().where(findings.c.status.in_(ACTIVE), c.is_not(None))
                ).scalars()
            )
            assert work_queue.distinct_active(conn, column) == expected


def _writes(conn: Connection, seed: int) -> set[str]:
    """Clicks and a small re-assessment after the lists were ranked: items completed,
    acknowledged and taken, a severity raised (the person's risk on every list), new
    findings for a known and a new person. Returns the people touched."""
    rnd = random.Random(seed)
    later = NOW + timedelta(seconds=1)
    open_ = conn.execute(
        sa.select(findings.c.id, findings.c.person_key).where(findings.c.status.in_(ACTIVE))
    ).all()
    touched = set()
    for fid, key in rnd.sample(open_, 12):
        touched.add(key)
        change = rnd.choice(["resolved", "acknowledged", "severity", "assign"])
        if change == "assign":
            conn.execute(sa.delete(work_assignments).where(work_assignments.c.finding_id == fid))
            conn.execute(
                sa.insert(work_assignments).values(
                    finding_id=fid,
                    owner_user="carol",
                    owner_team="T1",
                    assigned_by="t",
                    assigned_at=later,
                )
            )
            continue
        values: dict[str, Any] = {"last_changed_at": later}
        if change == "severity":
            values["severity"] = "high"
        else:
            values["status"] = change
        conn.execute(sa.update(findings).where(findings.c.id == fid).values(**values))
    for n, key in enumerate(["P7", "P99"]):
        touched.add(key)
        conn.execute(
            sa.insert(findings).values(
                finding_key=f"new:{seed}:{n}",
                rule_id="DA-MARAC-1",
                rule_version="1",
                person_key=key,
                person_id=key_to_person_id(key),
                event_id=None,
                category="marac_due",
                kind="procedure",
                severity="high",
                due_at=NOW - timedelta(days=3),
                status="open",
                explanation="x",
                facts="{}",
                area="North",
                team="T1",
                content_hash="0" * 32,
                first_found_at=later,
                last_changed_at=later,
            )  # fmt: skip
        )
    return touched


@pytest.mark.parametrize(("seed", "kept"), [(6, 250), (7, 4)])
def test_a_write_patches_the_kept_ranking_to_exactly_the_whole_lists_triage(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, seed: int, kept: int
) -> None:
    """After a click or a small re-assessment the kept ranking is brought up to date person
    by person, not ranked again on the request's time, and every page is still exactly the
    domain's triage of the whole list (nothing completed shown, totals exact); ``kept`` 4:
    the kept beginning of the list is shorter than the list."""
    with engine.begin() as conn:
        _world(conn, seed)
    monkeypatch.setattr(rankings, "RANKED_KEPT", kept)
    rankings.RANKINGS.clear()
    codes = ("overdue", "repeat-victims", "marac-due")
    cuts = [{}, {"page": 2, "per_page": 3}, {"owner": "carol"}, {"due": "7d"}]
    with engine.connect() as conn:
        for code in codes:
            for cut in cuts:
                triage.triaged_page(conn, code, NOW, triage.filters_from(**cut))
    with engine.begin() as conn:
        touched = _writes(conn, seed)
    ranked_again: list[object] = []
    real_rank = rankings.rank
    monkeypatch.setattr(rankings, "rank", lambda *a: ranked_again.append(a[1]) or real_rank(*a))
    with engine.connect() as conn:
        for code in codes:
            for cut in cuts:
                f = triage.filters_from(**cut)
                got = triage.triaged_page(conn, code, NOW, f)
                assert _shape(got) == _shape(_reference(conn, code, f)), (code, cut)
        changed = work_queue.people_changed_since(
            conn, newest=0, changed=NOW + timedelta(milliseconds=500), owned=None
        )
    assert ranked_again == []  # every list was patched, none ranked again
    assert changed is not None and touched <= changed | {"P99"}


def test_a_removal_or_new_scores_rank_the_list_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a patch cannot bring up to date (a retention decision removes rows; a model's
    new scores move many people's bands) makes the next request rank the list again."""
    with engine.begin() as conn:
        _world(conn, 8)
    rankings.RANKINGS.clear()
    with engine.connect() as conn:
        triage.triaged_page(conn, "overdue", NOW, triage.filters_from())
    with engine.begin() as conn:
        conn.execute(
            sa.delete(risk_scores).where(
                risk_scores.c.id == sa.select(sa.func.min(risk_scores.c.id)).scalar_subquery()
            )
        )
        model = conn.execute(sa.select(risk_models.c.id)).scalar_one()
        conn.execute(sa.insert(risk_scores).values(
            model_id=model, target="da_repeat", subject_key="S-new", person_key="P3",
            event_id=None, occurred_at=NOW + timedelta(hours=1), probability=0.9, band="high",
            scored_at=NOW,
            drivers=[],
        ))  # fmt: skip
    # The reference's bands are kept per database address and (model, newest score): on
    # PostgreSQL an earlier test's database of the same address can hold the same pair.
    risk_model._PERSON_BANDS.clear()
    ranked_again: list[object] = []
    real_rank = rankings.rank
    monkeypatch.setattr(rankings, "rank", lambda *a: ranked_again.append(a[1]) or real_rank(*a))
    with engine.connect() as conn:
        f = triage.filters_from()
        got = triage.triaged_page(conn, "overdue", NOW, f)
        assert _shape(got) == _shape(_reference(conn, "overdue", f))
    assert len(ranked_again) == 1


def test_a_ranking_begun_before_a_clear_is_not_kept(engine: Engine) -> None:
    """A background ranking that finishes after the rankings were cleared (the database
    emptied and filled again, which can repeat a data version) is dropped, not kept."""
    with engine.begin() as conn:
        _world(conn, 3)
    kept = rankings.Rankings()
    spec = triage.spec_of("overdue")
    key = (engine.url.render_as_string(), spec)
    begun = kept._generation
    kept.clear()
    kept._refresh(engine, key, spec, NOW, begun)
    with engine.connect() as conn:
        assert kept._patched(conn, key, spec, rankings.data_version(conn), NOW) is None
    kept._refresh(engine, key, spec, NOW, kept._generation)
    with engine.connect() as conn:
        assert kept._hit(key, rankings.data_version(conn), NOW) is not None
