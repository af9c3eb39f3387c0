"""Frequency-adjusted names: counted once at training, saved with the model, and read from it by
every later scoring, so a saved-model re-link, a nightly delta and ``link_one`` score each pair
exactly as the batch run that trained the model did."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from safeguard.adapters.linkage import frequencies
from safeguard.adapters.linkage.backend import Prediction
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.explain import explain_pair
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.adapters.linkage.model import splink_model
from safeguard.adapters.linkage.realtime import RealtimeLinker
from safeguard.domain.linking import mention_features
from tests.linkage_data import make_mentions, make_people

TODAY = date(2026, 6, 1)
PEOPLE = make_people(150, seed=3)
ROWS = make_mentions(PEOPLE, seed=5)
KNOWN = [r for r in ROWS if r["id"] % 6]
ADDED = [r for r in ROWS if not r["id"] % 6]


Batch = tuple[dict[str, Any], dict[tuple[int, int], float], Path]


def _scores(prediction: Prediction) -> dict[tuple[int, int], float]:
    return {(int(a), int(b)): float(p) for a, b, p in prediction.edges()}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """The trained model, the training session's own scores of every candidate pair, and a
    feature store saved with the model (as ``safeguard link`` writes it)."""
    store = tmp_path_factory.mktemp("tf") / "features.duckdb"
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=TODAY)
        model = session.train()
        scores = _scores(session.predict(threshold=0.0))
        session.save_store(store)
    return json.loads(json.dumps(model)), scores, store


def test_the_saved_frequencies_are_the_common_names_only_counted_over_people(batch: Batch) -> None:
    model, _, _ = batch
    saved = frequencies.of_model(model)
    assert saved is not None and set(saved) == set(frequencies.TF_COLUMNS)
    floors = {
        level["tf_adjustment_column"]: level["tf_minimum_u_value"]
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if "tf_adjustment_column" in level
    }
    assert set(floors) == set(frequencies.TF_COLUMNS)
    for column, table in saved.items():
        assert table, column  # the test population's name pools are short: some are common
        assert all(f > floors[column] for f in table.values())
    # counted over people (forename, surname, date of birth), not records
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, 'ann', 'lee', '1990-01-01'), "
        "(2, 'ann', 'lee', '1990-01-01'), (3, 'ann', 'lee', '1990-01-01'), "
        "(4, 'bob', 'lee', '1980-02-02')) as v(unique_id, forename, surname, dob)"
    )
    rows = dict(con.execute(frequencies.term_frequency_sql("t", "forename")).fetchall())
    assert rows == {"ann": 0.5, "bob": 0.5}
    assert frequencies.PERSON == ("forename", "surname", "dob")


def test_a_common_name_weighs_less_than_the_average_name(
    batch: Batch,
) -> None:
    model, _, _ = batch
    saved = frequencies.of_model(model) or {}
    common = max(saved["surname"], key=lambda v: saved["surname"][v])
    settings = splink_model(model)
    level = next(
        lv
        for c in settings["comparisons"]
        if c["output_column_name"] == "surname"
        for lv in c["comparison_levels"]
        if lv.get("label_for_charts") == "exact"
    )
    base = math.log2(level["m_probability"] / level["u_probability"])
    adjusted = base + math.log2(level["u_probability"]) - math.log2(saved["surname"][common])
    assert adjusted < base


def test_a_saved_model_re_link_scores_every_pair_as_the_batch(batch: Batch) -> None:
    model, scores, _ = batch
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=TODAY)
        session.use_model(model)
        again = _scores(session.predict(threshold=0.0))
    assert again.keys() == scores.keys()
    assert all(math.isclose(again[k], scores[k], rel_tol=1e-12, abs_tol=1e-15) for k in scores)


def test_a_nightly_delta_scores_its_pairs_as_the_batch(batch: Batch) -> None:
    model, scores, _ = batch
    with LinkingSession() as session:
        session.load(raw_from_records(KNOWN), today=TODAY)
        session.load_new(raw_from_records(ADDED), today=TODAY)
        session.use_model(model)
        delta = _scores(session.predict_delta(threshold=0.0))
    added = {r["id"] for r in ADDED}
    assert delta and all(a in added or b in added for a, b in delta)
    shared = delta.keys() & scores.keys()
    assert len(shared) == len(delta)  # the same candidate pairs, by the same blocking rules
    assert all(math.isclose(delta[k], scores[k], rel_tol=1e-12, abs_tol=1e-15) for k in shared)


def test_link_one_scores_a_record_against_the_known_as_the_batch(batch: Batch) -> None:
    model, scores, store = batch
    linker = RealtimeLinker(store)
    try:
        assert linker.term_frequencies == frequencies.of_model(model)
        compared = 0
        for row in ROWS[:60]:
            features = mention_features(row, today=TODAY)
            for other, p in linker.score(features):
                key = (min(row["id"], other), max(row["id"], other))
                if other == row["id"] or key not in scores:
                    continue
                assert math.isclose(p, scores[key], rel_tol=1e-9, abs_tol=1e-12), key
                compared += 1
    finally:
        linker.close()
    assert compared > 100


def test_the_why_view_shows_a_common_names_frequency_and_still_sums_to_the_score(
    batch: Batch,
) -> None:
    model, scores, _ = batch
    saved = frequencies.of_model(model) or {}
    by_id = {r["id"]: r for r in ROWS}
    features = {r["id"]: mention_features(r, today=TODAY) for r in ROWS}
    # two mentions of one person agreeing exactly on a common surname
    pair = next(
        (a, b)
        for a, b in sorted(scores)
        if by_id[a]["person_key"] == by_id[b]["person_key"]
        and features[a].surname == features[b].surname
        and features[a].surname in saved["surname"]
    )
    raw = raw_from_records([by_id[pair[0]], by_id[pair[1]]])
    events = pa.table(
        {"mention_id": pa.array([], pa.int64()), "event_id": pa.array([], pa.int64())}
    )
    why = explain_pair(raw, *pair, model_json=model, mention_events=events, today=TODAY)
    shown = {f.field: f for f in why.fields}
    assert shown["surname frequency"].level == "a common name"
    assert shown["surname frequency"].match_weight < 0
    assert why.match_weight == pytest.approx(
        (why.prior_weight or 0.0) + sum(f.match_weight for f in why.fields)
    )
    assert why.match_probability == pytest.approx(scores[pair], rel=1e-9)


def test_link_one_scores_with_the_model_of_its_own_store_in_a_process_that_scored_another(
    batch: Batch, tmp_path: Path
) -> None:
    """Splink caches link_one's SQL for the process, weights and all: a store holding another
    model (here the same one with another prior) must be scored with its own."""
    model, _, store = batch
    other = tmp_path / "retrained.duckdb"
    with duckdb.connect(str(other)) as dst:
        dst.execute(f"attach '{store}' as src (read_only)")
        for (table,) in dst.execute(
            "select table_name from information_schema.tables where table_catalog = 'src'"
        ).fetchall():
            dst.execute(f"create table {table} as select * from src.{table}")
        retrained = dict(model, probability_two_random_records_match=0.5)
        dst.execute("update model set model_json = ?", [json.dumps(retrained)])
    features = mention_features(ROWS[0], today=TODAY)
    first, second = RealtimeLinker(store), RealtimeLinker(other)
    try:
        before = dict(first.score(features))
        after = dict(second.score(features))
    finally:
        first.close()
        second.close()
    shared = [k for k in before if k != ROWS[0]["id"] and k in after]
    assert shared
    # a prior of one half raises every probability that is not already certain
    assert any(after[k] > before[k] + 1e-9 for k in shared)
