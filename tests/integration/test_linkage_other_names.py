"""A mention's recorded other names (aliases, previous surnames) in the linking model."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pytest

from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.adapters.linkage.engine import FEATURES_ALL, LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.adapters.linkage.guards import GUARDS, component_guard_pairs
from safeguard.adapters.linkage.model import OTHER_FORENAME_LABEL, OTHER_SURNAME_LABEL
from tests.linkage_data import FORENAMES, SURNAMES, make_mentions, make_people

TODAY = date(2026, 6, 1)
DOB = date(1988, 4, 9)


def _m(i: int, forenames: str, surname: str = "Walker", **extra: Any) -> dict[str, Any]:
    return {
        "id": i,
        "forenames": forenames,
        "surname": surname,
        "date_of_birth": DOB,
        "address": "4 mill lane carlisle",
        "postcode": "CA1 2AB",
        "mention_date": date(2025, 3, 1),
        **extra,
    }


def _guard_pairs(rows: list[dict[str, Any]]) -> dict[tuple[int, int], str]:
    """Every guard pair, all guards on, with the rows taken as one component."""
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        ids = np.array(sorted(r["id"] for r in rows), dtype=np.int64)
        left, right, names = component_guard_pairs(
            session.con, FEATURES_ALL, ids, np.zeros(len(ids), np.int64), enabled=GUARDS
        )
    return {(int(a), int(b)): g for a, b, g in zip(left, right, names, strict=True)}


def test_a_name_recorded_as_the_persons_alias_is_not_taken_for_a_twin():
    found = _guard_pairs(
        [
            _m(1, "Nicholas", other_names=["Raymond Walker"]),  # NICHE: the alias recorded
            _m(2, "Nicholas"),  # a call, written as 1 is, with no other names
            _m(3, "Raymond"),  # written under the alias
            _m(4, "Thomas"),  # a twin: nobody records his name as Nicholas's
        ]
    )
    assert (1, 3) not in found and (2, 3) not in found
    assert found[(1, 4)] == found[(2, 4)] == found[(3, 4)] == "twins"


def _with_aliases(seed: int = 3) -> tuple[list[dict[str, Any]], set[int], dict[int, int]]:
    """The linkage population with an alias for every eighth person: one of the person's
    mentions records it, one more mention is written under it (forename and surname, the
    person's date of birth, address and postcode). Returns rows, the alias mentions' ids and
    each mention's person."""
    rng = random.Random(seed)
    people = make_people(160)
    rows = make_mentions(people)
    by_person: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_person.setdefault(int(r["person_key"]), []).append(r)
    # people sharing a surname and address (twins, father and son) are left as they are
    households: dict[tuple[str, str], int] = {}
    for p in people:
        households[(p.surname, p.address)] = households.get((p.surname, p.address), 0) + 1
    aliased = set()
    next_id = max(int(r["id"]) for r in rows) + 1
    for p in people[::8]:
        if households[(p.surname, p.address)] > 1:
            continue
        fore = rng.choice([f for f, _ in FORENAMES if f != p.forename])
        sur = rng.choice([s for s in SURNAMES if s != p.surname])
        by_person[p.key][0]["other_names"] = [f"{fore.title()} {sur.title()}"]
        rows.append(
            {
                "id": next_id,
                "source_system": "NICHE",
                "source_id": f"P{next_id}",
                "forenames": fore.title(),
                "surname": sur.upper(),
                "date_of_birth": p.dob,
                "sex": p.sex,
                "postcode": p.postcode,
                "address": p.address,
                "mention_date": date(2024, 2, 1),
                "person_key": p.key,
            }
        )
        aliased.add(next_id)
        next_id += 1
    return rows, aliased, {int(r["id"]): int(r["person_key"]) for r in rows}


@pytest.fixture(scope="module")
def linked() -> Iterator[Any]:
    rows, aliased, truth = _with_aliases()

    def run(with_other_names: bool) -> tuple[dict[int, int], dict[str, Any]]:
        data = [
            r if with_other_names else {k: v for k, v in r.items() if k != "other_names"}
            for r in rows
        ]
        with LinkingSession() as session:
            session.load(raw_from_records(data), today=TODAY)
            model = session.train()
            prediction = session.predict(threshold=0.95)
            clusters = cluster_prediction(
                session.mention_ids(),
                prediction,
                threshold=0.95,
                isolated=session.unlinkable(),
                guard_pairs=session.guard_pairs(frozenset()),
            ).cluster_of
        return clusters, model

    yield aliased, truth, run(True), run(False)


def _alias_joined(aliased: set[int], truth: dict[int, int], clusters: dict[int, int]) -> int:
    """Alias mentions in one person with another mention of their own person."""
    return sum(
        any(clusters[m] == clusters[o] for o in truth if o != m and truth[o] == truth[m])
        for m in aliased
    )


def test_mentions_under_a_recorded_alias_join_their_person_and_nobody_else(linked):
    aliased, truth, (clusters, _), (without, _) = linked
    joined = _alias_joined(aliased, truth, clusters)
    assert joined >= 0.9 * len(aliased), (joined, len(aliased))
    # without the other names the same mentions stay apart from their people
    assert _alias_joined(aliased, truth, without) < joined
    for m in aliased:  # and no alias mention is put with another person
        assert all(truth[o] == truth[m] for o in truth if clusters[o] == clusters[m])


def test_the_recorded_other_name_levels_are_trained_and_weigh_for_a_match(linked):
    _, _, (_, model), _ = linked
    levels = {
        (c["output_column_name"], level.get("label_for_charts")): level
        for c in model["comparisons"]
        for level in c["comparison_levels"]
    }
    for key in (("forename", OTHER_FORENAME_LABEL), ("surname", OTHER_SURNAME_LABEL)):
        level = levels[key]
        assert level["m_probability"] > level["u_probability"] > 0, (key, level)
