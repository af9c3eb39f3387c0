"""Where the time of ``safeguard link`` goes, and what a re-link with the saved model costs.

    python bench/link_relink.py [--size 100k] [--profile police] [--seed 1] [--added 0.01]
                                [--cprofile DIR] [--json out.json]

The extract (``safeguard simulate-extracts``, cached as ``bench/link_realistic.py`` caches it)
is ingested once (``bench/link_train.py``'s cached database), copied, and ``--added`` of its
mentions (with their involvements) are held back. Then, in this one process:

1. ``link_all`` trains a model and links (the first run);
2. ``link_all`` again, nothing changed (the saved-model re-link ``bench/link.py`` times);
3. the held-back mentions are added and ``link_all`` runs again (a few records added);
4. ``link_all`` with the saved model and no kept run (a full run, every pair scored and every
   mention clustered: what a re-link cost before), which must change no link of run 3.

Each run's stages (``LinkRunSummary.stages``) are printed; with ``--cprofile`` each run is
profiled and the seconds inside the main functions printed too. Candidate pairs per blocking
rule are counted on the linkable mentions (pairs agreeing on each rule's keys, before Splink
drops pairs an earlier rule found).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import link_realistic as lr  # noqa: E402
import link_train  # noqa: E402

from safeguard.adapters.db.engine import make_engine  # noqa: E402
from safeguard.services.unit_of_work import OPERATOR_RUN  # noqa: E402

# (module file, function) whose cumulative seconds are shown per run with --cprofile
FUNCTIONS = (
    ("features.py", "load_mentions"),
    ("linkage.py", "current_links"),
    ("features.py", "build_features"),
    ("features.py", "load_mention_events"),
    ("engine.py", "train"),
    ("engine.py", "predict"),
    ("engine.py", "previous_run"),
    ("engine.py", "predict_changed"),
    ("clustering.py", "cluster_prediction"),
    ("relink.py", "recluster"),
    ("guards.py", "component_guard_pairs"),
    ("linking.py", "cluster_mentions"),
    ("engine.py", "save_store"),
    ("engine.py", "save_run"),
    ("runs.py", "_store_result"),
    ("run_results.py", "strongest_links"),
    ("run_results.py", "review_candidates"),
    ("linking.py", "assign_person_ids"),
    ("linkage.py", "new_people"),
    ("linkage.py", "write_links"),
    ("linkage.py", "replace_unlinkable"),
    ("run_results.py", "write_reviews"),
)


def hold_back(db: Path, share: float) -> int:
    """Move ``share`` of the mentions (every k-th id) and their involvements aside."""
    every = max(1, round(1 / share))
    con = sqlite3.connect(db)
    try:
        con.executescript(
            f"""
            create table bench_held_mentions as select * from person_mentions
              where id % {every} = 0;
            create table bench_held_involvements as select * from involvements
              where mention_id in (select id from bench_held_mentions);
            delete from involvements where mention_id in (select id from bench_held_mentions);
            delete from person_mentions where id in (select id from bench_held_mentions);
            """
        )
        return int(con.execute("select count(*) from bench_held_mentions").fetchone()[0])
    finally:
        con.commit()
        con.close()


def add_back(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        con.executescript(
            """
            insert into person_mentions select * from bench_held_mentions;
            insert into involvements select * from bench_held_involvements;
            drop table bench_held_mentions;
            drop table bench_held_involvements;
            """
        )
    finally:
        con.commit()
        con.close()


def blocking_counts(store: Path) -> dict[str, int]:
    """Candidate pairs per blocking rule among the linkable mentions of the feature store."""
    import duckdb

    from safeguard.adapters.linkage.model import BLOCKING_KEYS

    con = duckdb.connect(str(store), read_only=True)
    try:
        out: dict[str, int] = {}
        table = "(select * from features where unlinkable is null)"
        for keys in BLOCKING_KEYS:
            present = " and ".join(f"{k} is not null" for k in keys)
            out["+".join(keys)] = int(
                con.execute(
                    f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n "
                    f"from {table} where {present} group by {', '.join(keys)})"
                ).fetchall()[0][0]
            )
        out["swapped names"] = int(
            con.execute(
                f"select count(*) from {table} as l join {table} as r "
                "on l.forename = r.surname and l.surname = r.forename "
                "and l.unique_id < r.unique_id"
            ).fetchall()[0][0]
        )
        return out
    finally:
        con.close()


def profiled_seconds(profile: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profile)
    found: dict[str, float] = {}
    for (file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        for module, function in FUNCTIONS:
            if name == function and file.endswith(module):
                key = f"{module[:-3]}.{function}"
                found[key] = round(found.get(key, 0.0) + row[3], 2)
    return found


def link(db: Path, store: Path, label: str, cprofile: Path | None) -> dict[str, Any]:
    from safeguard.services.linking.config import LinkConfig
    from safeguard.services.linking.runs import link_all

    engine = make_engine(f"sqlite:///{db}")
    config = LinkConfig(store_dir=store)
    profile = cProfile.Profile() if cprofile else None
    t0 = time.perf_counter()
    if profile is not None:
        profile.enable()
    summary = link_all(engine, actor=OPERATOR_RUN, config=config)
    if profile is not None:
        profile.disable()
    seconds = round(time.perf_counter() - t0, 1)
    engine.dispose()
    result: dict[str, Any] = {
        "run": label,
        "seconds": seconds,
        "trained": summary.trained,
        "mentions": summary.mentions,
        "people": summary.people,
        "pairs_scored": summary.pairs_scored,
        "changed_links": summary.changed_links,
        "changed_mentions": summary.changed_mentions,
        "reclustered": summary.reclustered,
        "stages": summary.stages,
    }
    if profile is not None and cprofile is not None:
        cprofile.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(str(cprofile / f"{label}.prof"))
        result["functions"] = profiled_seconds(profile)
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--profile", default="police")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--added", type=float, default=0.01, help="share of mentions held back")
    parser.add_argument("--cprofile", default="", help="directory for one .prof per run")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    directory = lr.extracts_dir(args.profile, lr.size_of(args.size), args.seed)
    ingested = link_train._database(directory)
    work = directory.with_name(directory.name + "-relink")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    db = work / "bench.db"
    shutil.copy(ingested, db)
    held = hold_back(db, args.added)
    print(f"held back {held:,} mentions", flush=True)
    cprofile = Path(args.cprofile) if args.cprofile else None
    store = work / "store"
    results = [link(db, store, "1-first (trains)", cprofile)]
    results.append(link(db, store, "2-relink, nothing changed", cprofile))
    add_back(db)
    results.append(link(db, store, "3-relink, mentions added", cprofile))
    results.append(link(db, work / "fresh", "4-full, saved model", cprofile))
    assert results[3]["changed_links"] == 0, "the full run moved links of the re-link"
    counts = blocking_counts(store / "mentions.duckdb")
    print(json.dumps({"candidate_pairs_per_rule": counts}), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": results, "blocking": counts}, indent=2))


if __name__ == "__main__":
    main()
