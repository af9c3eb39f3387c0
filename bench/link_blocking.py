"""What each blocking rule of safeguard's model finds, on a kept ``bench/link.py realistic`` run.

    python bench/link_blocking.py KEPT_DIR EXTRACTS_DIR

``KEPT_DIR`` is one run's folder under ``SAFEGUARD_BENCH_KEEP`` (``bench.db`` and ``data/``);
``EXTRACTS_DIR`` the generated extracts it ingested (their ``truth/``). For every rule of
``model.domain_blocking_rules`` (and of ``ALTERNATIVES``, rules not in use, to show what they
would add): the candidate pairs it generates among linkable mentions, the pairs no
other rule generates, and of those the pairs the run kept (scored at or above its prediction
threshold) and the true matches among them; then, per rule, how many true-match pairs of mentions
would no longer be joined by a path of kept pairs if that rule's exclusive pairs were not
scored (connected components of the kept pairs at the match threshold, guards not applied: an
upper bound of the recall the rule adds through clustering).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parent))

from safeguard.adapters.linkage import model  # noqa: E402

MATCH = 0.95  # the default match threshold (``LinkConfig.match_threshold``)
# rules not in use, measured beside the model's own (their pairs that no rule in use finds)
ALTERNATIVES: tuple[tuple[str, ...], ...] = (
    ("postcode",),
    ("address",),
    ("surname", "postcode"),
    ("surname", "address"),
    ("address", "birth_year"),
    ("postcode", "birth_year"),
    ("postcode", "sex"),
)


def rules() -> dict[str, str]:
    """Each rule's name and its join condition on features ``l`` and ``r`` (DuckDB SQL)."""
    out = {
        "+".join(keys): " and ".join(f"l.{k} = r.{k}" for k in keys)
        for keys in (
            *model.BLOCKING_KEYS,
            *(k for k in ALTERNATIVES if k not in model.BLOCKING_KEYS),
        )  # noqa: E501
    }
    out["swapped names"] = model.SWAP_RULE
    out["other name"] = model.OTHER_NAME_RULE
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kept", type=Path)
    ap.add_argument("extracts", type=Path)
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"attach '{args.kept / 'data' / 'linkage' / 'relink.duckdb'}' as run (read_only)")
    con.execute("create table f as select * from run.features where unlinkable is null")
    con.execute("create table kept as select l as a, r as b, p from run.pairs")
    used = {"+".join(k) for k in model.BLOCKING_KEYS} | {"swapped names", "other name"}
    names = list(rules())
    con.execute("create table cand (a bigint, b bigint, rule int)")
    for i, (name, cond) in enumerate(rules().items()):
        con.execute(
            f"insert into cand select least(l.unique_id, r.unique_id), "
            f"greatest(l.unique_id, r.unique_id), {i} from f as l join f as r "
            f"on {cond} and l.unique_id <> r.unique_id "
            + ("" if name in ("swapped names",) else "and l.unique_id < r.unique_id")
        )
        print(f"  {name}: generated", flush=True)
    con.execute(
        "create table masks as select a, b, bit_or(1::hugeint << rule) as mask from "
        "(select distinct a, b, rule from cand) group by a, b"
    )
    sq = sqlite3.connect(args.kept / "bench.db")
    ids = pd.read_sql("select id, source_system, source_id from person_mentions", sq)
    truth = pd.read_csv(args.extracts / "truth" / "mention_person.csv", dtype=str)
    ids = ids.merge(truth, on=["source_system", "source_id"])[["id", "person_key"]]
    con.register("ids_df", pa.Table.from_pandas(ids))
    con.execute("create table who as select id::bigint as id, person_key from ids_df")
    used_mask = sum(1 << i for i, n in enumerate(names) if n in used)
    con.execute(
        f"create table scored as select m.a, m.b, m.mask & {used_mask} as mask, "
        "m.mask as all_mask, "
        "k.p, wa.person_key = wb.person_key as same from masks m "
        "left join kept k on k.a = m.a and k.b = m.b "
        "left join who wa on wa.id = m.a left join who wb on wb.id = m.b"
    )
    total_true = con.execute("select count(*) from scored where same").fetchall()[0][0]
    print(f"candidate pairs (distinct, rules in use): "
          f"{con.execute('select count(*) from scored where mask <> 0').fetchall()[0][0]:,}; "
          f"true matches among all generated: {total_true:,}")  # fmt: skip
    # connected components of the kept strong pairs, and what each rule's exclusive pairs add
    strong = con.execute(
        f"select a, b, mask from scored where p >= {MATCH} and mask <> 0"
    ).fetchnumpy()
    n = int(con.execute("select max(unique_id) + 1 from f").fetchall()[0][0])
    people = dict(con.execute("select id, person_key from who").fetchall())

    def joined_true(keep: np.ndarray) -> int:
        a, b = strong["a"][keep], strong["b"][keep]
        g = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        _, label = connected_components(g, directed=False)
        frame = pd.DataFrame({"c": label[list(people)], "p": list(people.values())}, dtype="object")
        sizes = frame.groupby(["c", "p"]).size()
        return int((sizes * (sizes - 1) // 2).sum())

    everything = joined_true(np.ones(len(strong["a"]), dtype=bool))
    print(f"true pairs joined by a path of pairs >= {MATCH} (no guards): {everything:,}")
    print(
        f"{'rule':40} {'in use':>6} {'pairs':>11} {'exclusive':>10} {'excl kept':>9} "
        f"{'excl true':>9} {'excl true kept':>14} {'true pairs lost':>15}"
    )
    mask_col = strong["mask"].astype(object)
    for i, name in enumerate(names):
        bit = 1 << i
        col = "mask" if name in used else "all_mask"
        only = (
            f"{col} = {bit}" if name in used else f"(mask & ~{bit}) = 0 and all_mask & {bit} <> 0"
        )
        row = con.execute(
            f"select (select count(*) from scored where all_mask & {bit} <> 0), "
            f"count(*), count(p), count(*) filter (where same), "
            f"count(*) filter (where same and p is not null) from scored where {only}"
        ).fetchall()[0]
        lost = ""
        if name in used:
            keep = np.array([int(m) != bit for m in mask_col], dtype=bool)
            lost = f"{everything - joined_true(keep):,}"
        print(
            f"{name:40} {'yes' if name in used else 'no':>6} {row[0]:>11,} {row[1]:>10,} "
            f"{row[2]:>9,} {row[3]:>9,} {row[4]:>14,} {lost:>15}",
            flush=True,
        )


if __name__ == "__main__":
    main()
