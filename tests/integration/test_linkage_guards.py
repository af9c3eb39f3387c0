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
