"""u of the exact levels from the whole table's value frequencies (DuckDB, no database needed):
the counts equal a brute-force count over every pair, and u does not depend on a sample."""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Any

import duckdb
import pytest

from safeguard.adapters.linkage import model as models

TODAY = date(2026, 6, 1)
COLUMNS = ("forename", "surname", "dob", "phone", "pnc_id", "address")
LEVELS = (*COLUMNS, "postcode")  # "same postcode" is a level of the address comparison


def _table(seed: int, n: int = 300) -> list[dict[str, Any]]:
    """Hand-built mentions: few values, many missing, households sharing address and phone."""
    rng = random.Random(seed)

    def maybe(value: Any, missing: float) -> Any:
        return None if rng.random() < missing else value

    rows = []
    for i in range(n):
        year = rng.choice([1970, 1985, 1990, 2001])
        rows.append(
            {
                "unique_id": i,
                "forename": maybe(rng.choice(["ann", "bob", "cy", "dee"]), 0.1),
                "surname": maybe(rng.choice(["hall", "ng", "roe"]), 0.1),
                "dob": maybe(f"{year}-0{rng.randint(1, 3)}-01", 0.3),
                "birth_year": maybe(year, 0.2),
                "phone": maybe(f"07{rng.randint(0, 20)}", 0.5),
                "pnc_id": maybe(f"pnc{rng.randint(0, 60)}", 0.7),
                "address": maybe(f"{rng.randint(0, 9)} high st", 0.2),
                "postcode": maybe(f"CA{rng.randint(1, 3)}", 0.3),
            }
        )
    for row in rows:  # a date of birth always gives the birth year
        if row["dob"] is not None:
            row["birth_year"] = int(row["dob"][:4])
    return rows


def _con(rows: list[dict[str, Any]]) -> Any:
    con = duckdb.connect()
    con.execute(
        "create table t (unique_id bigint, forename varchar, surname varchar, dob varchar, "
        "birth_year integer, phone varchar, pnc_id varchar, address varchar, postcode varchar)"
    )
    con.executemany(
        "insert into t values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[r[k] for k in ("unique_id", *COLUMNS[:3], "birth_year", *COLUMNS[3:], "postcode")]
         for r in rows],
    )  # fmt: skip
    return con


def _null_level(column: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The comparison's null level, as ``model`` defines it."""
    if column == "dob":
        return (a["dob"] is None or b["dob"] is None) and (
            a["birth_year"] is None or b["birth_year"] is None
        )
    if column in ("address", "postcode"):
        return (a["address"] is None or b["address"] is None) and (
            a["postcode"] is None or b["postcode"] is None
        )
    return a[column] is None or b[column] is None


def _exact(con: Any, column: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    if column == "postcode":  # the same postcode, the addresses not alike (an earlier level)
        if a["postcode"] is None or a["postcode"] != b["postcode"]:
            return False
        if a["address"] is None or b["address"] is None:
            return True
        similarity = con.execute(
            "select jaro_winkler_similarity(?, ?)", [a["address"], b["address"]]
        ).fetchall()[0][0]
        return bool(similarity < models.ADDRESS_ALIKE)
    if column == "address":
        same_postcode = a["postcode"] is None or b["postcode"] is None
        same_postcode = same_postcode or a["postcode"] == b["postcode"]
        return a["address"] is not None and a["address"] == b["address"] and same_postcode
    return a[column] is not None and a[column] == b[column]


@pytest.mark.parametrize("column", LEVELS)
def test_counts_equal_a_count_over_every_pair(column: str) -> None:
    rows = _table(seed=7)
    con = _con(rows)
    agreeing, _ = con.execute(models.agreeing_pairs_sql("t", column)).fetchall()[0]
    counts = con.execute(models.comparable_pairs_sql("t", column)).fetchall()[0]
    comparable = models.comparable_pairs(column, counts)
    pairs = [(a, b) for a, b in itertools.combinations(rows, 2) if not _null_level(column, a, b)]
    assert comparable == len(pairs)
    assert agreeing == sum(1 for a, b in pairs if _exact(con, column, a, b))


def test_u_takes_out_true_matches_and_never_falls_below_one_over_the_values() -> None:
    # 1,000 comparable pairs, 10 agreeing, 50 values: share 0.01
    assert models.frequency_u(10, 1000, 50, prior=0.0, m=0.9) == pytest.approx(0.02)
    assert models.frequency_u(10, 1000, 500, prior=0.0, m=0.9) == pytest.approx(0.01)
    # a prior of 0.005 with m 0.9 explains 0.0045 of the 0.01 share
    u = models.frequency_u(10, 1000, 10_000, prior=0.005, m=0.9)
    assert u == pytest.approx((0.01 - 0.0045) / 0.995)
    # all agreement explained by true matches: the floor, not zero or a negative
    assert models.frequency_u(10, 1000, 400, prior=0.02, m=0.9) == pytest.approx(1 / 400)
    with pytest.raises(ValueError, match="no comparable pairs"):
        models.frequency_u(0, 0, 0, prior=0.0, m=0.5)


def _exact_u(model_json: dict[str, Any]) -> dict[str, float]:
    """u of each ``FREQUENCY_U_LEVELS`` level, by its column ("postcode": the address's)."""
    wanted = {
        ("address" if column == "postcode" else column, label): column
        for column, label in models.FREQUENCY_U_LEVELS.items()
    }
    return {
        wanted[(c["output_column_name"], level.get("label_for_charts"))]: level["u_probability"]
        for c in model_json["comparisons"]
        for level in c["comparison_levels"]
        if (c["output_column_name"], level.get("label_for_charts")) in wanted
        and level.get("u_probability") is not None
    }


def test_u_of_the_exact_levels_does_not_depend_on_the_u_sample_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safeguard.adapters.linkage.engine import LinkingSession
    from safeguard.adapters.linkage.features import raw_from_records
    from tests.linkage_data import make_households

    rows = make_households(150, seed=5).rows
    trained = []
    for seed in (1, 2):
        monkeypatch.setattr(models, "U_SEED", seed)
        with LinkingSession() as session:
            session.load(raw_from_records(rows), today=TODAY)
            trained.append(_exact_u(session.train(max_pairs=2e3)))
    # the households carry no PNC ids: that level keeps no u
    assert set(trained[0]) == set(models.FREQUENCY_U_LEVELS) - {"pnc_id"}
    # EM's m moves the small discount a little; the sample's luck no longer decides u
    for column, u in trained[0].items():
        assert trained[1][column] == pytest.approx(u, rel=0.05), column
