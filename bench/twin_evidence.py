"""Is there evidence in the records that a would-be twin pair is two people? (issue 14 item 2)

    python bench/twin_evidence.py --extract police [--size 100k] [--seed 1]

The ``twins`` and ``undated_sibling`` guards cut a person's known-as name recorded with his date
of birth or age (it looks, field by field, like a twin recorded once). A domain fact that tells
the two apart would be evidence that the two forenames are two people: both named, as two
people, in one event (``one_event``), or each recorded with its own PNC id. This script counts,
on a realistic extract with its truth:

* true twin (and sibling) pairs: both recorded at all, both recorded in one event (any of their
  mentions), and whether their recorded names carry such evidence anywhere in the extract;
* the guard pairs ``twins`` and ``undated_sibling`` find inside the components of the links above
  the threshold with the force's default guards: how many are one person (a cut true link) and
  two, and how many of each carry the evidence.

Reads the model and prediction that ``bench/guards.py --extract`` caches beside the extract.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from safeguard.adapters.linkage.clustering import cluster_prediction  # noqa: E402
from safeguard.adapters.linkage.engine import FEATURES_ALL, LinkingSession  # noqa: E402
from safeguard.adapters.linkage.guards import EVENTS, NODES, component_guard_pairs  # noqa: E402
from safeguard.domain.linking_policy import DEFAULT_GUARDS_OFF  # noqa: E402

THRESHOLD = 0.95
WATCHED = ("twins", "undated_sibling")

# Two mentions in one event with the same surname and different forenames: the (surname,
# forename, forename) of two people. Birth years kept to match a pair's dates.
EVENT_NAMES = """
create or replace temp table __event_names as
select distinct x.surname, x.forename_canon as fa, y.forename_canon as fb,
  x.birth_year as ya, y.birth_year as yb
from {events} as e1 join {events} as e2 on e1.event_id = e2.event_id
  and e1.mention_id <> e2.mention_id
join {f} as x on x.unique_id = e1.mention_id
join {f} as y on y.unique_id = e2.mention_id
where x.surname = y.surname and x.forename_canon <> y.forename_canon
"""

# Each name (surname, forename) with the PNC ids recorded with it.
PNC_NAMES = """
create or replace temp table __pnc_names as
select distinct surname, forename_canon as fc, birth_year as y, pnc_id
from {f} where pnc_id is not null
"""


def _evidence(con: Any, left: list[int], right: list[int]) -> tuple[list[bool], list[bool]]:
    """Per pair of mentions: (seen as two people in one event, each name with its own PNC id),
    judged on the names (surname and canonical forenames), birth years within one where both
    are known."""
    con.register("__pairs", pa.table({"i": np.arange(len(left)), "a": left, "b": right}))
    rows = con.execute(
        f"""select p.i,
          exists (select 1 from __event_names as n
            where n.surname = l.surname and n.fa = l.forename_canon and n.fb = r.forename_canon
              and coalesce(abs(n.ya - l.birth_year) <= 1, true)
              and coalesce(abs(n.yb - r.birth_year) <= 1, true)),
          exists (select 1 from __pnc_names as u join __pnc_names as v
              on u.surname = v.surname and damerau_levenshtein(u.pnc_id, v.pnc_id) > 1
            where u.surname = l.surname and u.fc = l.forename_canon
              and v.fc = r.forename_canon
              and coalesce(abs(u.y - l.birth_year) <= 1, true)
              and coalesce(abs(v.y - r.birth_year) <= 1, true))
        from __pairs as p join {FEATURES_ALL} as l on l.unique_id = p.a
        join {FEATURES_ALL} as r on r.unique_id = p.b order by p.i"""
    ).fetchall()
    con.unregister("__pairs")
    return [bool(r[1]) for r in rows], [bool(r[2]) for r in rows]


def _by_counts(con: Any, left: list[int], right: list[int], person: dict[int, Any]) -> None:
    """The guard's pairs grouped by component and the two forenames (one row per pair of names,
    not per pair of mentions): how many mentions of the component carry each forename, for the
    pairs that are one person and those that are two."""
    con.register("__pairs", pa.table({"a": left, "b": right}))
    rows = con.execute(
        f"""select l.component, l.forename_canon, r.forename_canon, l.forename_n, r.forename_n,
          l.unique_id, r.unique_id, c.n
        from __pairs as p join {NODES} as l on l.unique_id = p.a
        join {NODES} as r on r.unique_id = p.b
        join (select component, count(*) as n from {NODES} group by component) as c
          on c.component = l.component"""
    ).fetchall()
    con.unregister("__pairs")
    groups: dict[tuple[Any, ...], list[bool]] = defaultdict(list)
    counts: dict[tuple[Any, ...], tuple[int, int, int]] = {}
    for comp, fa, fb, na, nb, a, b, n in rows:
        key = (comp, *sorted((fa, fb)))
        groups[key].append(person.get(a) is not None and person.get(a) == person.get(b))
        counts[key] = (min(na, nb), max(na, nb), n)
    table: Counter[tuple[str, str, str]] = Counter()
    for key, same in groups.items():
        lo, hi, _n = counts[key]
        kind = "one" if sum(same) * 2 > len(same) else "two"
        hb = "1" if hi == 1 else "2-4" if hi < 5 else "5-9" if hi < 10 else "10+"
        ratio = "lo*10<=hi" if lo * 10 <= hi else "lo*5<=hi" if lo * 5 <= hi else "closer"
        table[(kind, f"lo={min(lo, 3)}", f"hi={hb} {ratio}")] += 1
    print("    name pairs by (person(s), lone count, other count):")
    for k, v in sorted(table.items()):
        print(f"      {k[0]:4} {k[1]:5} {k[2]:22} {v:6,}")


def main() -> None:
    import link_realistic as lr
    import link_train
    import link_truth
    from guards import _cached_prediction

    from safeguard.adapters.db.engine import make_engine
    from safeguard.adapters.linkage.features import load_mention_events, load_mentions

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extract", default="police")
    parser.add_argument("--size", default="100k")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    directory = lr.extracts_dir(args.extract, lr.size_of(args.size), args.seed)
    db = link_train._database(directory)
    truth = link_truth.Truth.load(directory)
    import sqlite3

    sq = sqlite3.connect(db)
    keys = {
        int(i): (s, k)
        for i, s, k in sq.execute("select id, source_system, source_id from person_mentions")
    }
    sq.close()
    person = {m: truth.person[k] for m, k in keys.items() if k in truth.person}
    engine = make_engine(f"sqlite:///{db}")
    raw, events = load_mentions(engine), load_mention_events(engine)
    engine.dispose()

    with LinkingSession() as session:
        session.load(raw, today=date.today())
        session.load_events(events)
        cache = directory.with_name(directory.name + "-guards")
        prediction = _cached_prediction(session, cache, False)
        con = session.con
        con.execute(EVENT_NAMES.format(events=EVENTS, f=FEATURES_ALL))
        con.execute(PNC_NAMES.format(f=FEATURES_ALL))

        # 1. true related pairs: recorded, in one event, names with evidence
        mentions_of: dict[Any, list[int]] = defaultdict(list)
        for m, p in person.items():
            mentions_of[p].append(m)
        ev = con.execute(f"select mention_id, event_id from {EVENTS}").fetchall()
        events_of: dict[Any, set[int]] = defaultdict(set)
        for m, e in ev:
            if int(m) in person:
                events_of[person[int(m)]].add(int(e))
        print(f"{args.extract} {args.size}: {len(keys):,} mentions")
        for relation in ("twin", "sibling"):
            pairs = [(a, b) for a, b, r in truth.relations if r == relation]
            both = [(a, b) for a, b in pairs if mentions_of.get(a) and mentions_of.get(b)]
            together = [(a, b) for a, b in both if events_of[a] & events_of[b]]
            # name-level evidence between any mention of a and any of b
            la: list[int] = []
            rb: list[int] = []
            owner: list[int] = []
            for i, (a, b) in enumerate(both):
                for x in mentions_of[a]:
                    for y in mentions_of[b]:
                        la.append(x)
                        rb.append(y)
                        owner.append(i)
            in_event, by_pnc = _evidence(con, la, rb)
            ev_pair = {owner[j] for j, v in enumerate(in_event) if v}
            pnc_pair = {owner[j] for j, v in enumerate(by_pnc) if v}
            print(
                f"  {relation} pairs {len(pairs):,}; both recorded {len(both):,}; "
                f"in one event {len(together):,} ({len(together) / max(1, len(both)):.1%}); "
                f"names seen as two in an event {len(ev_pair):,} "
                f"({len(ev_pair) / max(1, len(both)):.1%}); "
                f"names with two PNC ids {len(pnc_pair):,}; either "
                f"{len(ev_pair | pnc_pair):,} ({len(ev_pair | pnc_pair) / max(1, len(both)):.1%})"
            )

        # 2. the watched guards' pairs inside the default clustering's components
        found: list[tuple[np.ndarray, np.ndarray, list[str]]] = []
        enabled = session.enabled_guards(DEFAULT_GUARDS_OFF)

        def capture(ids: np.ndarray, component: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            a, b, names = component_guard_pairs(con, FEATURES_ALL, ids, component, enabled=enabled)
            found.append((a, b, names))
            return a, b

        cluster_prediction(
            session.mention_ids(),
            prediction,
            threshold=THRESHOLD,
            isolated=session.unlinkable(),
            guard_pairs=capture,
        )
        ga, gb, names = found[0]
        for guard in WATCHED:
            sel = [i for i, g in enumerate(names) if g == guard]
            la = [int(ga[i]) for i in sel]
            rb = [int(gb[i]) for i in sel]
            in_event, by_pnc = _evidence(con, la, rb)
            count: Counter[tuple[str, str]] = Counter()
            for x, y, e, p in zip(la, rb, in_event, by_pnc, strict=True):
                same = person.get(x) is not None and person.get(x) == person.get(y)
                kind = "one person" if same else "two people"
                count[(kind, "event" if e else ("pnc" if p else "none"))] += 1
            _by_counts(con, la, rb, person)
            print(f"  guard {guard}: {len(sel):,} pairs in the default clustering's components")
            for kind in ("one person", "two people"):
                n = sum(v for (k, _), v in count.items() if k == kind)
                print(
                    f"    {kind}: {n:,}; evidence in an event {count[(kind, 'event')]:,}, "
                    f"by PNC ids only {count[(kind, 'pnc')]:,}, none {count[(kind, 'none')]:,}"
                )


if __name__ == "__main__":
    main()
