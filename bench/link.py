"""Person-linking benchmark: accuracy beside a generic Splink model, and speed and memory.

Every figure comes from a child process of its own, so peak memory is that run's alone.

    python bench/link.py accuracy [--datasets febrl4,historical_50k,sim:/path/to/sim/out]
    python bench/link.py scale --rows 1000000 [--generic]
    python bench/link.py realistic [--sizes 100k,1m] [--profiles police,diverse]
                                   [--diverse-sizes 100k] [--classic febrl4,historical_50k]

``accuracy`` prints cluster-level pairwise precision, recall and F1 of safeguard's model and of
a generic Splink model (names, date of birth, postcode, address, the usual blocking, EM-trained,
Splink's own connected components at 0.95) on the same data in the same run.
``scale`` times, on synthetic mentions: train + predict + cluster; predict + cluster with the
saved model; a nightly delta of 5,000 new mentions against the rest; and ``link_one`` latency.
``realistic`` generates realistic extracts (``safeguard simulate-extracts``) and measures
``safeguard ingest`` + ``safeguard link`` end to end beside the generic model on them, with merge
rates by relation and each of issue 14's targets stated as MET or NOT MET (``link_realistic.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datasets  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from safeguard.adapters.linkage.clustering import cluster_prediction  # noqa: E402
from safeguard.adapters.linkage.engine import LinkingSession  # noqa: E402
from safeguard.adapters.linkage.realtime import RealtimeLinker  # noqa: E402
from safeguard.domain.linking import (  # noqa: E402
    mention_features,
    pairwise_scores,
)

TODAY = date(2026, 11, 28)
THRESHOLD = 0.95
DELTA_ROWS = 5_000
# issue 4's targets at 1,000,000 mentions on a 2-core machine
TARGETS = {"full": 60, "peak_mb": 4_000, "saved": 30, "delta": 10, "link_one_p95_ms": 100}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(name: str) -> datasets.Dataset:
    if name == "febrl4":
        return datasets.febrl4()
    if name == "historical_50k":
        return datasets.historical_50k()
    if name.startswith("sim:"):
        return datasets.simulated(Path(name[4:]))
    if name.startswith("extracts:"):
        return datasets.extracts(Path(name[9:]))
    if name.startswith("parquet:"):
        table = pq.read_table(name[8:])
        truth = dict(zip(table["id"].to_pylist(), table["person"].to_pylist(), strict=True))
        return datasets.Dataset(name, table.drop(["person"]), truth)
    raise SystemExit(f"unknown dataset {name}")


def earliest(name: str) -> date:
    # Historical figures were born centuries ago: relax the police "born after 1900" check.
    return date(1, 1, 1) if name == "historical_50k" else date(1900, 1, 1)


def run_domain(ds: datasets.Dataset, name: str, workdir: Path | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    with LinkingSession(workdir, earliest_birth=earliest(name)) as s:
        s.load(ds.raw, today=TODAY)
        t_load = time.perf_counter()
        model = s.train()
        t_train = time.perf_counter()
        pred = s.predict(threshold=THRESHOLD)
        t_pred = time.perf_counter()
        clusters = cluster_prediction(
            s.mention_ids(), pred, threshold=THRESHOLD, isolated=s.unlinkable()
        )
        t_cluster = time.perf_counter()
        if workdir is not None:
            s.save_store(workdir / "store.duckdb")
            (workdir / "model.json").write_text(json.dumps(model))
    return {
        "clusters": clusters.cluster_of,
        "seconds": round(t_cluster - t0, 1),
        "load_s": round(t_load - t0, 1),
        "train_s": round(t_train - t_load, 1),
        "predict_s": round(t_pred - t_train, 1),
        "cluster_s": round(t_cluster - t_pred, 1),
        "pairs": len(pred),
    }


def run_generic(ds: datasets.Dataset, name: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    with LinkingSession(earliest_birth=earliest(name)) as s:
        s.load(ds.raw, today=TODAY)
        s.train(generic=True)
        clusters = s.cluster_with_splink(0.01, THRESHOLD)
    return {"clusters": clusters, "seconds": round(time.perf_counter() - t0, 1)}


def one(args: argparse.Namespace) -> None:
    ds = load(args.dataset)
    result = (
        run_generic(ds, args.dataset) if args.model == "generic" else run_domain(ds, args.dataset)
    )
    scores = pairwise_scores(result.pop("clusters"), ds.truth)
    result |= {
        "precision": round(scores.precision, 4),
        "recall": round(scores.recall, 4),
        "f1": round(scores.f1, 4),
        "records": ds.raw.num_rows,
        "peak_mb": round(peak_mb()),
    }
    print(json.dumps(result))


def child(*argv: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def accuracy(args: argparse.Namespace) -> None:
    print(
        f"{'data set':32} {'model':9} {'precision':>9} {'recall':>7} {'F1':>7} "
        f"{'seconds':>8} {'peak MB':>8}"
    )
    for name in args.datasets.split(","):
        for model in ("safeguard", "generic"):
            r = child("_one", "--dataset", name, "--model", model)
            label = name if not name.startswith("sim:") else f"simulated {Path(name[4:]).name}"
            print(
                f"{label:32} {model:9} {r['precision']:9.4f} {r['recall']:7.4f} {r['f1']:7.4f} "
                f"{r['seconds']:8.1f} {r['peak_mb']:8,}",
                flush=True,
            )


# --- scale -------------------------------------------------------------------------------------


def scale_full(args: argparse.Namespace) -> None:
    ds = load(args.dataset)
    workdir = Path(args.workdir)
    r = run_domain(ds, args.dataset, workdir)
    scores = pairwise_scores(r.pop("clusters"), ds.truth)
    print(json.dumps(r | {"f1": round(scores.f1, 4), "peak_mb": round(peak_mb())}))


def scale_saved(args: argparse.Namespace) -> None:
    ds = load(args.dataset)
    model = json.loads((Path(args.workdir) / "model.json").read_text())
    t0 = time.perf_counter()
    with LinkingSession() as s:
        s.load(ds.raw, today=TODAY)
        s.use_model(model)
        pred = s.predict(threshold=THRESHOLD)
        clusters = cluster_prediction(
            s.mention_ids(), pred, threshold=THRESHOLD, isolated=s.unlinkable()
        )
    seconds = time.perf_counter() - t0
    scores = pairwise_scores(clusters.cluster_of, ds.truth)
    print(
        json.dumps(
            {"seconds": round(seconds, 1), "f1": round(scores.f1, 4), "peak_mb": round(peak_mb())}
        )
    )


def scale_delta(args: argparse.Namespace) -> None:
    ds = load(args.dataset)
    workdir = Path(args.workdir)
    model = json.loads((workdir / "model.json").read_text())
    n = ds.raw.num_rows
    new = ds.raw.filter(pa.compute.greater(ds.raw["id"], n - DELTA_ROWS))
    t0 = time.perf_counter()
    with LinkingSession() as s:
        s.attach_known(workdir / "store.duckdb")
        s.con.execute(f"delete from features where unique_id > {n - DELTA_ROWS}")
        t_known = time.perf_counter()
        s.load_new(new, today=TODAY)
        s.use_model(model)
        pred = s.predict_delta(threshold=THRESHOLD)
        nodes = set(s.mention_ids(new=True)) | {m for e in pred.edges() for m in e[:2]}
        clusters = cluster_prediction(nodes, pred, threshold=THRESHOLD)
    seconds = time.perf_counter() - t_known
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "copy_known_s": round(t_known - t0, 2),
                "new": new.num_rows,
                "linked_to_known": sum(
                    1
                    for m in clusters.cluster_of
                    if m > n - DELTA_ROWS and clusters.cluster_of[m] <= n - DELTA_ROWS
                ),
                "peak_mb": round(peak_mb()),
            }
        )
    )


def scale_link_one(args: argparse.Namespace) -> None:
    ds = load(args.dataset)
    linker = RealtimeLinker(Path(args.workdir) / "store.duckdb")
    rng = random.Random(5)
    rows = ds.raw.take(sorted(rng.sample(range(ds.raw.num_rows), 300))).to_pylist()
    times: list[float] = []
    hits = 0
    for row in rows:
        features = mention_features(row | {"id": -1}, today=TODAY)
        if features.unlinkable is not None:
            continue
        t = time.perf_counter()
        scored = linker.score(features)
        times.append((time.perf_counter() - t) * 1000)
        hits += bool(scored and ds.truth[scored[0][0]] == ds.truth[row["id"]])
    times.sort()
    print(
        json.dumps(
            {
                "queries": len(times),
                "p50_ms": round(times[len(times) // 2], 1),
                "p95_ms": round(times[int(len(times) * 0.95)], 1),
                "top_candidate_is_same_person": round(hits / len(times), 3),
                "peak_mb": round(peak_mb()),
            }
        )
    )


def scale_generic(args: argparse.Namespace) -> None:
    ds = load(args.dataset)
    r = run_generic(ds, args.dataset)
    scores = pairwise_scores(r.pop("clusters"), ds.truth)
    print(json.dumps(r | {"f1": round(scores.f1, 4), "peak_mb": round(peak_mb())}))


def scale(args: argparse.Namespace) -> None:
    data = Path(tempfile.gettempdir()) / f"safeguard-bench-synthetic-v2-{args.rows}.parquet"
    if not data.exists():
        ds = datasets.synthetic(args.rows)
        people = pa.array([ds.truth[i] for i in ds.raw["id"].to_pylist()])
        pq.write_table(ds.raw.append_column("person", people), data)
    name = f"parquet:{data}"
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="safeguard-bench-") as work:
        full = child("_scale_full", "--dataset", name, "--workdir", work)
        print(f"safeguard, train + predict + cluster, {args.rows:,} mentions: {full}", flush=True)
        saved = child("_scale_saved", "--dataset", name, "--workdir", work)
        print(f"safeguard, saved model, predict + cluster: {saved}", flush=True)
        delta = child("_scale_delta", "--dataset", name, "--workdir", work)
        print(f"safeguard, nightly delta of {DELTA_ROWS:,} against the rest: {delta}", flush=True)
        single = child("_scale_link_one", "--dataset", name, "--workdir", work)
        print(f"safeguard, link_one: {single}", flush=True)
    generic = None
    if args.generic:
        generic = child("_scale_generic", "--dataset", name)
        print(f"generic Splink model, train + predict + cluster: {generic}", flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)
    # figure, target, and the figure as a share of the generic model's time in this run
    rows = [
        ("train + predict + cluster (s)", full["seconds"], TARGETS["full"]),
        ("  peak memory (MB)", full["peak_mb"], TARGETS["peak_mb"]),
        ("saved model: predict + cluster (s)", saved["seconds"], TARGETS["saved"]),
        (f"delta of {DELTA_ROWS:,} (s)", delta["seconds"], TARGETS["delta"]),
        ("link_one p95 (ms)", single["p95_ms"], TARGETS["link_one_p95_ms"]),
    ]
    print(f"\n{'figure':36} {'value':>9} {'target':>8} {'met':>4} {'/ generic time':>15}")
    for label, value, target in rows:
        ratio = ""
        if generic is not None and "MB" not in label:
            seconds = value / 1000 if label.endswith("(ms)") else value
            ratio = f"{seconds / generic['seconds']:.4f}"
        met = "yes" if value < target else "no"
        print(f"{label:36} {value:9,.1f} {target:8,} {met:>4} {ratio:>15}")
    if generic is not None:
        print(
            f"{'generic model (s / MB)':36} {generic['seconds']:9,.1f} "
            f"{'':8} {'':>4} {generic['peak_mb']:>12,} MB"
        )


def realistic(args: argparse.Namespace) -> None:
    import link_realistic as lr

    print(f"load average before: {os.getloadavg()}", flush=True)
    plan = [("police", lr.size_of(x)) for x in args.sizes.split(",") if x]
    if "diverse" in args.profiles.split(","):
        plan += [("diverse", lr.size_of(x)) for x in args.diverse_sizes.split(",") if x]
    if "police" not in args.profiles.split(","):
        plan = [p for p in plan if p[0] != "police"]
    models = tuple(m for m in ("safeguard", "generic") if m in args.models.split(","))
    runs = []
    for profile, size in plan:
        print(f"{profile} {size:,} mentions:", flush=True)
        runs.append(lr.evaluate(profile, size, args.seed, models))
    print(f"load average after: {os.getloadavg()}", flush=True)
    print("\n".join(["", *lr.report(runs), "", *lr.missed_lines(runs)]))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in runs], indent=1))
    if args.classic:
        print()
        accuracy(argparse.Namespace(datasets=args.classic))


def generic_extracts(args: argparse.Namespace) -> None:
    import link_realistic as lr

    lr.generic_child(Path(args.dataset), Path(args.out))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    acc = sub.add_parser("accuracy")
    acc.add_argument("--datasets", default="febrl4,historical_50k")
    sc = sub.add_parser("scale")
    sc.add_argument("--rows", type=int, default=1_000_000)
    sc.add_argument("--generic", action="store_true")
    real = sub.add_parser("realistic")
    real.add_argument("--sizes", default="100k", help="police profile sizes, e.g. 100k,1m")
    real.add_argument("--profiles", default="police,diverse")
    real.add_argument("--diverse-sizes", default="100k")
    real.add_argument("--models", default="safeguard,generic")
    real.add_argument("--seed", type=int, default=1)
    real.add_argument("--classic", default="febrl4,historical_50k", help="'' to skip")
    real.add_argument("--json", default="", help="write every figure to this file")
    ge = sub.add_parser("_generic_extracts")
    ge.add_argument("--dataset")
    ge.add_argument("--out")
    o = sub.add_parser("_one")
    o.add_argument("--dataset")
    o.add_argument("--model")
    for hidden in (
        "_scale_full",
        "_scale_saved",
        "_scale_delta",
        "_scale_link_one",
        "_scale_generic",
    ):
        h = sub.add_parser(hidden)
        h.add_argument("--dataset")
        h.add_argument("--workdir")
    args = parser.parse_args()
    {
        "accuracy": accuracy,
        "realistic": realistic,
        "_generic_extracts": generic_extracts,
        "scale": scale,
        "_one": one,
        "_scale_full": scale_full,
        "_scale_saved": scale_saved,
        "_scale_delta": scale_delta,
        "_scale_link_one": scale_link_one,
        "_scale_generic": scale_generic,
    }[args.command](args)


if __name__ == "__main__":
    main()
