"""What each linking guard is worth: accuracy and merge rates by relation with each guard off.

    python bench/guards.py [--households 20000] [--seed 3]

Builds synthetic households with the hard cases (``tests/linkage_data.make_households``: twins,
father and son with one name, parents and children, siblings, partners, events involving two
of them), trains safeguard's model once, predicts once, then clusters with every guard on, with
each guard off in turn and with all off. Prints pairwise precision, recall and F1, and the share
of pairs of related people merged into one person, per relation, and the clustering's seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.linkage_data import RELATIONS, make_households, relation_merge_rates  # noqa: E402

from safeguard.adapters.linkage.clustering import cluster_prediction  # noqa: E402
from safeguard.adapters.linkage.engine import LinkingSession  # noqa: E402
from safeguard.adapters.linkage.features import raw_from_records  # noqa: E402
from safeguard.adapters.linkage.guards import GUARDS  # noqa: E402
from safeguard.domain.linking import pairwise_scores  # noqa: E402

TODAY = date(2026, 6, 1)
THRESHOLD = 0.95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    data = make_households(args.households, seed=args.seed)
    truth = {r["id"]: r["person_key"] for r in data.rows}
    events = pa.table(
        {
            "mention_id": [m for m, _ in data.events],
            "event_id": [e for _, e in data.events],
        }
    )
    print(f"{len(data.rows):,} mentions, {len(set(truth.values())):,} people", flush=True)
    with LinkingSession() as session:
        session.load(raw_from_records(data.rows), today=TODAY)
        session.load_events(events)
        t = time.perf_counter()
        session.train()
        prediction = session.predict(threshold=THRESHOLD)
        print(f"train + predict {time.perf_counter() - t:.1f}s, {len(prediction):,} pairs")
        ids, unlinkable = session.mention_ids(), session.unlinkable()
        variants: list[tuple[str, frozenset[str], bool]] = [("all guards on", frozenset(), False)]
        variants += [(f"without {g}", frozenset({g}), False) for g in GUARDS]
        variants.append(("with hold_ambiguous", frozenset(), True))
        variants.append(("no guards", frozenset(GUARDS), False))
        header = f"{'':22} {'P':>6} {'R':>6} {'F1':>6} " + " ".join(
            f"{r[:12]:>12}" for r in RELATIONS
        )
        print(header + f" {'seconds':>8}")
        for label, off, hold in variants:
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
            s = pairwise_scores(clusters.cluster_of, truth)
            rates = relation_merge_rates(clusters.cluster_of, data)
            cells = " ".join(f"{rates[r][0] / max(1, rates[r][1]):12.1%}" for r in RELATIONS)
            print(
                f"{label:22} {s.precision:6.4f} {s.recall:6.4f} {s.f1:6.4f} {cells} {seconds:8.1f}",
                flush=True,
            )
        print("pairs of relations:", {r: rates[r][1] for r in RELATIONS})


if __name__ == "__main__":
    main()
