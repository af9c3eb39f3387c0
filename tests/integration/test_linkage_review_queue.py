"""A linking run writes only what changed in the review queue, and leaves the queue a full
rewrite would leave (``run_results.write_reviews``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db import link_run_records as run_records
from safeguard.adapters.db import review_queue as queue
from safeguard.adapters.db.linkage import bulk_insert, link_reviews, new_people, save_model
from safeguard.adapters.db.people import people, person_links
from safeguard.domain.linking import RefusedMerge, review_priority
from safeguard.services.linking.run_results import write_reviews
from tests.linkage_data import insert_mentions, make_mentions, make_people

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ROWS = make_mentions(make_people(8, seed=3), seed=5)
IDS = sorted(r["id"] for r in ROWS)
PERSON_OF = {m: m for m in IDS}  # each mention its own person: no roles, histories of one


def _pair(i: int, j: int, p: float) -> RefusedMerge:
    return RefusedMerge(IDS[i], IDS[j], p, "uncertain_match")


def _setup(engine: Engine) -> None:
    insert_mentions(engine, ROWS)
    with engine.begin() as conn:
        save_model(conn, version="m", model_json="{}", backend="duckdb", trained_on=1, at=NOW)


def _run(engine: Engine, at: datetime, candidates: list[RefusedMerge], **kw: Any) -> int:
    with engine.begin() as conn:
        run_id = run_records.start(
            conn, kind="batch", actor="test", backend="duckdb", at=at, process={}
        )
        queued = write_reviews(
            conn, candidates, PERSON_OF, run_id=run_id, at=at, limit=kw.get("limit", 4),
            replace=kw.get("replace", True),
        )  # fmt: skip
        run_records.finish(
            conn, run_id, at=at, model_version="m", mentions=len(IDS), people=len(IDS),
            pairs_scored=len(candidates), unlinkable=0, review_items=queued,
        )  # fmt: skip
    return queued


def _rows(engine: Engine) -> dict[tuple[int, int], tuple[Any, ...]]:
    r = link_reviews.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.mention_id_l, r.mention_id_r, r.id, r.status, r.match_probability,
                      r.priority, r.reason, r.run_id, r.created_at)
        ).all()  # fmt: skip
    return {(int(a), int(b)): tuple(rest) for a, b, *rest in rows}


def _open(engine: Engine) -> dict[tuple[int, int], tuple[float, float, str]]:
    return {k: (v[2], v[3], v[4]) for k, v in _rows(engine).items() if v[1] == "open"}


def _expected(candidates: list[RefusedMerge], limit: int, decided: set[tuple[int, int]]) -> Any:
    """The open queue a run that rewrites it in full leaves (no roles: all uncertain)."""
    ranked = sorted(
        ((review_priority(c.probability, set(), set()).score, c) for c in candidates),
        key=lambda t: (-t[0], t[1].left, t[1].right),
    )[:limit]
    return {
        (c.left, c.right): (c.probability, score, "uncertain_match")
        for score, c in ranked
        if (c.left, c.right) not in decided
    }


def test_a_run_that_ranks_the_queue_as_before_writes_nothing(engine: Engine):
    _setup(engine)
    candidates = [_pair(0, 1, 0.5), _pair(2, 3, 0.6), _pair(4, 5, 0.7), _pair(6, 7, 0.8),
                  _pair(8, 9, 0.9)]  # fmt: skip
    assert _run(engine, NOW, candidates) == 4
    before = _rows(engine)
    assert _run(engine, NOW + timedelta(hours=1), candidates) == 4
    assert _rows(engine) == before  # not one row rewritten: same run, same time
    assert _open(engine) == _expected(candidates, 4, set())


def test_what_changed_is_written_and_the_queue_is_a_full_rewrites_queue(engine: Engine):
    _setup(engine)
    first = [_pair(0, 1, 0.5), _pair(2, 3, 0.55), _pair(4, 5, 0.6), _pair(6, 7, 0.7),
             _pair(8, 9, 0.9)]  # fmt: skip
    assert _run(engine, NOW, first) == 4
    rows = _rows(engine)
    first_run = rows[(IDS[0], IDS[1])][5]
    decided = (IDS[4], IDS[5])
    with engine.begin() as conn:
        queue.mark_decided(conn, rows[decided][0], status="split", decision_id=1)
    later = NOW + timedelta(days=1)
    second = [
        _pair(0, 1, 0.5),  # the same: kept as it is
        _pair(2, 3, 0.52),  # a new probability: queued again
        _pair(4, 5, 0.6),  # decided: never queued again, though ranked
        _pair(10, 11, 0.51),  # new
        _pair(8, 9, 0.9),  # ranked below the limit again: never queued
    ]  # (6, 7) is no longer a candidate: superseded
    assert _run(engine, later, second) == 3
    rows = _rows(engine)
    assert _open(engine) == _expected(second, 4, {decided})
    assert rows[(IDS[0], IDS[1])][5:] == (first_run, NOW)
    assert rows[(IDS[2], IDS[3])][2] == 0.52 and rows[(IDS[2], IDS[3])][5] != first_run
    assert rows[(IDS[10], IDS[11])][1] == "open"
    assert rows[decided][1] == "split"
    assert rows[(IDS[6], IDS[7])][1] == "superseded"
    assert (IDS[8], IDS[9]) not in rows

    # a superseded pair ranked again is re-opened on the same row
    third = [_pair(6, 7, 0.5), _pair(0, 1, 0.5)]
    row_id = rows[(IDS[6], IDS[7])][0]
    assert _run(engine, later + timedelta(days=1), third) == 2
    assert _rows(engine)[(IDS[6], IDS[7])][:2] == (row_id, "open")
    assert _open(engine) == _expected(third, 4, {decided})


def test_a_delta_adds_to_the_queue_and_supersedes_nothing(engine: Engine):
    _setup(engine)
    assert _run(engine, NOW, [_pair(0, 1, 0.5), _pair(2, 3, 0.6)]) == 2
    assert _run(engine, NOW + timedelta(hours=1), [_pair(4, 5, 0.7)], replace=False) == 1
    assert set(_open(engine)) == {(IDS[0], IDS[1]), (IDS[2], IDS[3]), (IDS[4], IDS[5])}


def test_bulk_insert_stores_what_an_insert_stores(engine: Engine):
    _setup(engine)
    with engine.begin() as conn:
        (person,) = new_people(conn, 1, NOW)
    row = {"person_id": person, "match_probability": 0.97, "model_version": "m", "linked_at": NOW}
    with engine.begin() as conn:
        conn.execute(sa.insert(person_links), [{**row, "mention_id": IDS[0]}])
        bulk_insert(conn, person_links, [{**row, "mention_id": IDS[1]}])
    with engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "select person_id, match_probability, model_version, linked_at from person_links "
            "order by mention_id"
        ).all()
        typed = conn.execute(sa.select(person_links).order_by(person_links.c.mention_id)).all()
    assert raw[0] == raw[1]  # the same stored text or values
    assert typed[1].linked_at == NOW and typed[1].mention_id == IDS[1]


def test_new_people_are_a_block_after_the_highest_id_and_the_next_person_follows_them(
    engine: Engine,
):
    with engine.begin() as conn:
        first = new_people(conn, 3, NOW)
        more = new_people(conn, 2_500, NOW)
        conn.execute(sa.insert(people).values(created_at=NOW))  # a person made one at a time
    with engine.connect() as conn:
        rows = conn.execute(sa.select(people.c.id, people.c.created_at).order_by(people.c.id)).all()
    assert first == [1, 2, 3]
    assert more == list(range(4, 2_504))
    assert [int(r.id) for r in rows] == list(range(1, 2_505))  # the serial follows the block
    assert {r.created_at for r in rows} == {NOW}
