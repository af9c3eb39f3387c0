"""Re-weigh one extract's generic-model links with another extract's trained model: which false
joins exist only because of the parameters (issue 14 item 1, "gen1m14" in docs/benchmarks.md).

    python bench/extracts_reweigh.py SMALL/model.json BIG/model.json BIG/edges.parquet

The inputs are what ``bench/extracts_generic.py`` writes. For every link the big model made at
0.95 (``edges.parquet``, with its comparison levels), the match weight under the small model's
parameters; the share of false links that fall below the threshold there, by relation; and the
mean change of the prior and of each comparison's weight on the false links.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pandas as pd

FIELDS = ("forename", "surname", "dob", "postcode", "address")
THRESHOLD = math.log2(0.95 / 0.05)


def parameters(path: Path) -> tuple[float, dict[str, dict[int, float]]]:
    """(prior weight, {comparison: {gamma: weight}}); Splink numbers levels n-1 .. 0, null -1."""
    model = json.loads(path.read_text())
    lam = float(model["probability_two_random_records_match"])
    weights: dict[str, dict[int, float]] = {}
    for c in model["comparisons"]:
        levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        n = len(levels)
        weights[c["output_column_name"]] = {-1: 0.0} | {
            n - 1 - i: math.log2(lv["m_probability"] / lv["u_probability"])
            for i, lv in enumerate(levels)
        }
    return math.log2(lam / (1 - lam)), weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("small", type=Path)
    parser.add_argument("big", type=Path)
    parser.add_argument("edges", type=Path)
    args = parser.parse_args()
    (p0, w0), (p1, w1) = parameters(args.small), parameters(args.big)
    e = pd.read_parquet(args.edges)
    e["w_small"] = p0 + sum(e[f"gamma_{f}"].map(w0[f]) for f in FIELDS)
    false = e[e["relation"] != "match"]
    true = e[e["relation"] == "match"]
    new = false["w_small"] < THRESHOLD
    print(f"false links {len(false):,}: {new.mean():.1%} below the threshold with the small model")
    print(f"true links {len(true):,}: {(true['w_small'] < THRESHOLD).mean():.1%} below")
    print(f"mean change on false links (big - small): prior {p1 - p0:+.2f}")
    for f in FIELDS:
        d = false[f"gamma_{f}"].map(w1[f]) - false[f"gamma_{f}"].map(w0[f])
        print(f"  {f:9} {d.mean():+.2f}")
    by = false.assign(new=new).groupby("relation")["new"].agg(["size", "mean"])
    print(by.rename(columns={"size": "false links", "mean": "only with big model"}).to_string())
    geo = (false["gamma_postcode"] == 4) & (false["gamma_address"] == 3)
    print(f"false links agreeing on full postcode and exact address: {geo.mean():.1%}")


if __name__ == "__main__":
    main()
