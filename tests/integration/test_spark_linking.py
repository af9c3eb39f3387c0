"""The same linking on Spark (local mode) as on DuckDB: the same guards, the same people.

One household extract (twins, same-named fathers and sons, parents and children, partners, two
people in one event) is linked with both backends, each training its own model; the guards and
the constrained clustering run through the same code, so the people agree but for the few pairs
the two EM trainings score a little differently (``docs/linking.md``, "On a Spark cluster").
The last test runs ``safeguard link --backend spark`` through the service on SQLite and
PostgreSQL with the models trained here: one Spark training for the module, the most of its time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.linkage import link_reviews, link_runs
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.adapters.linkage.guards import GUARDS
from safeguard.domain.linking import pairwise_scores
from safeguard.domain.linking_policy import LinkingPolicy
from safeguard.services.linking import runs
from safeguard.services.linking.config import LinkConfig
from safeguard.services.unit_of_work import SCHEDULED_RUN
from tests.linkage_data import (
    Households,
    insert_events,
    insert_mentions,
    make_households,
    relation_merge_rates,
    stored_links,
    with_model,
)

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]

TODAY = date(2026, 6, 1)
POLICY = LinkingPolicy()  # a force's default settings: thresholds and the guards turned off
ADDRESS = "4 mill lane carlisle"


@dataclass
class Linked:
    """One backend's run: its people with the default guards and with every guard off."""

    on: dict[int, int]
    off: dict[int, int]
    model: dict[str, Any]
    guard_counts: dict[str, int]


def _events(data: Households) -> pa.Table:
    return pa.table(
        {"mention_id": [m for m, _ in data.events], "event_id": [e for _, e in data.events]}
    )


def _link(session: Any, data: Households) -> Linked:
    """What ``services.linking.runs.link_all`` does with a backend, up to storing people."""
    session.load(raw_from_records(data.rows), today=TODAY)
    session.load_events(_events(data))
    model = session.train()
    prediction = session.predict(threshold=min(POLICY.review_from, POLICY.match_threshold))
    ids, unlinkable = session.mention_ids(), session.unlinkable()

    def run(off: frozenset[str]) -> dict[int, int]:
        return cluster_prediction(
            ids,
            prediction,
            threshold=POLICY.match_threshold,
            isolated=unlinkable,
            guard_pairs=session.guard_pairs(off),
        ).cluster_of

    on = run(POLICY.guards_off)
    counts = dict(session.guard_counts)
    return Linked(on, run(frozenset(GUARDS)), model, counts)


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Spark session for the module (starting one takes most of a small run)."""
    if shutil.which("java") is None:  # a required tool: fail, never skip (`make system`)
        pytest.fail("needs Java 17 for Spark: run `make system` (openjdk-17-jre-headless)")
    from safeguard.adapters.linkage.spark import spark_session

    session = spark_session("local[2]", tmp_path_factory.mktemp("spark") / "checkpoints")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def households() -> Households:
    return make_households(160, seed=21)


@pytest.fixture(scope="module")
def both(spark: Any, households: Households, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from safeguard.adapters.linkage.spark import SparkLinkingSession

    with LinkingSession() as duck_session:
        duck = _link(duck_session, households)
    store = tmp_path_factory.mktemp("store") / "mentions.duckdb"
    with SparkLinkingSession(spark=spark) as spark_session_:
        on_spark = _link(spark_session_, households)
        spark_session_.save_store(store)
    return duck, on_spark, store


def test_spark_and_duckdb_find_the_same_people(both, households):
    duck, on_spark, store = both
    truth = {r["id"]: r["person_key"] for r in households.rows}
    s_duck, s_spark = pairwise_scores(duck.on, truth), pairwise_scores(on_spark.on, truth)
    agreement = pairwise_scores(on_spark.on, duck.on)  # DuckDB's people as the "truth"
    print(f"duckdb {s_duck}\nspark {s_spark}\nagreement {agreement}")
    print("guards duckdb", duck.guard_counts, "spark", on_spark.guard_counts)
    assert on_spark.model["sql_dialect"] == "spark" and duck.model["sql_dialect"] == "duckdb"
    assert s_spark.f1 >= 0.95 and s_spark.precision >= 0.97, s_spark
    assert abs(s_spark.f1 - s_duck.f1) <= 0.02, (s_spark, s_duck)
    assert agreement.f1 >= 0.97, agreement
    # every guard that keeps pairs apart on one machine keeps pairs apart on Spark
    assert set(on_spark.guard_counts) == set(duck.guard_counts)
    # the feature store for deltas and link_one: every mention, and Spark's model
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("select count(*) from features").fetchall()[0][0] == len(truth)
        (saved,) = con.execute("select model_json from model").fetchall()[0]
    assert json.loads(saved)["sql_dialect"] == "spark"


def test_spark_keeps_twins_and_same_named_fathers_and_sons_apart(both, households):
    duck, on_spark, _ = both
    on, off = (
        relation_merge_rates(on_spark.on, households),
        relation_merge_rates(on_spark.off, households),
    )
    on_duck = relation_merge_rates(duck.on, households)
    print("spark guards on", on, "\nspark guards off", off, "\nduckdb", on_duck)
    for relation in ("twins", "father_son_same_name", "parent_child", "partners"):
        merged, pairs = on[relation]
        assert pairs >= 5, (relation, pairs)
        assert merged <= max(1, on_duck[relation][0] + 1), (relation, on, on_duck)
        assert merged / pairs <= 0.05, (relation, on)
    # and it is the guards that do it: without them households merge on Spark too
    assert off["twins"][0] > on["twins"][0]
    assert off["father_son_same_name"][0] > on["father_son_same_name"][0]


def _m(i: int, forenames: str, dob: date | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": i,
        "forenames": forenames,
        "surname": "Walker",
        "date_of_birth": dob,
        "address": ADDRESS,
        "postcode": "CA1 2AB",
        "mention_date": date(2025, 3, 1),
        **extra,
    }


def test_spark_guards_inside_a_component_are_duckdbs(spark):
    """The PNC waiver, ``undated_namesake``, twins and ``one_event`` in one component."""
    from safeguard.adapters.linkage.spark import SparkLinkingSession

    dob = date(1990, 6, 7)
    rows = [
        _m(1, "Kayleigh", dob, pnc_id="2001/0012345A"),  # a known-as name, with her PNC id
        _m(2, "Jessica", dob, pnc_id="2001/0012345A"),  # her usual name, the same PNC id
        _m(3, "Jessica", dob),  # a call: no PNC id (the waiver keeps 1 and 3 together)
        _m(4, "Oliver", dob),  # her twin
        _m(5, "John", date(1961, 2, 3)),  # a father
        _m(6, "John", date(1988, 7, 9)),  # his son, one name
        _m(7, "John", None),  # undated: either of them, so neither
        _m(8, "Jessica", dob),  # in one event with 3: two people
    ]
    events = pa.table({"mention_id": [3, 8], "event_id": [10, 10]})
    ids = np.arange(1, len(rows) + 1, dtype=np.int64)
    component = np.zeros(len(ids), np.int64)

    def pairs(session: Any) -> set[tuple[int, int]]:
        session.load(raw_from_records(rows), today=TODAY)
        session.load_events(events)
        left, right = session.guard_pairs()(ids, component)
        return set(zip(left.tolist(), right.tolist(), strict=True))

    with LinkingSession() as duck_session:
        on_duckdb = pairs(duck_session)
    with SparkLinkingSession(spark=spark) as spark_session_:
        on_spark = pairs(spark_session_)
        counts = spark_session_.guard_counts
    assert on_spark == on_duckdb
    assert (1, 3) not in on_spark and (1, 4) in on_spark  # waived by PNC; the twin kept apart
    assert {(5, 6), (5, 7), (6, 7)} <= on_spark  # generation, and the undated namesake
    assert (3, 8) in on_spark
    assert {"undated_namesake", "one_event", "generation"} <= set(counts)


def _partition(cluster_of: dict[int, int]) -> set[frozenset[int]]:
    people: dict[int, set[int]] = {}
    for mention, person in cluster_of.items():
        people.setdefault(person, set()).add(mention)
    return {frozenset(ms) for ms in people.values()}


# Last in the module: ``link_all`` opens its own Spark session (``getOrCreate`` finds the
# module's running one, so no second start) and stops it when the run ends.
def test_link_all_on_spark_stores_the_people_duckdb_stores(
    both: Any, households: Households, engine: Engine, tmp_path: Path
):
    """``safeguard link --backend spark`` end to end: records in the database, linked on Spark
    through the service with the model the module trained, people, links, the run and the review
    queue stored; then the same records through the service on DuckDB."""
    duck, on_spark, _ = both
    truth = {r["id"]: r["person_key"] for r in households.rows}
    now = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    insert_mentions(engine, households.rows)
    insert_events(engine, households.events)
    spark_model = json.dumps(on_spark.model, sort_keys=True)
    with_model(engine, spark_model, trained_on=len(truth), version="spark", backend="spark")

    config = LinkConfig(store_dir=tmp_path / "spark", backend="spark")
    summary = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=now)
    stored = stored_links(engine)
    assert set(stored) == set(truth) and summary.mentions == len(truth)
    assert not summary.trained and summary.model_version == "spark"
    # the service's people are the session's with the default guards, mention for mention
    assert _partition(stored) == _partition(on_spark.on)
    scores = pairwise_scores(stored, truth)
    assert scores.f1 >= 0.95 and scores.precision >= 0.97, scores
    rates = relation_merge_rates(stored, households)
    for relation in ("twins", "father_son_same_name", "parent_child", "partners"):
        assert rates[relation][0] / rates[relation][1] <= 0.05, (relation, rates)
    with engine.connect() as conn:
        run = conn.execute(sa.select(link_runs).where(link_runs.c.id == summary.run_id)).one()
        queued = conn.execute(
            sa.select(link_reviews.c.reason)
            .where(link_reviews.c.run_id == summary.run_id, link_reviews.c.status == "open")
        ).scalars().all()  # fmt: skip
    assert (run.status, run.backend, run.mentions) == ("done", "spark", len(truth))
    assert run.people == len(set(stored.values())) and run.review_items == len(queued)
    assert summary.review_items == len(queued) > 0
    # a merge above the match threshold that the guards refused is queued, for an analyst
    assert "joins_look_alike_people" in queued, sorted(set(queued))
    assert (config.store_path).exists()  # the feature store for deltas and link_one

    # the same records through the service on DuckDB, with the model DuckDB trained
    duck_model = json.dumps(duck.model, sort_keys=True)
    with_model(
        engine, duck_model, trained_on=len(truth), version="duckdb", at=now + timedelta(hours=1)
    )
    later = runs.link_all(
        engine,
        actor=SCHEDULED_RUN,
        config=LinkConfig(store_dir=tmp_path / "duckdb"),
        now=now + timedelta(hours=2),
    )
    assert later.model_version == "duckdb"
    on_duckdb = stored_links(engine)
    agreement = pairwise_scores(stored, on_duckdb)  # DuckDB's people as the "truth"
    print(f"spark {scores}\nagreement with duckdb {agreement}")
    assert agreement.f1 >= 0.97, agreement
    assert abs(scores.f1 - pairwise_scores(on_duckdb, truth).f1) <= 0.02
