"""Spark returns only the look-alike pairs under ``HARD_NEGATIVE_BELOW``, not every weak pair;
the ``look_alike`` guard finds the same pairs from them (run here in DuckDB: the SQL is both's)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from safeguard.adapters.linkage.engine import FEATURES, FEATURES_ALL, LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.adapters.linkage.guards import WEAK, component_guard_pairs
from safeguard.adapters.linkage.spark import look_alike_candidates_sql

TODAY = date(2026, 6, 1)


def _m(i: int, forenames: str, surname: str, dob: date | None) -> dict[str, Any]:
    return {
        "id": i,
        "forenames": forenames,
        "surname": surname,
        "date_of_birth": dob,
        "address": "4 mill lane carlisle",
        "postcode": "CA1 2AB",
        "mention_date": date(2025, 3, 1),
    }


def test_look_alike_candidates_give_the_guard_the_same_pairs_as_every_weak_pair():
    rows = [
        _m(1, "John", "Walker", date(1961, 2, 3)),
        _m(2, "John", "Walker", date(1988, 7, 9)),  # same name: a look-alike
        _m(3, "Mary", "Walker", date(1961, 2, 3)),  # same surname and date: a look-alike
        _m(4, "Mary", "Hall", date(1961, 2, 3)),  # another surname: not a look-alike
        _m(5, "Peter", "Walker", date(1975, 5, 5)),  # nothing in common with 1 but the surname
    ]
    scored = pa.table(
        {
            "unique_id_l": [1, 1, 1, 1, 2, 3],
            "unique_id_r": [2, 3, 4, 5, 3, 4],
            "match_probability": [0.001, 0.002, 0.003, 0.004, 0.5, 0.0001],
        }
    )
    ids = np.arange(1, 6, dtype=np.int64)
    component = np.zeros(5, np.int64)
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        con = session.con
        con.register("scored", scored)
        candidates = {
            (int(a), int(b))
            for a, b in con.execute(look_alike_candidates_sql("scored", FEATURES)).fetchall()
        }

        def look_alikes(weak: str) -> set[tuple[int, int]]:
            con.execute(f"create or replace table {WEAK} as {weak}")
            left, right, _ = component_guard_pairs(
                con, FEATURES_ALL, ids, component, enabled={"look_alike"}
            )
            return {(int(a), int(b)) for a, b in zip(left, right, strict=True)}

        every_weak = look_alikes(
            "select unique_id_l as a, unique_id_r as b from scored where match_probability < 0.01"
        )
        only_candidates = look_alikes(
            f"select a, b from ({look_alike_candidates_sql('scored', FEATURES)})"
        )
    assert candidates == {(1, 2), (1, 3)}
    assert only_candidates == every_weak == {(1, 2), (1, 3)}
