"""Accuracy of a clustering against generated extracts' truth: pairwise scores, merge rates of
related people, falsely joined pairs by relation, missed mentions by kind of variation.

Mentions are keyed by ``(source_system, source_id)`` so that clusters read back from the
database (``safeguard link``) and clusters of the generic model (numbered in file order) are
scored on the same footing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from safeguard.domain.linking import pairwise_scores

RELATIONS = ("twin", "father_son_same_name", "parent_child", "sibling", "partner")


@dataclass
class Truth:
    """Who each mention is, what was varied on it, and how related people are related."""

    person: dict[Hashable, Hashable]
    variations: dict[Hashable, tuple[str, ...]] = field(default_factory=dict)
    relations: list[tuple[Hashable, Hashable, str]] = field(default_factory=list)

    @classmethod
    def load(cls, directory: Path) -> Truth:
        m = pd.read_csv(
            directory / "truth" / "mention_person.csv", dtype=str, keep_default_na=False
        )
        keys = list(zip(m["source_system"], m["source_id"], strict=True))
        r = pd.read_csv(directory / "truth" / "relations.csv", dtype=str)
        return cls(
            person=dict(zip(keys, m["person_key"], strict=True)),
            variations={
                k: tuple(v.split(";")) for k, v in zip(keys, m["variations"], strict=True) if v
            },
            relations=list(zip(r["person_key_a"], r["person_key_b"], r["relation"], strict=True)),
        )


@dataclass
class Accuracy:
    precision: float
    recall: float
    f1: float
    #: relation -> (pairs merged into one cluster, pairs of that relation with mentions)
    merged: dict[str, tuple[int, int]]
    #: relation of the people in falsely joined pairs of mentions -> pairs
    false_pairs: dict[str, int]
    #: variation -> (mentions cut off from their person's main cluster, mentions with it)
    missed: dict[str, tuple[int, int]]
    mentions: int

    def merge_rate(self, relation: str) -> float | None:
        merged, pairs = self.merged.get(relation, (0, 0))
        return merged / pairs if pairs else None

    def as_dict(self) -> dict[str, object]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "mentions": self.mentions,
            "merged": {k: list(v) for k, v in self.merged.items()},
            "false_pairs": self.false_pairs,
            "missed": {k: list(v) for k, v in self.missed.items()},
        }


def score(clusters: Mapping[Hashable, Hashable], truth: Truth) -> Accuracy:
    """Every figure over the mentions both the clustering and the truth hold."""
    keys = [k for k in clusters if k in truth.person]
    pair = pairwise_scores({k: clusters[k] for k in keys}, truth.person)
    return Accuracy(
        precision=pair.precision,
        recall=pair.recall,
        f1=pair.f1,
        merged=merge_rates(clusters, truth.person, truth.relations),
        false_pairs=false_pairs_by_relation(clusters, truth.person, truth.relations),
        missed=missed_by_variation(clusters, truth.person, truth.variations),
        mentions=len(keys),
    )


def _clusters_of_people(
    clusters: Mapping[Hashable, Hashable], person: Mapping[Hashable, Hashable]
) -> dict[Hashable, set[Hashable]]:
    out: dict[Hashable, set[Hashable]] = defaultdict(set)
    for k, c in clusters.items():
        if k in person:
            out[person[k]].add(c)
    return out


def merge_rates(
    clusters: Mapping[Hashable, Hashable],
    person: Mapping[Hashable, Hashable],
    relations: Iterable[tuple[Hashable, Hashable, str]],
) -> dict[str, tuple[int, int]]:
    """For each relation: pairs of people with any two mentions in one cluster, of the pairs
    where both people have a mention."""
    of = _clusters_of_people(clusters, person)
    counts: dict[str, list[int]] = {r: [0, 0] for r in RELATIONS}
    for a, b, kind in relations:
        if a in of and b in of:
            c = counts.setdefault(kind, [0, 0])
            c[1] += 1
            c[0] += bool(of[a] & of[b])
    return {k: (v[0], v[1]) for k, v in counts.items()}


def false_pairs_by_relation(
    clusters: Mapping[Hashable, Hashable],
    person: Mapping[Hashable, Hashable],
    relations: Iterable[tuple[Hashable, Hashable, str]],
) -> dict[str, int]:
    """Mention pairs joined in one cluster that are two people, by how those people are related
    (``unrelated`` when they share no household)."""
    kind_of = {frozenset((a, b)): k for a, b, k in relations}
    members: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for k, c in clusters.items():
        if k in person:
            members[c][person[k]] += 1
    out: Counter[str] = Counter()
    for people in members.values():
        if len(people) < 2:
            continue
        items = list(people.items())
        for i, (pa, na) in enumerate(items):
            for pb, nb in items[i + 1 :]:
                out[kind_of.get(frozenset((pa, pb)), "unrelated")] += na * nb
    return dict(out)


def missed_by_variation(
    clusters: Mapping[Hashable, Hashable],
    person: Mapping[Hashable, Hashable],
    variations: Mapping[Hashable, tuple[str, ...]],
) -> dict[str, tuple[int, int]]:
    """For each kind of variation: mentions carrying it that are not in the cluster holding most
    of their person's mentions (only people with two or more mentions count)."""
    per_person: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for k, c in clusters.items():
        if k in person:
            per_person[person[k]][c] += 1
    main = {
        p: counts.most_common(1)[0][0] for p, counts in per_person.items() if counts.total() > 1
    }
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for k, kinds in variations.items():
        p = person.get(k)
        if p not in main or k not in clusters:
            continue
        cut_off = clusters[k] != main[p]
        for kind in kinds:
            out[kind][1] += 1
            out[kind][0] += cut_off
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}
