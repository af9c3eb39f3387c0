""" "A generation apart" has one definition (the domain's), used by the model, guards and Spark."""

from __future__ import annotations

from safeguard.adapters.linkage import model
from safeguard.adapters.linkage.engine import hard_negative_sql
from safeguard.adapters.linkage.guards import pair_guard_sql
from safeguard.domain.linking import GENERATION_GAP_YEARS

APART = f"abs(birth_year_l - birth_year_r) >= {GENERATION_GAP_YEARS}"


def _generation_level_sql() -> str:
    settings = model.domain_settings().get_settings("duckdb").as_dict()
    levels = [
        level
        for comparison in settings["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("label_for_charts") == model.GENERATION_LABEL
    ]
    assert len(levels) == 1
    return str(levels[0]["sql_condition"])


def test_the_model_level_uses_the_domain_gap() -> None:
    assert APART in _generation_level_sql()


def test_the_guard_and_the_spark_hard_negatives_use_the_domain_gap() -> None:
    (name, sql), *_ = pair_guard_sql("l", "r", enabled=["generation"])
    assert name == "generation"
    assert f"abs(l.birth_year - r.birth_year) >= {GENERATION_GAP_YEARS}" in sql
    assert f"abs(l.birth_year - r.birth_year) >= {GENERATION_GAP_YEARS}" in hard_negative_sql(
        "p", "l", "r"
    )


def test_the_anchor_measure_of_the_level_uses_the_domain_gap() -> None:
    sql = model.generation_share_sql("t", "pnc_id", 10)
    assert f"abs(l.birth_year - r.birth_year) >= {GENERATION_GAP_YEARS}" in sql
    assert GENERATION_GAP_YEARS == 14  # the value docs/linking.md and the guards state
