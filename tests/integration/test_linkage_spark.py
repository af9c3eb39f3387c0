"""The same linking on Spark (local mode): train, predict and cluster a small population."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from safeguard.adapters.linkage.features import raw_from_records
from safeguard.domain.linking import Constraints, cluster_mentions, pairwise_scores
from tests.linkage_data import make_mentions, make_people

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_local_mode_links_a_small_population_like_duckdb(tmp_path: Path):
    if shutil.which("java") is None:  # a required tool: fail, never skip (`make system`)
        pytest.fail("needs Java 17 for Spark: run `make system` (openjdk-17-jre-headless)")
    from safeguard.adapters.linkage.spark import SparkLinkingSession

    rows = make_mentions(make_people(60))
    truth = {r["id"]: r["person_key"] for r in rows}
    with SparkLinkingSession(master="local[2]") as session:
        session.load(raw_from_records(rows), today=date(2026, 6, 1))
        model = session.train()
        prediction = session.predict(threshold=0.5)
        clusters = cluster_mentions(
            session.mention_ids(),
            prediction.edges(),
            threshold=0.95,
            constraints=Constraints(different=prediction.different()),
            isolated=session.unlinkable(),
        )
        store = tmp_path / "mentions.duckdb"
        session.save_store(store)
    assert json.loads(json.dumps(model))["sql_dialect"] == "spark"
    scores = pairwise_scores(clusters.cluster_of, truth)
    assert scores.f1 >= 0.9, scores
    assert store.exists()
