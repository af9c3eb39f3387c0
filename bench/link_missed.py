"""Why missed links were missed: each mention cut off from its person's main cluster, by the kind
of variation the generator wrote on it, whether any blocking rule pairs it with a mention of
that main cluster (a pair never compared cannot be recovered), and which guards keep it apart
from the main cluster's mentions.

    python bench/link_missed.py [--size 100k] [--profile police] [--seed 1] [--store DIR]

Reads what ``bench/link_train.py`` left: the ingested database, the truth and the feature store
of its last run (``--store``, default the ``store-500000`` of that size and profile).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import link_realistic as lr  # noqa: E402
import link_truth  # noqa: E402

from safeguard.adapters.linkage import guards, model  # noqa: E402
from safeguard.adapters.linkage.model import (  # noqa: E402
    BLOCKING_KEYS,
    OTHER_NAME_RULE,
    SWAP_RULE,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--profile", default="police")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", default="")
    parser.add_argument("--db", default="", help="the ingested database (default: beside the data)")
    parser.add_argument(
        "--try-keys",
        default="forename_canon+birth_year,surname+birth_year,surname_first+forename_canon",
        help="blocking keys to try on the pairs no rule finds, ',' between rules, '+' in one",
    )
    args = parser.parse_args()
    directory = lr.extracts_dir(args.profile, lr.size_of(args.size), args.seed)
    db = Path(args.db) if args.db else directory.with_name(directory.name + "-ingested.db")
    store = (
        Path(args.store)
        if args.store
        else directory.with_name(directory.name + "-train") / "store-500000"
    )
    truth = link_truth.Truth.load(directory)
    con = sqlite3.connect(db)
    rows = con.execute(
        "select m.id, m.source_system, m.source_id, l.person_id from person_mentions m "
        "join person_links l on l.mention_id = m.id"
    ).fetchall()
    con.close()
    person = {i: truth.person[(s, k)] for i, s, k, _ in rows if (s, k) in truth.person}
    system = {i: s for i, s, _, _ in rows}
    cluster = {i: c for i, _, _, c in rows}
    variations = {i: truth.variations.get((s, k), ()) for i, s, k, _ in rows}
    by_person: dict[object, list[int]] = defaultdict(list)
    for i, p in person.items():
        by_person[p].append(i)
    missed, main_of = [], {}
    for p, ids in by_person.items():
        main = Counter(cluster[i] for i in ids).most_common(1)[0][0]
        main_of[p] = main
        missed += [(i, p) for i in ids if cluster[i] != main]
    # pairs (missed mention, mention of its person's main cluster)
    a, b = [], []
    for i, p in missed:
        for j in by_person[p]:
            if cluster[j] == main_of[p]:
                a.append(i)
                b.append(j)
    d = duckdb.connect()
    d.execute(f"attach '{store / 'mentions.duckdb'}' as s (read_only)")
    d.execute(
        "create table f as select *, 1 as dob_n, 1 as forename_n, "
        "false as namesakes_apart from s.features"
    )
    d.register("p", pa.table({"a": a, "b": b}))
    rules = [" and ".join(f"l.{k} = r.{k}" for k in keys) for keys in BLOCKING_KEYS]
    rules += [SWAP_RULE, OTHER_NAME_RULE]
    names = ["+".join(k) for k in BLOCKING_KEYS] + ["swap", "other_name"]
    blocked = " or ".join(f"coalesce({r}, false)" for r in rules)
    saved = json.loads(d.execute("select * from s.model").fetchall()[0][0])
    on = set(guards.GUARDS)
    if not model.guards_of(saved).get("sibling_guard", True):
        on.discard("siblings")  # as the run applied it
    grules = guards.pair_guard_sql("l", "r", enabled=on)
    gcase = (
        "list_value("
        + ", ".join(f"case when coalesce({sql}, false) then '{n}' end" for n, sql in grules)
        + ")"
    )
    first_rule = (
        "case "
        + " ".join(
            f"when coalesce({r}, false) then '{n}'" for r, n in zip(rules, names, strict=True)
        )
        + " else 'none' end"
    )
    res = d.execute(
        f"""select p.a, bool_or({blocked}) as blocked,
              list_distinct(flatten(list({gcase}))) as guards,
              coalesce(bool_or(l.pnc_id = r.pnc_id), false) as pnc,
              coalesce(bool_or(l.phone = r.phone), false) as phone
           from p join f as l on l.unique_id = p.a join f as r on r.unique_id = p.b
           group by p.a"""
    ).fetchall()
    by_rule = d.execute(
        f"select {first_rule} as rule, count(*) from p join f as l on l.unique_id = p.a "
        f"join f as r on r.unique_id = p.b group by rule order by 2 desc"
    ).fetchall()
    print(f"{len(missed)} missed mentions, {len(a)} pairs with their main cluster")
    unblocked = [i for i, is_blocked, *_ in res if not is_blocked]
    d.register("u", pa.table({"a": unblocked}))
    for keys in args.try_keys.split(","):
        on = " and ".join(f"l.{k} = r.{k}" for k in keys.split("+"))
        (n,) = d.execute(
            f"select count(distinct p.a) from p join u on u.a = p.a "
            f"join f as l on l.unique_id = p.a join f as r on r.unique_id = p.b where {on}"
        ).fetchall()[0]
        print(f"  of {len(unblocked)} mentions no rule pairs with their person, {keys} finds {n}")
    print("pairs by the first blocking rule that finds them:", by_rule)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for i, is_blocked, gs, pnc, phone in res:
        gs = [g for g in gs if g]
        for v in variations.get(i) or ("none",):
            kinds[v]["missed"] += 1
            kinds[v]["shares a PNC id with it"] += pnc
            kinds[v]["shares a phone with it"] += phone
            kinds[v]["unblocked" if not is_blocked else "blocked"] += 1
            for g in gs or ["no guard"]:
                kinds[v][g] += 1
    for v, c in sorted(kinds.items(), key=lambda kv: -kv[1]["missed"]):
        print(f"{v:18} " + ", ".join(f"{k} {n}" for k, n in c.most_common()))
    merged_relations(truth, person, cluster, system, variations, d)


def merged_relations(
    truth: link_truth.Truth,
    person: dict[int, object],
    cluster: dict[int, int],
    system: dict[int, str],
    variations: dict[int, tuple[str, ...]],
    con: duckdb.DuckDBPyConnection,
) -> None:
    """For twins and same-named father and son merged into one cluster: the mentions of the
    smaller side in that cluster, by source system, what dates they carry and their variations."""
    dated = dict(
        con.execute(
            "select unique_id, (dob is not null)::int * 2 + (birth_year is not null)::int from f"
        ).fetchall()
    )
    when = {3: "dob", 1: "age only", 0: "no dob or age", 2: "dob"}
    members: dict[int, dict[object, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, c in cluster.items():
        if i in person:
            members[c][person[i]].append(i)
    people_clusters: dict[object, set[int]] = defaultdict(set)
    for i, p in person.items():
        people_clusters[p].add(cluster[i])
    for relation in ("twin", "father_son_same_name", "sibling", "parent_child"):
        kinds: Counter[str] = Counter()
        pairs = 0
        for a, b, kind in truth.relations:
            if kind != relation:
                continue
            for c in people_clusters.get(a, set()) & people_clusters.get(b, set()):
                pairs += 1
                small = min(members[c][a], members[c][b], key=len)
                for i in small:
                    v = "+".join(variations.get(i) or ("none",))
                    kinds[f"{system[i]}, {when[dated[i]]}, {v}"] += 1
        print(f"{relation}: {pairs} merged (pair, cluster); the smaller side's mentions:")
        for k, n in kinds.most_common(12):
            print(f"    {n:5} {k}")


if __name__ == "__main__":
    main()
