"""The guards and prior that linking learns from the data itself (DuckDB, no database needed)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from safeguard.adapters.linkage import model as models
from safeguard.adapters.linkage.engine import LINKABLE, LinkingSession, hard_negative_sql
from safeguard.adapters.linkage.features import raw_from_records

TODAY = date(2026, 6, 1)
SURNAMES = ["walker", "hughes", "barker", "fenwick", "lowther", "graham", "nixon", "armstrong"]


def _record(i: int, forename: str, surname: str, dob: date, postcode: str) -> dict[str, Any]:
    return {
        "id": i,
        "forenames": forename,
        "surname": surname,
        "date_of_birth": dob,
        "postcode": postcode,
        "address": f"{i % 50} high street carlisle",
        "mention_date": date(2025, 1, 1),
    }


def _twins() -> list[dict[str, Any]]:
    """Households of twins: each twin recorded three times under their own forename."""
    rows: list[dict[str, Any]] = []
    for h, surname in enumerate(SURNAMES * 5):
        dob = date(1990 + h % 20, 1 + h % 12, 1 + h % 28)
        postcode = f"CA{1 + h % 9} {h % 10}AB"
        for forename in ("oliver", "harriet"):
            for _ in range(3):
                rows.append(_record(len(rows) + 1, forename, surname, dob, postcode))
    return rows


def _replaced_forenames() -> list[dict[str, Any]]:
    """One person per group, with one record of six under an unrelated forename."""
    rows: list[dict[str, Any]] = []
    others = ["montague", "percival", "augustus", "cuthbert"]
    for h, surname in enumerate(SURNAMES * 5):
        dob = date(1990 + h % 20, 1 + h % 12, 1 + h % 28)
        postcode = f"CA{1 + h % 9} {h % 10}AB"
        for k in range(6):
            forename = others[h % len(others)] if k == 2 else "oliver"
            rows.append(_record(len(rows) + 1, forename, surname, dob, postcode))
    return rows


def _guard(rows: list[dict[str, Any]], pairs: dict[str, int]) -> dict[str, Any]:
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        return models.forename_guard(
            lambda sql: tuple(session.con.execute(sql).fetchall()[0]), LINKABLE, pairs
        )


def test_twins_recorded_under_their_own_names_keep_the_sibling_guard_on():
    guard = _guard(_twins(), {})
    assert guard["anchor"] == "surname/dob/postcode"
    assert guard["forename_differ_rate"] == 0.0
    assert guard["sibling_guard"] is True


def test_forenames_replaced_between_records_of_one_person_turn_the_guard_off():
    guard = _guard(_replaced_forenames(), {})
    assert guard["forename_differ_rate"] > models.MAX_FORENAME_DIFFER_RATE
    assert guard["sibling_guard"] is False


def test_identifier_pairs_are_the_anchor_where_there_are_enough():
    rows = _replaced_forenames()
    for r in rows:
        r["pnc_id"] = f"26/{(r['id'] - 1) // 6:07d}A"  # one PNC id per person
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        pairs = {
            c: int(session.con.execute(models.identifier_pairs_sql(LINKABLE, c)).fetchall()[0][0])
            for c in models.IDENTIFIERS
        }
        guard = models.forename_guard(
            lambda sql: tuple(session.con.execute(sql).fetchall()[0]), LINKABLE, pairs
        )
    assert pairs["pnc_id"] == 40 * 15 and pairs["phone"] == 0
    assert guard["anchor"] == "pnc_id" and guard["anchor_pairs"] == 600
    # 6 records per person, 1 of them renamed: 5 of 15 pairs have clearly different forenames
    assert guard["forename_differ_rate"] == pytest.approx(5 / 15, abs=1e-4)
    assert guard["sibling_guard"] is False


def test_too_few_anchor_pairs_keep_the_guard_on():
    guard = _guard(_replaced_forenames()[:12], {})
    assert guard["anchor_pairs"] < models.MIN_IDENTIFIER_PAIRS
    assert guard["sibling_guard"] is True


def test_the_sibling_clause_is_left_out_of_hard_negatives_only_when_asked():
    rows = [
        _record(1, "oliver", "walker", date(1990, 1, 1), "CA1 1AB"),
        _record(2, "harriet", "walker", date(1990, 1, 1), "CA1 1AB"),
    ]
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        con = session.con
        con.execute(
            "create table p as select 1 as unique_id_l, 2 as unique_id_r, 0.99 as match_probability"
        )

        def negatives(guard: bool) -> int:
            where = hard_negative_sql("p", "l", "r", sibling_guard=guard)
            return int(
                con.execute(
                    "select count(*) from p join features l on l.unique_id = p.unique_id_l "
                    f"join features r on r.unique_id = p.unique_id_r where {where}"
                ).fetchall()[0][0]
            )

        assert negatives(True) == 1
        assert negatives(False) == 0


def test_saved_models_keep_their_guards_apart_from_splink():
    model = {"comparisons": [], models.GUARDS_KEY: {"sibling_guard": False}}
    assert models.splink_model(model) == {"comparisons": []}
    assert models.guards_of(model) == {"sibling_guard": False}
    # a model saved before guards were learnt keeps every guard on
    assert models.guards_of({"comparisons": []}) == {"sibling_guard": True}


def _comparison(column: str, m_exact: float | None) -> dict[str, Any]:
    levels: list[dict[str, Any]] = [{"label_for_charts": "null", "is_null_level": True}]
    levels.append({"label_for_charts": "exact", "m_probability": m_exact})
    levels.append({"label_for_charts": "All other comparisons", "m_probability": 0.1})
    return {"output_column_name": column, "comparison_levels": levels}


def test_prior_rule_recall_comes_from_the_trained_m_probabilities_and_presence():
    model = {
        "comparisons": [
            _comparison("forename", 0.9),
            _comparison("surname", 0.8),
            _comparison("dob", 0.5),
            _comparison("postcode", 0.99),  # not part of the rule
        ]
    }
    present = {"forename": 1.0, "surname": 1.0, "dob": 0.5}
    assert models.prior_rule_recall(model, present) == pytest.approx(0.9 * 0.8 * 0.5 * 0.25)
    assert models.prior_rule_recall(model, {"dob": 0.01}) == models.MIN_RECALL
    untrained = {"comparisons": [_comparison("forename", None)]}
    assert models.prior_rule_recall(untrained, present) is None


def test_training_records_the_learnt_guards_and_prior_in_the_model():
    with LinkingSession() as session:
        session.load(raw_from_records(_twins()), today=TODAY)
        model = session.train(max_pairs=1e5)
    guards = model[models.GUARDS_KEY]
    assert guards["sibling_guard"] is True
    assert guards["prior_rule_recall"] is None or (
        models.MIN_RECALL <= guards["prior_rule_recall"] <= models.MAX_RECALL
    )
    assert models.GUARDS_KEY not in models.splink_model(model)


def _generation_m(rows: list[dict[str, Any]]) -> float:
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        pairs = {
            c: int(session.con.execute(models.identifier_pairs_sql(LINKABLE, c)).fetchall()[0][0])
            for c in models.IDENTIFIERS
        }
        return models.generation_m(
            lambda sql: tuple(session.con.execute(sql).fetchall()[0]), LINKABLE, pairs
        )


def _people_with_pnc(wrong_dob_every: int | None) -> list[dict[str, Any]]:
    """40 people, 6 records each sharing one PNC id; optionally some records' dates of birth
    replaced by one 40 years away (a wholly wrong date, as some data sets have)."""
    rows = _replaced_forenames()
    for r in rows:
        person = (r["id"] - 1) // 6
        r["pnc_id"] = f"26/{person:07d}A"
        if wrong_dob_every and (r["id"] - 1) % 6 == 0 and person % wrong_dob_every == 0:
            r["date_of_birth"] = r["date_of_birth"].replace(year=r["date_of_birth"].year - 40)
    return rows


def test_generation_apart_m_is_the_domain_figure_where_anchor_pairs_never_differ_so():
    assert _generation_m(_people_with_pnc(None)) == models.GENERATION_M


def test_generation_apart_m_is_measured_on_pnc_anchor_pairs_where_they_show_it():
    # every 4th person has one record (of 6) with a wrong date: 5 of their 15 pairs
    measured = _generation_m(_people_with_pnc(4))
    assert measured == pytest.approx(10 * 5 / 600, abs=1e-4)


def test_generation_apart_m_needs_enough_anchor_pairs():
    assert _generation_m(_people_with_pnc(1)[:36]) == models.GENERATION_M


def _swap_matches(condition: str, pairs: list[tuple[str, str, str, str]]) -> list[bool]:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "create table t (forename_l varchar, surname_l varchar, forename_r varchar, "
        "surname_r varchar)"
    )
    con.executemany("insert into t values (?, ?, ?, ?)", pairs)
    return [
        bool(r[0]) for r in con.execute(f"select coalesce({condition}, false) from t").fetchall()
    ]


def test_swapped_names_with_a_typo_and_a_name_recorded_in_the_others_place():
    pairs = [
        ("chloe", "ryan", "ryna", "chloe"),  # swapped, surname mistyped
        ("isabella", "ctercteko", "ctercteko", "isabela"),  # swapped, forename mistyped
        ("james", "coleman", "howie", "james"),  # forename recorded as the surname
        ("james", "coleman", "james", "coleman"),  # the same, not swapped
        ("james", "coleman", "peter", "smith"),  # unrelated
    ]
    assert _swap_matches(models.SWAPPED_TYPO, pairs) == [True, True, False, False, False]
    assert _swap_matches(models.NAME_CROSSED, pairs) == [True, True, True, False, False]


def test_a_swap_weighs_once_and_u_keeps_out_the_true_matches():
    with LinkingSession() as session:
        session.load(raw_from_records(_people_with_pnc(None)), today=TODAY)
        model = session.train(max_pairs=1e5)
    levels = {
        (c["output_column_name"], lvl.get("label_for_charts")): lvl
        for c in model["comparisons"]
        for lvl in c["comparison_levels"]
    }
    for label in ("forename and surname swapped", "swapped, one name mistyped"):
        surname_swap = levels[("surname", label)]
        assert surname_swap["m_probability"] == surname_swap["u_probability"]  # weight 0
        assert surname_swap["fix_u_probability"] and surname_swap["fix_m_probability"]
    # 240 records of 40 people, one PNC id each: every pair sharing a PNC id is a true match
    # (the prior, 600 of 28,680 pairs), so u of "same PNC id", taken from the whole table's
    # value frequencies, falls from about 0.02 to its floor, one over the 40 distinct ids
    assert model["probability_two_random_records_match"] == pytest.approx(600 / 28_680, rel=0.05)
    assert levels[("pnc_id", "Exact match on pnc_id")]["u_probability"] == pytest.approx(1 / 40)
    # a level still sampled is discounted the same way, never below one pair in the sample
    swapped = levels[("forename", "forename and surname swapped")].get("u_probability")
    assert swapped is None or swapped >= 1e-5


def _dated(replace_dob: bool, pnc: bool) -> list[dict[str, Any]]:
    """One person per group, six records; with ``replace_dob`` one has a date five years off
    (historical records, a generator replacing whole dates). A same-named father is recorded
    twice beside each, a generation older: never counted."""
    rows: list[dict[str, Any]] = []
    for h, surname in enumerate(SURNAMES * 5):
        dob = date(1990 + h % 20, 1 + h % 12, 1 + h % 28)
        postcode = f"CA{1 + h % 9} {h % 10}AB"
        for k in range(6):
            # five years and a month off: more than a one-digit typo
            other = date(dob.year + 5, dob.month % 12 + 1, dob.day)
            own = other if replace_dob and k == 2 else dob
            if k == 4:
                own = own.replace(day=own.day % 28 + 1)  # a typo of one digit: still one date
            rows.append(_record(len(rows) + 1, "oliver", surname, own, postcode))
            if pnc:
                rows[-1]["pnc_id"] = f"26/{h:07d}A"
        for _ in range(2):
            father = dob.replace(year=dob.year - 30)
            rows.append(_record(len(rows) + 1, "oliver", surname, father, postcode))
    return rows


@pytest.mark.parametrize("pnc", [True, False])
def test_dates_of_birth_years_apart_within_one_person_turn_dob_apart_off(pnc: bool):
    def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
        with LinkingSession() as session:
            session.load(raw_from_records(rows), today=TODAY)
            pairs = {
                c: int(
                    session.con.execute(models.identifier_pairs_sql(LINKABLE, c)).fetchall()[0][0]
                )
                for c in models.IDENTIFIERS
            }
            guard = models.forename_guard(
                lambda sql: tuple(session.con.execute(sql).fetchall()[0]), LINKABLE, pairs
            )
            session.guards = guard
            return guard | {"enabled": session.enabled_guards()}

    steady, replaced = measure(_dated(False, pnc)), measure(_dated(True, pnc))
    assert steady["dob_apart_rate"] == 0.0 and steady["dob_guard"] is True
    assert "dob_apart" in steady["enabled"]
    # 1 record of 6 five years off: 5 of the 15 pairs of each person are years apart (PNC
    # anchor); on the name and postcode anchor the father's records count as pairs, never as apart
    expected = 5 / 15 if pnc else 5 / 28
    assert replaced["dob_apart_rate"] == pytest.approx(expected, abs=1e-4)
    assert replaced["dob_guard"] is False and "dob_apart" not in replaced["enabled"]
