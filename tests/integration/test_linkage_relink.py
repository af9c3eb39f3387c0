"""A re-link with the saved model redoes only what changed, and gives the full run's people.

The re-link (``runs.link_all`` a second time, the model saved) reuses the last batch run's
scored pairs and clusters for mentions that did not change; these tests compare it with a full
run with the same model on the same records, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import events, involvements, person_mentions
from safeguard.adapters.linkage import relink
from safeguard.adapters.linkage.backend import Prediction, PreviousRun
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.domain.access import Actor, Role
from safeguard.domain.linking import Clustering, Constraints
from safeguard.services.linking import decisions, runs
from safeguard.services.linking.config import LinkConfig
from safeguard.services.unit_of_work import SCHEDULED_RUN
from tests.linkage_data import insert_mentions, make_mentions, make_people, stored_links, with_model

SERGEANT = Actor(2, "mash_sergeant", Role.SUPERVISOR)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PEOPLE = make_people(150, seed=3)
ROWS = make_mentions(PEOPLE, seed=5)
KNOWN = [r for r in ROWS if r["id"] % 6]
ADDED = [r for r in ROWS if not r["id"] % 6]
THRESHOLD = 0.5


@pytest.fixture(scope="module")
def trained_model() -> str:
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=NOW.date())
        return json.dumps(session.train(), sort_keys=True)


def _open_reviews(engine: Engine) -> set[tuple[int, int, str, float, float]]:
    r = link_reviews.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.mention_id_l, r.mention_id_r, r.reason, r.match_probability, r.priority)
            .where(r.status == "open")
        ).all()  # fmt: skip
    return {
        (int(a), int(b), str(c), round(float(p), 12), round(float(q), 9)) for a, b, c, p, q in rows
    }


def _add_event(engine: Engine, source_id: str, mentions: list[int]) -> None:
    with engine.begin() as conn:
        event_id = conn.execute(
            sa.insert(events)
            .values(
                source_system="NICHE", source_id=source_id, event_type="domestic_abuse",
                content_hash=source_id, first_ingested_at=NOW, last_changed_at=NOW,
            )
            .returning(events.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            sa.insert(involvements),
            [
                {
                    "source_system": "NICHE", "source_id": f"{source_id}-{m}",
                    "event_id": event_id, "mention_id": m, "role": "victim",
                    "content_hash": f"{source_id}-{m}", "first_ingested_at": NOW,
                    "last_changed_at": NOW,
                }
                for m in mentions
            ],
        )  # fmt: skip


def _edit(engine: Engine, mention_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(person_mentions).where(person_mentions.c.id == mention_id).values(**values)
        )


def _people_of(links: dict[int, int]) -> dict[int, list[int]]:
    people: dict[int, list[int]] = {}
    for m, p in sorted(links.items()):
        people.setdefault(p, []).append(m)
    return people


def test_a_relink_after_records_are_added_changed_and_decided_gives_the_full_runs_people(
    engine: Engine, trained_model: str, tmp_path: Path
):
    config = LinkConfig(store_dir=tmp_path / "link")
    insert_mentions(engine, KNOWN)
    with_model(engine, trained_model, trained_on=len(ROWS), version="relink-model")
    first = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    assert first.changed_mentions is None  # nothing kept yet: a full run
    assert (config.store_dir / relink.STATE_FILE).exists()

    kept = (config.store_dir / relink.STATE_FILE).stat().st_mtime_ns
    again = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW + timedelta(hours=1))
    assert (again.changed_mentions, again.reclustered, again.changed_links) == (0, 0, 0)
    assert (config.store_dir / relink.STATE_FILE).stat().st_mtime_ns == kept  # not rewritten
    assert "predict changed pairs" in again.stages

    # overnight: new records, two records corrected, one event, an analyst's split
    insert_mentions(engine, ADDED)
    people = [ms for ms in _people_of(stored_links(engine)).values() if len(ms) >= 3]
    _edit(engine, people[0][0], surname="Zzyzx-Quorn")
    _edit(engine, people[1][0], date_of_birth=None, age=None)
    _add_event(engine, "E-relink", [people[2][0], people[2][1]])
    decisions.split_link(
        engine, actor=SERGEANT, reason="different people", mentions=(people[3][0], people[3][1])
    )
    later = NOW + timedelta(days=1)
    relinked = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=later)
    assert relinked.changed_mentions == len(ADDED) + 2
    assert relinked.reclustered is not None and 0 < relinked.reclustered < len(ROWS)
    incremental, reviews = stored_links(engine), _open_reviews(engine)
    assert set(incremental) == {r["id"] for r in ROWS}
    assert incremental[people[3][0]] != incremental[people[3][1]]  # the split is obeyed
    assert incremental[people[2][0]] != incremental[people[2][1]]  # two people in one event

    # the same records and model, linked in full (no kept run): not one link moves
    full = runs.link_all(
        engine, actor=SCHEDULED_RUN, config=LinkConfig(store_dir=tmp_path / "fresh"), now=later
    )
    assert full.changed_mentions is None and full.changed_links == 0
    assert stored_links(engine) == incremental
    assert _open_reviews(engine) == reviews
    assert (full.people, full.pairs_scored, full.review_items, full.unlinkable) == (
        relinked.people, relinked.pairs_scored, relinked.review_items, relinked.unlinkable,
    )  # fmt: skip


def test_a_relink_after_a_record_is_removed_or_a_decision_undone_matches_a_full_run(
    engine: Engine, trained_model: str, tmp_path: Path
):
    config = LinkConfig(store_dir=tmp_path / "link")
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS), version="relink-model")
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    people = [ms for ms in _people_of(stored_links(engine)).values() if len(ms) >= 3]
    decision = decisions.confirm_link(
        engine, actor=SERGEANT, reason="same PNC id", mentions=(people[0][0], people[1][0])
    )
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW + timedelta(hours=1))
    assert stored_links(engine)[people[0][0]] == stored_links(engine)[people[1][0]]
    decisions.undo_decision(engine, actor=SERGEANT, decision_id=decision, reason="wrong PNC")
    gone = people[2][0]
    with engine.begin() as conn:
        conn.execute(sa.delete(person_links).where(person_links.c.mention_id == gone))
        conn.execute(
            sa.delete(link_reviews).where(
                (link_reviews.c.mention_id_l == gone) | (link_reviews.c.mention_id_r == gone)
            )
        )
        conn.execute(sa.delete(person_mentions).where(person_mentions.c.id == gone))
    later = NOW + timedelta(days=1)
    relinked = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=later)
    assert relinked.changed_mentions == 0 and relinked.reclustered
    incremental = stored_links(engine)
    assert incremental[people[0][0]] != incremental[people[1][0]]
    full = runs.link_all(
        engine, actor=SCHEDULED_RUN, config=LinkConfig(store_dir=tmp_path / "fresh"), now=later
    )
    assert full.changed_mentions is None and full.changed_links == 0
    assert stored_links(engine) == incremental


def test_other_settings_or_an_unreadable_kept_run_mean_a_full_run(
    engine: Engine, trained_model: str, tmp_path: Path
):
    config = LinkConfig(store_dir=tmp_path / "link")
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS), version="relink-model")
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    other = LinkConfig(store_dir=config.store_dir, guards_off=frozenset({"twins"}))
    assert (
        runs.link_all(engine, actor=SCHEDULED_RUN, config=other, now=NOW).changed_mentions is None
    )
    assert runs.link_all(engine, actor=SCHEDULED_RUN, config=other, now=NOW).changed_mentions == 0
    (config.store_dir / relink.STATE_FILE).write_bytes(b"not a DuckDB file")
    summary = runs.link_all(engine, actor=SCHEDULED_RUN, config=other, now=NOW)
    assert summary.changed_mentions is None and summary.changed_links == 0


def _full(session_rows: list[dict[str, Any]], model: dict[str, Any]) -> tuple[Any, ...]:
    with LinkingSession() as s:
        s.load(raw_from_records(session_rows), today=NOW.date())
        s.use_model(model)
        p = s.predict(threshold=THRESHOLD)
        weak = s.con.execute("select a, b from weak_pairs order by a, b").fetchall()
    return _sorted(p), weak


def _sorted(p: Prediction) -> list[tuple[int, int, float]]:
    return sorted(zip(p.left.tolist(), p.right.tolist(), p.probability.tolist(), strict=True))


def test_reused_and_newly_scored_pairs_are_exactly_a_full_predictions(
    trained_model: str, tmp_path: Path
):
    model = json.loads(trained_model)
    before = [r for r in ROWS if r["id"] % 7]
    after = [dict(r) for r in ROWS if r["id"] % 11]  # some removed, some added
    after[5]["surname"] = "Quorn"  # and one changed
    state = tmp_path / relink.STATE_FILE
    with LinkingSession() as s:
        s.load(raw_from_records(before), today=NOW.date())
        s.use_model(model)
        p = s.predict(threshold=THRESHOLD)
        ids = np.array(sorted(s.mention_ids()), dtype=np.int64)
        s.save_run(state, "k", p, ids, ids, ids, [], Constraints())
    with LinkingSession() as s:
        s.load(raw_from_records(after), today=NOW.date())
        s.use_model(model)
        assert s.previous_run(state, "another key") is None
        previous = s.previous_run(state, "k")
        assert previous is not None
        assert set(previous.changed.tolist()) == (
            {r["id"] for r in after} - {r["id"] for r in before} | {after[5]["id"]}
        )
        assert set(previous.removed.tolist()) == {r["id"] for r in before} - {
            r["id"] for r in after
        }
        fresh = s.predict_changed(previous.changed, threshold=THRESHOLD)
        combined = Prediction.concat([previous.prediction, fresh])
        weak = s.con.execute("select a, b from weak_pairs order by a, b").fetchall()
        assert len(fresh) and len(previous.prediction)
    assert (_sorted(combined), weak) == _full(after, model)


def test_recluster_keeps_unchanged_components_and_redoes_only_touched_ones() -> None:
    # two components last time: {1, 2, 3} and {10, 11}; mention 11 changed since
    pairs = Prediction(
        np.array([1, 2, 10], np.int64), np.array([2, 3, 11], np.int64), np.array([0.99] * 3)
    )
    ids = np.array([1, 2, 3, 10, 11], np.int64)
    comp = relink.components(ids, pairs, threshold=0.95, must_link=())
    assert comp[0] == comp[1] == comp[2] != comp[3] == comp[4]
    previous = PreviousRun(
        changed=np.array([11], np.int64),
        removed=np.zeros(0, np.int64),
        events_changed=np.zeros(0, np.int64),
        prediction=pairs,
        nodes=ids,
        cluster=np.array([1, 1, 1, 10, 10], np.int64),
        component=comp,
        refused=[],
        constraints=Constraints(),
    )
    clustering, _, redone = relink.recluster(
        ids.tolist(), pairs, previous, threshold=0.95, constraints=Constraints()
    )
    assert redone.tolist() == [10, 11]
    assert isinstance(clustering, Clustering)
    assert clustering.cluster_of == {1: 1, 2: 1, 3: 1, 10: 10, 11: 10}
