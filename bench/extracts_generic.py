"""The generic Splink model of ``bench/link.py`` on one realistic extract, with what it learnt and
the links it made, kept for diagnosis (issue 14 item 1).

    python bench/extracts_generic.py DIR --out OUT [--model OTHER/model.json]

``DIR`` is a ``safeguard simulate-extracts`` output. Writes to ``OUT``: ``model.json`` (the trained
Splink model: lambda, m and u of every level), ``clusters.json`` (as ``link.py _generic_extracts``)
and ``edges.parquet`` (every pair the model scored at or above the clustering threshold, with its
comparison levels and both mentions' person, household and relation from ``truth/``), then prints
the m, u and Bayes factor of each level and the direct false edges by relation and level pattern.
Same code path as ``bench/link.py realistic`` (``link.run_generic``): load, ``train(generic=True)``,
predict at 0.01, Splink's connected components at 0.95. ``--model`` skips training and scores
with another extract's ``model.json`` (the 1M model on the 100k extract, and back).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datasets  # noqa: E402
import link  # noqa: E402
import link_truth  # noqa: E402
import pandas as pd  # noqa: E402

from safeguard.adapters.linkage.engine import FEATURES, LinkingSession  # noqa: E402

GAMMAS = ("forename", "surname", "dob", "postcode", "address")


def levels(model: dict[str, object]) -> list[tuple[str, str, float, float]]:
    """(comparison, level label, m, u) of every non-null level."""
    out = []
    for c in model["comparisons"]:  # type: ignore[attr-defined]
        for lv in c["comparison_levels"]:
            if lv.get("is_null_level"):
                continue
            out.append(
                (
                    c["output_column_name"],
                    lv["label_for_charts"],
                    float(lv.get("m_probability", float("nan"))),
                    float(lv.get("u_probability", float("nan"))),
                )
            )
    return out


def run(directory: Path, out: Path, model_path: Path | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ds = datasets.extracts(directory)
    assert ds.keys is not None
    t0 = time.perf_counter()
    with LinkingSession(earliest_birth=link.earliest("extracts")) as s:
        s.load(ds.raw, today=link.TODAY)
        if model_path is None:
            model = s.train(generic=True)
        else:  # another extract's trained model: is it the data or the parameters?
            model = json.loads(model_path.read_text())
            s._make_linker(model, FEATURES)  # every mention, as train(generic=True)
        pairs = s._linker.inference.predict(threshold_match_probability=0.01, warning_mode="never")
        clusters = s._linker.clustering.cluster_pairwise_predictions_at_threshold(
            pairs, threshold_match_probability=link.THRESHOLD
        )
        rows = s.con.execute(
            f"select unique_id, cluster_id from {clusters.physical_name}"
        ).fetchall()
        gam = ", ".join(f"gamma_{g}" for g in GAMMAS)
        edges = s.con.execute(
            f"select unique_id_l, unique_id_r, match_weight, {gam} from {pairs.physical_name} "
            f"where match_probability >= {link.THRESHOLD}"
        ).df()
    seconds = time.perf_counter() - t0
    (out / "model.json").write_text(json.dumps(model, indent=1))
    (out / "clusters.json").write_text(
        json.dumps([[*ds.keys[int(u)], str(hash(c))] for u, c in rows])
    )
    # who each mention is
    m = pd.read_csv(directory / "truth" / "mention_person.csv", dtype=str, keep_default_na=False)
    person = dict(zip(zip(m["source_system"], m["source_id"], strict=True), m["person_key"],
                      strict=True))  # fmt: skip
    p = pd.read_csv(directory / "truth" / "people.csv", dtype=str, keep_default_na=False)
    household = dict(zip(p["person_key"], p["household_key"], strict=True))
    r = pd.read_csv(directory / "truth" / "relations.csv", dtype=str)
    kind = {
        frozenset((a, b)): k
        for a, b, k in zip(r["person_key_a"], r["person_key_b"], r["relation"], strict=True)
    }
    who = {u: person.get(tuple(k), "") for u, k in ds.keys.items()}
    edges["person_l"] = [who[int(i)] for i in edges["unique_id_l"]]
    edges["person_r"] = [who[int(i)] for i in edges["unique_id_r"]]
    edges["relation"] = [
        "match" if a == b else kind.get(frozenset((a, b)), "other household"
                                        if household.get(a) != household.get(b) else "household")
        for a, b in zip(edges["person_l"], edges["person_r"], strict=True)
    ]  # fmt: skip
    edges.to_parquet(out / "edges.parquet")

    print(f"{directory.name}: {len(ds.keys):,} mentions, {seconds:.0f} s")
    truth = link_truth.Truth.load(directory)
    found = {tuple(ds.keys[int(u)]): hash(c) for u, c in rows}
    acc = link_truth.score(found, truth).as_dict()
    print(f"P {acc['precision']:.4f} R {acc['recall']:.4f} F1 {acc['f1']:.4f}")
    merged = acc.get("merged", {})
    assert isinstance(merged, dict)
    print("merged:", ", ".join(f"{k} {a}/{b}" for k, (a, b) in merged.items()))
    fp = link_truth.false_pairs_by_relation(found, truth.person, truth.relations)
    total = sum(fp.values()) or 1
    print(
        f"false pairs {sum(fp.values()):,}:",
        ", ".join(f"{k} {v / total:.1%}" for k, v in sorted(fp.items(), key=lambda x: -x[1])),
    )
    missed = link_truth.missed_by_variation(found, truth.person, truth.variations)
    print("missed by variation:",
          ", ".join(f"{k} {a / b:.1%} of {b:,}" for k, (a, b) in missed.items() if b))  # fmt: skip
    lam = float(model["probability_two_random_records_match"])  # type: ignore[arg-type]
    print(f"lambda {lam:.3e} (prior weight {math.log2(lam / (1 - lam)):.2f})")
    print(f"{'comparison':10} {'level':45} {'m':>9} {'u':>10} {'weight':>7}")
    for comp, label, mm, uu in levels(model):
        w = math.log2(mm / uu) if mm > 0 and uu > 0 else float("nan")
        print(f"{comp:10} {label[:45]:45} {mm:9.4f} {uu:10.3e} {w:7.2f}")
    print(f"edges at >= {link.THRESHOLD}: {len(edges):,}")
    print(edges["relation"].value_counts().to_string())
    false = edges[edges["relation"] != "match"]
    pattern = false.groupby([f"gamma_{g}" for g in GAMMAS]).size().sort_values(ascending=False)
    print("false edges by level pattern (forename, surname, dob, postcode, address), top 15:")
    print(pattern.head(15).to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, help="score with this model.json instead of training")
    args = parser.parse_args()
    run(args.directory, args.out, args.model)


if __name__ == "__main__":
    main()
