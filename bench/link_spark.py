"""DuckDB and Spark on one realistic extract: the same people, and what each run takes.

    python bench/link_spark.py [--size 10k] [--profile police] [--seed 1] [--master local[2]]
                               [--json out.json]

The extract (``safeguard simulate-extracts``, cached as ``bench/link_realistic.py`` caches it) is
ingested once (the database ``bench/link_train.py`` keeps beside it). Then each backend loads
every stored mention and its events, trains its own model, predicts, and clusters with the
force's default linking settings and the guards inside components, as
``services.linking.runs.link_all`` does (people are not stored). The people are scored against
the truth (``link_truth``) and against each other. For comparison, Spark's clustering as it was
before the guards ran on it (only ``engine.hard_negative_sql`` over the scored pairs) is scored
from the same Spark prediction. Seconds are wall time in this one process.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections.abc import Hashable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import link_realistic as lr  # noqa: E402
import link_train  # noqa: E402
import link_truth  # noqa: E402

from safeguard.adapters.db.engine import make_engine  # noqa: E402
from safeguard.domain.linking import Constraints, pairwise_scores  # noqa: E402
from safeguard.domain.linking_policy import LinkingPolicy  # noqa: E402

POLICY = LinkingPolicy()


def _keys(db: Path) -> dict[int, tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("select id, source_system, source_id from person_mentions").fetchall()
    finally:
        con.close()
    return {int(i): (s, k) for i, s, k in rows}


def _link(
    session: Any, raw: Any, events: Any, today: date
) -> tuple[dict[int, int], Any, dict[str, float]]:
    """link_all's steps up to storing: (cluster of each mention, prediction, seconds)."""
    from safeguard.adapters.linkage.clustering import cluster_prediction

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    session.load(raw, today=today)
    session.load_events(events)
    seconds["load"] = time.perf_counter() - t0
    session.train()
    seconds["train"] = time.perf_counter() - t0 - sum(seconds.values())
    prediction = session.predict(threshold=min(POLICY.review_from, POLICY.match_threshold))
    seconds["predict"] = time.perf_counter() - t0 - sum(seconds.values())
    clusters = cluster_prediction(
        session.mention_ids(),
        prediction,
        threshold=POLICY.match_threshold,
        isolated=session.unlinkable(),
        guard_pairs=session.guard_pairs(POLICY.guards_off),
        hold_ambiguous=POLICY.hold_ambiguous,
    )
    seconds["guards and clustering"] = time.perf_counter() - t0 - sum(seconds.values())
    return clusters.cluster_of, prediction, {k: round(v, 1) for k, v in seconds.items()}


def _spark_before(session: Any, prediction: Any) -> dict[int, int]:
    """Spark's people as before: the old hard negatives over the scored pairs, no guards."""
    from safeguard.adapters.linkage.clustering import cluster_prediction
    from safeguard.adapters.linkage.engine import hard_negative_sql
    from safeguard.adapters.linkage.spark import SCORED, SPARK_FEATURES, _spark_sql

    where = _spark_sql(
        hard_negative_sql("p", "l", "r", sibling_guard=session.guards["sibling_guard"])
    )
    negatives = session.spark.sql(
        f"""select p.unique_id_l, p.unique_id_r from {SCORED} as p
        join {SPARK_FEATURES} as l on l.unique_id = p.unique_id_l
        join {SPARK_FEATURES} as r on r.unique_id = p.unique_id_r where {where}"""
    ).collect()
    return cluster_prediction(
        session.mention_ids(),
        prediction,
        threshold=POLICY.match_threshold,
        constraints=Constraints(different=frozenset((int(a), int(b)) for a, b in negatives)),
        isolated=session.unlinkable(),
    ).cluster_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="10k")
    parser.add_argument("--profile", default="police")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    from safeguard.adapters.linkage.engine import LinkingSession
    from safeguard.adapters.linkage.features import load_mention_events, load_mentions
    from safeguard.adapters.linkage.spark import SparkLinkingSession

    directory = lr.extracts_dir(args.profile, lr.size_of(args.size), args.seed)
    db = link_train._database(directory)
    truth = link_truth.Truth.load(directory)
    keys = _keys(db)
    engine = make_engine(f"sqlite:///{db}")
    raw, events = load_mentions(engine), load_mention_events(engine)
    engine.dispose()
    today = date.today()
    people: dict[str, dict[int, int]] = {}
    results: dict[str, Any] = {"size": args.size, "profile": args.profile, "seed": args.seed}

    t0 = time.perf_counter()
    with LinkingSession() as duck:
        people["duckdb"], _, stages = _link(duck, raw, events, today)
    results["duckdb_s"], results["duckdb_stages"] = round(time.perf_counter() - t0, 1), stages
    t0 = time.perf_counter()
    with SparkLinkingSession(master=args.master) as spark:
        start = round(time.perf_counter() - t0, 1)
        people["spark"], prediction, stages = _link(spark, raw, events, today)
        results["spark_s"], results["spark_stages"] = round(time.perf_counter() - t0, 1), stages
        results["spark_start_s"] = start
        people["spark before"] = _spark_before(spark, prediction)

    for name, cluster_of in people.items():
        keyed: dict[Hashable, Hashable] = {keys[m]: c for m, c in cluster_of.items()}
        acc = link_truth.score(keyed, truth)
        rates = {r: acc.merge_rate(r) for r in link_truth.RELATIONS}
        results[name] = {**acc.as_dict(), "merge_rates": rates}
        shown = ", ".join(f"{k} {v:.1%}" for k, v in rates.items() if v is not None)
        print(f"{name}: P {acc.precision:.4f} R {acc.recall:.4f} F1 {acc.f1:.4f}; {shown}")
    for name in ("spark", "spark before"):
        agree = pairwise_scores(people[name], people["duckdb"])
        results[f"{name} vs duckdb"] = round(agree.f1, 4)
        print(f"{name} against DuckDB's people: pairwise F1 {agree.f1:.4f}")
    print(
        f"wall: duckdb {results['duckdb_s']} s {results['duckdb_stages']}; spark "
        f"{results['spark_s']} s (start {results['spark_start_s']} s) {results['spark_stages']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
