"""What each linking guard is worth: accuracy and merge rates by relation with each guard off.

    python bench/guards.py [--households 20000] [--seed 3]
    python bench/guards.py --extract police [--size 100k] [--seed 1] [--off a+b,c] [--joins]

Either builds synthetic households with the hard cases (``tests/linkage_data.make_households``:
twins, father and son with one name, parents and children, siblings, partners, events involving
two of them), or (``--extract``) reads a realistic extract of ``safeguard simulate-extracts``
ingested as ``bench/link_train.py`` ingests it. Trains safeguard's model once (u from 500,000
random pairs, as ``link_train --max-pairs 5e5``), predicts once, then clusters with every guard
on, with each guard off in turn and with all off (or with the guard sets of ``--off``). Prints
pairwise precision, recall and F1, the share of pairs of related people merged into one person,
per relation, and the clustering's seconds. The model and prediction of an extract are cached
beside it (``--fresh`` retrains), so only the clustering is re-run.

``--joins`` shows how each merged twin, sibling, parent/child and father/son pair is joined: the
links above the threshold between the two people's mentions in their cluster, and what the two
mentions of each such link carry (source system, date of birth or age, forename).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.linkage_data import RELATIONS, make_households, relation_merge_rates  # noqa: E402

from safeguard.adapters.linkage import guard_details, guards  # noqa: E402
from safeguard.adapters.linkage import model as models  # noqa: E402
from safeguard.adapters.linkage.backend import Prediction  # noqa: E402
from safeguard.adapters.linkage.clustering import cluster_prediction  # noqa: E402
from safeguard.adapters.linkage.engine import FEATURES_ALL, WEAK, LinkingSession  # noqa: E402
from safeguard.adapters.linkage.features import raw_from_records  # noqa: E402
from safeguard.adapters.linkage.guards import GUARDS  # noqa: E402
from safeguard.domain.linking import pairwise_scores  # noqa: E402

TODAY = date(2026, 6, 1)
THRESHOLD = 0.95
REVIEW_FROM = 0.5

Score = Callable[[dict[int, int]], tuple[float, float, float, dict[str, float | None]]]


Variant = tuple[str, frozenset[str], bool, dict[str, str]]


def _variants(text: str) -> list[Variant]:
    """``--off``: per run, guards off joined by '+' ('-': none), ``hold`` for hold_ambiguous,
    and ``NAME=value`` to set a constant of ``adapters.linkage.guards`` (or ``guard_details``)
    for that run."""
    if text:
        out: list[Variant] = []
        for part in text.split(","):
            tokens = [t for t in part.split("+") if t and t != "-"]
            sets = dict(t.split("=", 1) for t in tokens if "=" in t)
            off = frozenset(t for t in tokens if "=" not in t and t != "hold")
            out.append((part if tokens else "all guards on", off, "hold" in tokens, sets))
        return out
    variants: list[Variant] = [("all guards on", frozenset(), False, {})]
    variants += [(f"without {g}", frozenset({g}), False, {}) for g in GUARDS]
    variants.append(("with hold_ambiguous", frozenset(), True, {}))
    variants.append(("no guards", frozenset(GUARDS), False, {}))
    return variants


def _table(
    session: LinkingSession,
    prediction: Prediction,
    score: Score,
    relations: tuple[str, ...],
    variants: list[Variant],
) -> dict[int, int]:
    ids, unlinkable = session.mention_ids(), session.unlinkable()
    header = f"{'':44} {'P':>6} {'R':>6} {'F1':>6} " + " ".join(f"{r[:12]:>12}" for r in relations)
    print(header + f" {'seconds':>8}", flush=True)
    first: dict[int, int] = {}
    for label, off, hold, sets in variants:
        home = {k: guards if hasattr(guards, k) else guard_details for k in sets}
        saved = {k: getattr(home[k], k) for k in sets}
        for k, v in sets.items():
            value = type(saved[k])(float(v)) if v.replace(".", "").isdigit() else v
            setattr(home[k], k, value)
        t = time.perf_counter()
        clusters = cluster_prediction(
            ids,
            prediction,
            threshold=THRESHOLD,
            isolated=unlinkable,
            guard_pairs=session.guard_pairs(off),
            hold_ambiguous=hold,
        )
        seconds = time.perf_counter() - t
        for k, v in saved.items():
            setattr(home[k], k, v)
        first = first or clusters.cluster_of
        p, r, f1, rates = score(clusters.cluster_of)
        cells = " ".join(
            f"{'-':>12}" if rates[k] is None else f"{rates[k]:12.1%}" for k in relations
        )
        print(f"{label[:44]:44} {p:6.4f} {r:6.4f} {f1:6.4f} {cells} {seconds:8.1f}", flush=True)
    return first


def households(args: argparse.Namespace) -> None:
    data = make_households(args.households, seed=args.seed)
    truth = {r["id"]: r["person_key"] for r in data.rows}
    events = pa.table(
        {
            "mention_id": [m for m, _ in data.events],
            "event_id": [e for _, e in data.events],
        }
    )
    print(f"{len(data.rows):,} mentions, {len(set(truth.values())):,} people", flush=True)

    def score(cluster_of: dict[int, int]) -> tuple[float, float, float, dict[str, float | None]]:
        s = pairwise_scores(cluster_of, truth)
        rates = relation_merge_rates(cluster_of, data)
        return s.precision, s.recall, s.f1, {k: v[0] / max(1, v[1]) for k, v in rates.items()}

    with LinkingSession() as session:
        session.load(raw_from_records(data.rows), today=TODAY)
        session.load_events(events)
        t = time.perf_counter()
        session.train()
        prediction = session.predict(threshold=THRESHOLD)
        print(f"train + predict {time.perf_counter() - t:.1f}s, {len(prediction):,} pairs")
        _table(session, prediction, score, RELATIONS, _variants(args.off))


def _cached_prediction(session: LinkingSession, cache: Path, fresh: bool) -> Prediction:
    """Train and predict once per extract; later runs load the model, pairs and weak pairs."""
    if cache.with_suffix(".npz").exists() and not fresh:
        session.use_model(json.loads(cache.with_suffix(".json").read_text()))
        z = np.load(cache.with_suffix(".npz"))
        session.con.register("__weak", pa.table({"a": z["weak_a"], "b": z["weak_b"]}))
        session.con.execute(f"create or replace table {WEAK} as select * from __weak")
        session.con.unregister("__weak")
        return Prediction(z["left"], z["right"], z["probability"])
    t = time.perf_counter()
    models.U_MAX_PAIRS = 5e5
    model_json = session.train()
    prediction = session.predict(threshold=REVIEW_FROM)
    print(f"train + predict {time.perf_counter() - t:.1f}s, {len(prediction):,} pairs", flush=True)
    weak = session.con.execute(f"select a, b from {WEAK}").fetchnumpy()
    cache.with_suffix(".json").write_text(json.dumps(model_json))
    np.savez(
        cache.with_suffix(".npz"),
        left=prediction.left,
        right=prediction.right,
        probability=prediction.probability,
        weak_a=weak["a"].astype(np.int64),
        weak_b=weak["b"].astype(np.int64),
    )
    return prediction


def extract(args: argparse.Namespace) -> None:
    import link_realistic as lr
    import link_train
    import link_truth

    from safeguard.adapters.db.engine import make_engine
    from safeguard.adapters.linkage.features import load_mention_events, load_mentions

    directory = lr.extracts_dir(args.extract, lr.size_of(args.size), args.seed)
    db = link_train._database(directory)
    truth = link_truth.Truth.load(directory)
    con = sqlite3.connect(db)
    keys = {
        int(i): (s, k)
        for i, s, k in con.execute("select id, source_system, source_id from person_mentions")
    }
    con.close()
    engine = make_engine(f"sqlite:///{db}")
    raw, events = load_mentions(engine), load_mention_events(engine)
    engine.dispose()
    relations = link_truth.RELATIONS

    def score(cluster_of: dict[int, int]) -> tuple[float, float, float, dict[str, float | None]]:
        acc = link_truth.score({keys[m]: c for m, c in cluster_of.items()}, truth)
        if args.missed:
            top = sorted(acc.missed.items(), key=lambda kv: -kv[1][0])[:8]
            print("    missed: " + ", ".join(f"{k} {m:,}/{n:,}" for k, (m, n) in top))
        return acc.precision, acc.recall, acc.f1, {r: acc.merge_rate(r) for r in relations}

    with LinkingSession() as session:
        session.load(raw, today=date.today())
        session.load_events(events)
        cache = directory.with_name(directory.name + "-guards")
        prediction = _cached_prediction(session, cache, args.fresh)
        print(f"{len(keys):,} mentions, {len(prediction):,} pairs scored from {REVIEW_FROM}")
        cluster_of = _table(session, prediction, score, relations, _variants(args.off))
        if args.joins:
            joins(session, prediction, cluster_of, keys, truth)


def joins(
    session: LinkingSession,
    prediction: Prediction,
    cluster_of: Mapping[int, int],
    keys: Mapping[int, tuple[str, str]],
    truth: Any,
) -> None:
    """How merged related people are joined (in the first variant's clustering): each link above
    the threshold between a mention of one and a mention of the other, by what its ends carry."""
    person: dict[int, Hashable] = {m: truth.person[k] for m, k in keys.items() if k in truth.person}
    members: dict[int, dict[Hashable, list[int]]] = defaultdict(lambda: defaultdict(list))
    for m, c in cluster_of.items():
        if m in person:
            members[c][person[m]].append(m)
    size = Counter(cluster_of.values())
    f = {
        int(r[0]): r
        for r in session.con.execute(
            "select unique_id, forename, forename_canon, surname, dob, birth_year, sex, "
            f"address, phone, pnc_id from {FEATURES_ALL}"
        ).fetchall()
    }
    strong = prediction.probability >= THRESHOLD
    edges: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for a, b, p in zip(
        prediction.left[strong].tolist(),
        prediction.right[strong].tolist(),
        prediction.probability[strong].tolist(),
        strict=True,
    ):
        edges[a].append((b, p))
        edges[b].append((a, p))

    every = guards.pair_guard_sql("l", "r", enabled=GUARDS)
    cases = ", ".join(f"case when coalesce({sql}, false) then '{n}' end" for n, sql in every)

    def would(cross: list[tuple[int, int, float]]) -> Counter[str]:
        """Which guards (any, the off ones too) the links' two ends meet, or what they share."""
        session.con.register(
            "__cross", pa.table({"a": [x for x, _, _ in cross], "b": [y for _, y, _ in cross]})
        )
        rows = session.con.execute(
            f"""select list_filter(list_value({cases}), lambda g: g is not null),
                coalesce(l.phone = r.phone, false), coalesce(l.pnc_id = r.pnc_id, false)
            from __cross as c
            join (select *, 1 as dob_n, 1 as forename_n, false as namesakes_apart
                  from {FEATURES_ALL}) as l on l.unique_id = c.a
            join (select *, 1 as dob_n, 1 as forename_n, false as namesakes_apart
                  from {FEATURES_ALL}) as r on r.unique_id = c.b"""
        ).fetchall()
        session.con.unregister("__cross")
        out: Counter[str] = Counter()
        for names, phone, pnc in rows:
            out["+".join(names) or "no guard"] += 1
            out["(shares a phone)"] += phone
            out["(shares a PNC id)"] += pnc
        return out

    def kind(m: int, other: int) -> str:
        x, y = f[m], f[other]
        dated = "dob" if x[4] else ("age" if x[5] is not None else "undated")
        if x[2] == y[2]:
            name = "same forename"
        elif x[1] and y[1] and x[1][0] == y[1][0]:
            name = "same initial"
        else:
            name = "other forename"
        return f"{keys[m][0]}:{dated}:{name}"

    for relation in ("twin", "sibling", "parent_child", "father_son_same_name"):
        pairs = 0
        direct: Counter[str] = Counter()
        sizes: list[int] = []
        examples: list[str] = []
        all_cross: list[tuple[int, int, float]] = []
        for a, b, rel in truth.relations:
            if rel != relation:
                continue
            for c, people in members.items():
                if a not in people or b not in people:
                    continue
                pairs += 1
                sizes.append(size[c])
                side_b = set(people[b])
                cross = [(x, y, p) for x in people[a] for y, p in edges.get(x, []) if y in side_b]
                all_cross += cross
                if not cross:
                    direct["no direct link (a chain through others)"] += 1
                for x, y, _p in cross:
                    ends = sorted((kind(x, y), kind(y, x)))
                    direct[" <-> ".join(ends)] += 1
                if len(examples) < 6 and cross:
                    x, y, p = cross[0]
                    examples.append(f"      p={p:.3f} {f[x][1:]}  |  {f[y][1:]}")
        if not pairs:
            continue
        print(
            f"\n{relation}: {pairs} merged (pair, cluster); cluster size median "
            f"{int(np.median(sizes))}, max {max(sizes)}; links between the two people:"
        )
        for k, n in direct.most_common(14):
            print(f"    {n:5} {k}")
        print("    guards the linked ends would meet, taken alone (off ones too):")
        for k, n in would(all_cross).most_common(10) if all_cross else []:
            print(f"    {n:5} {k}")
        print("\n".join(examples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--extract", default="", help="a realistic extract's profile")
    parser.add_argument("--size", default="100k")
    parser.add_argument("--off", default="", help="guard sets to turn off: a+b per run, ','")
    parser.add_argument("--joins", action="store_true")
    parser.add_argument(
        "--missed", action="store_true", help="mentions cut off from their person, by variation"
    )
    parser.add_argument("--fresh", action="store_true", help="retrain (extracts only)")
    args = parser.parse_args()
    if args.extract:
        args.seed = 1 if args.seed is None else args.seed
        extract(args)
    else:
        args.seed = 3 if args.seed is None else args.seed
        households(args)


if __name__ == "__main__":
    main()
