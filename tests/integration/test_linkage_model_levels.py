"""The domain model's levels and its training corrections, on small hand-made records."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from safeguard.adapters.linkage import model
from safeguard.adapters.linkage.features import build_features, raw_from_records

TODAY = date(2026, 6, 1)


def _features(rows: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_features(con, raw_from_records(rows), table="f", today=TODAY)
    return con


def _holds(con: duckdb.DuckDBPyConnection, condition: str, a: int, b: int) -> bool:
    """The level's condition (Splink's ``x_l``/``x_r`` columns) for mentions ``a`` and ``b``."""
    sql = re.sub(r"\b([a-z_]+)_([lr])\b", r"\2.\1", condition)
    (value,) = con.execute(
        f"select coalesce({sql}, false) from f as l, f as r "
        f"where l.unique_id = {a} and r.unique_id = {b}"
    ).fetchall()[0]
    return bool(value)


def _m(i: int, forenames: str, surname: str) -> dict[str, Any]:
    return {"id": i, "forenames": forenames, "surname": surname, "date_of_birth": date(1990, 5, 6)}


def test_a_swap_with_middle_names_or_a_double_barrelled_surname_is_a_swap():
    con = _features(
        [
            _m(1, "John Michael", "Smith"),
            _m(2, "SMITH", "JOHN MICHAEL"),  # the forenames box, middle name and all, swapped
            _m(3, "Smith", "John"),  # swapped, no middle name
            _m(4, "John", "Smith-Jones"),
            _m(5, "Smith-Jones", "John"),  # a double-barrelled surname in the forenames box
            _m(6, "John", "Jones"),  # not a swap of 1
            _m(7, "Smith", "Smith"),  # one word in both boxes is no swap
        ]
    )
    for a, b in ((1, 2), (2, 1), (1, 3), (3, 1), (4, 5), (5, 4)):
        assert _holds(con, model.SWAPPED, a, b), (a, b)
    for a, b in ((1, 6), (6, 1), (1, 4), (1, 7), (7, 1)):
        assert not _holds(con, model.SWAPPED, a, b), (a, b)


def _linker() -> Linker:
    rows = [_m(i, f"Name{chr(97 + i)}", f"Sur{chr(97 + i)}") for i in range(1, 12)]
    con = _features(rows)
    api = DuckDBAPI(connection=con)
    return Linker(api.register("f"), model.domain_settings(), log_level=None)


def _level(linker: Linker, comparison: str, label: str) -> Any:
    for c in linker._settings_obj.comparisons:
        if c.output_column_name == comparison:
            for level in c.comparison_levels:
                if level._label_for_charts == label:
                    return level
    raise LookupError(label)


def test_a_level_the_u_sample_never_saw_gets_one_pair_in_the_sample():
    linker = _linker()
    swapped_typo = _level(linker, "forename", "swapped, one name mistyped")
    swapped_typo.m_probability = 0.003  # trained by EM, never seen among the random pairs
    exact = _level(linker, "forename", "exact")
    exact.m_probability, exact.u_probability = 0.8, 0.002
    done = model.floor_unobserved_u(linker, max_pairs=5e5)
    assert swapped_typo.u_probability == 1 / 5e5
    assert exact.u_probability == 0.002  # observed: left alone
    assert "forename: swapped, one name mistyped" in done
    # weightless swap levels of the surname have a fixed u: never touched
    assert _level(linker, "surname", "forename and surname swapped").u_probability == 0.5


def test_no_agreement_level_weighs_less_than_a_clear_disagreement():
    linker = _linker()
    levels = {
        "same address": (0.6, 3e-5),
        "postcode sector": (1e-9, 2e-4),  # EM saw no true match there: -17 bits
        "same postcode": (0.2, 9e-5),
        "All other comparisons": (0.2, 0.996),
    }
    for label, (m, u) in levels.items():
        level = _level(linker, "address", label)
        level.m_probability, level.u_probability = m, u
    generation = _level(linker, "dob", model.GENERATION_LABEL)
    generation.u_probability = 0.3
    dob_else = _level(linker, "dob", "All other comparisons")
    dob_else.m_probability, dob_else.u_probability = 0.02, 0.66
    raised = model.no_level_below_else(linker)
    sector = _level(linker, "address", "postcode sector")
    assert sector.m_probability / sector.u_probability == 0.2 / 0.996
    assert "address: postcode sector" in raised
    assert _level(linker, "address", "same postcode").m_probability == 0.2  # above else: kept
    # a generation apart is set from domain knowledge to weigh less than else: kept
    assert generation.m_probability == model.GENERATION_M
    assert "dob: a generation apart" not in raised


def test_an_age_exact_on_the_records_date_is_its_own_level():
    on = date(2024, 3, 10)
    con = _features(
        [
            {"id": 1, "forenames": "Amy", "surname": "Hart", "date_of_birth": date(2010, 3, 11)},
            {"id": 2, "forenames": "Amy", "surname": "Hart", "age": 13, "mention_date": on},
            {"id": 3, "forenames": "Amy", "surname": "Hart", "age": 14, "mention_date": on},
            {"id": 4, "forenames": "Amy", "surname": "Hart", "age": 12, "mention_date": on},
            {"id": 5, "forenames": "Amy", "surname": "Hart", "age": 14,
             "mention_date": date(2024, 12, 1)},
        ]
    )  # fmt: skip
    (born,) = con.execute("select [born_from, born_to] from f where unique_id = 2").fetchall()[0]
    assert born == ["2010-03-11", "2011-03-10"]  # 13 on 10 March 2024
    assert _holds(con, model.AGE_EXACT, 1, 2) and _holds(con, model.AGE_EXACT, 2, 1)
    # 14 on 10 March 2024 is one day off (her 14th birthday is the 11th): only within one
    assert not _holds(con, model.AGE_EXACT, 1, 3)
    assert _holds(con, model.AGE_AGREES, 1, 3) and not _holds(con, model.AGE_EXACT, 1, 4)
    assert _holds(con, model.AGE_EXACT, 2, 5)  # two ages, both right at their dates
    assert not _holds(con, model.AGE_EXACT, 3, 4)


def test_age_birth_dates_mirror_the_sql_on_29_february():
    from safeguard.domain.linking import age_birth_dates

    assert age_birth_dates(1, date(2024, 2, 29)) == ("2022-03-01", "2023-02-28")
    assert age_birth_dates(None, date(2024, 2, 29)) == (None, None)
    con = duckdb.connect()
    got = con.execute(
        "select strftime(DATE '2024-02-29' - to_years(2) + interval 1 day, '%Y-%m-%d'), "
        "strftime(DATE '2024-02-29' - to_years(1), '%Y-%m-%d')"
    ).fetchall()[0]
    assert got == ("2022-03-01", "2023-02-28")
