"""How dense generated extracts are: name and place pools, namesakes and shared places, and
(given a clustering) how a model's false joins are spread over cluster sizes.

    python bench/extracts_density.py DIR [DIR ...] [--clusters DIR=clusters.json ...]

``DIR`` is a ``safeguard simulate-extracts`` output. ``clusters.json`` is what
``bench/link.py _generic_extracts`` writes (``[[source_system, source_id, cluster], ...]``).
Every figure is over recorded people (one mention or more) and the mentions' own text, so it
says what a linking model sees: how many distinct surnames, postcodes and addresses, how many
households a postcode or an address text holds, and how many pairs of people of different
households share a name, or a surname and a postcode.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd


def _pairs(counts: pd.Series) -> int:
    c = counts.to_numpy(dtype=np.int64)
    return int((c * (c - 1) // 2).sum())


def cross_household_pairs(people: pd.DataFrame, keys: list[str]) -> int:
    """Pairs of people in different households who share every column of ``keys``."""
    all_pairs = _pairs(people.groupby(keys).size())
    same = _pairs(people.groupby([*keys, "household_key"]).size())
    return all_pairs - same


def density(directory: Path) -> dict[str, object]:
    truth = directory / "truth"
    people = pd.read_csv(truth / "people.csv", dtype=str, keep_default_na=False)
    people = people[people["mentions"].astype(int) > 0]
    mp = pd.read_csv(truth / "mention_person.csv", dtype=str, keep_default_na=False)
    mentions = pd.read_csv(
        directory / "interchange" / "person_mention.csv",
        dtype=str,
        keep_default_na=False,
        usecols=["source_id", "address", "postcode"],
    )
    m = mp.merge(mentions, on="source_id").merge(
        people[["person_key", "household_key"]], on="person_key"
    )
    m["postcode"] = m["postcode"].str.upper().str.replace(" ", "")
    m["address"] = m["address"].str.upper()
    # the household's home postcode(s) and address(es) as written on its mentions
    with_pc = m[m["postcode"] != ""]
    hh_per_pc = with_pc.groupby("postcode")["household_key"].nunique()
    full = m[m["address"].str.match(r"^\d")]
    hh_per_addr = full.groupby("address")["household_key"].nunique()
    # each person's modal postcode, for surname + postcode namesakes
    home = with_pc.groupby("person_key")["postcode"].agg(lambda s: s.mode().iat[0])
    p = people.set_index("person_key").join(home.rename("postcode"), how="inner").reset_index()
    p["birth_year"] = p["dob"].str[:4]
    surnames = people["surname"].value_counts()
    n = len(people)
    top_share = float(surnames.iloc[0] / n)
    return {
        "data": directory.name,
        "people": n,
        "households": int(people["household_key"].nunique()),
        "mentions": len(mp),
        "surnames": len(surnames),
        "surnames_held_by_one_person": int((surnames == 1).sum()),
        "top_surname_share": round(top_share, 4),
        "forenames": int(people["forename"].nunique()),
        "people_per_forename_surname": round(
            n / people.groupby(["forename", "surname"]).ngroups, 2
        ),  # fmt: skip
        "postcodes": len(hh_per_pc),
        "households_per_postcode_mean": round(float(hh_per_pc.mean()), 2),
        "households_per_postcode_p90": float(hh_per_pc.quantile(0.9)),
        "addresses": len(hh_per_addr),
        "address_texts_held_by_2plus_households": round(float((hh_per_addr > 1).mean()), 4),
        "namesake_pairs_forename_surname": cross_household_pairs(people, ["forename", "surname"]),
        "namesake_pairs_forename_surname_birth_year": cross_household_pairs(
            people.assign(birth_year=people["dob"].str[:4]), ["forename", "surname", "birth_year"]
        ),
        "other_household_pairs_surname_postcode": cross_household_pairs(p, ["surname", "postcode"]),
    }


def cluster_spread(directory: Path, clusters_file: Path) -> dict[str, object]:
    """Falsely joined pairs by the number of people in their cluster."""
    mp = pd.read_csv(directory / "truth" / "mention_person.csv", dtype=str, keep_default_na=False)
    person = dict(zip(zip(mp["source_system"], mp["source_id"], strict=True), mp["person_key"],
                      strict=True))  # fmt: skip
    members: dict[str, Counter[str]] = {}
    for s, i, c in json.loads(clusters_file.read_text()):
        members.setdefault(c, Counter())[person[(s, i)]] += 1
    buckets = {"1": 0, "2": 0, "3-5": 0, "6-20": 0, "21+": 0}
    false_by: Counter[str] = Counter()
    sizes: list[int] = []
    for people in members.values():
        k = len(people)
        sizes.append(sum(people.values()))
        b = "1" if k == 1 else "2" if k == 2 else "3-5" if k <= 5 else "6-20" if k <= 20 else "21+"
        buckets[b] += 1
        counts = np.array(list(people.values()), dtype=np.int64)
        false_by[b] += int((counts.sum() ** 2 - (counts**2).sum()) // 2)
    total = sum(false_by.values()) or 1
    s = np.array(sizes)
    return {
        "clusters": len(members),
        "clusters_by_people": buckets,
        "false_pairs": total,
        "false_pair_share_by_people_in_cluster": {
            k: round(v / total, 3) for k, v in false_by.items()
        },
        "largest_cluster_mentions": int(s.max()),
        "mentions_in_clusters_over_100": int(s[s > 100].sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--clusters", action="append", default=[], help="DIR=clusters.json")
    args = parser.parse_args()
    for d in args.dirs:
        print(json.dumps(density(d)), flush=True)
    for spec in args.clusters:
        d, f = spec.split("=", 1)
        print(json.dumps({"data": Path(d).name, **cluster_spread(Path(d), Path(f))}), flush=True)


if __name__ == "__main__":
    main()
