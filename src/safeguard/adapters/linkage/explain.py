"""Why two mentions are, or are not, one person: Splink's waterfall and the guards that apply.

The pair is scored with the saved model by Splink's own ``linker.inference.score_pair`` and
broken down into each comparison's level and match weight by Splink's waterfall data
(``records_to_waterfall_data``, the data behind ``linker.visualisations.waterfall_chart``), with
the sensitive values left out: only field names, level labels and weights come back. The guards
are the same SQL the clustering applies (``guards``), run over the mentions of both people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker
from splink.internals.waterfall_chart import records_to_waterfall_data

from safeguard.adapters.linkage import frequencies
from safeguard.adapters.linkage.features import FEATURE_COLUMNS, build_features
from safeguard.adapters.linkage.guards import (
    EVENTS,
    HARD_NEGATIVE_BELOW,
    component_guard_pairs,
    guards_between,
)
from safeguard.adapters.linkage.model import splink_model

FEATURES = "why_features"


@dataclass(frozen=True, slots=True)
class FieldWeight:
    """One comparison of the model for the pair: its level and what it adds (log2 odds)."""

    field: str
    level: str
    match_weight: float
    m_probability: float | None
    u_probability: float | None


@dataclass(frozen=True, slots=True)
class Explanation:
    prior_weight: float | None
    match_weight: float | None
    match_probability: float | None
    fields: list[FieldWeight]
    guards: list[str]
    unlinkable: dict[int, str]


COMMON_NAME = "a common name"  # the level shown for a name's frequency adjustment


def _field(waterfall_row: dict[str, Any]) -> str:
    """The field of a waterfall row; Splink's ``tf_forename`` row is "forename frequency"."""
    name = str(waterfall_row["column_name"])
    if waterfall_row.get("term_frequency_adjustment") and name.startswith("tf_"):
        return f"{name[3:]} frequency"
    return name


def _score(con: Any, model_json: dict[str, Any], left: int, right: int) -> list[dict[str, Any]]:
    settings = splink_model(model_json) | {
        "retain_intermediate_calculation_columns": True,
        "retain_matching_columns": True,
    }
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register(FEATURES), settings, log_level=None)
    frequencies.use_saved(linker, model_json)  # the names' frequencies saved with the model
    columns = ", ".join(FEATURE_COLUMNS)
    rows = con.execute(
        f"select {columns} from {FEATURES} where unique_id in (?, ?) order by unique_id = ?",
        [left, right, right],
    ).fetchall()
    record_l, record_r = (dict(zip(FEATURE_COLUMNS, r, strict=True)) for r in rows)
    scored = linker.inference.score_pair(record_l, record_r).as_record_list()
    return list(records_to_waterfall_data(scored, linker._settings_obj, True))  # type: ignore[no-untyped-call]


def explain_pair(
    raw: pa.Table,
    left: int,
    right: int,
    *,
    model_json: dict[str, Any] | None,
    mention_events: pa.Table,
    today: date,
    sibling_guard: bool = True,
    dob_guard: bool = True,
) -> Explanation:
    """Explain the pair ``left``, ``right`` among ``raw`` (``features.RAW_SCHEMA``: the two
    mentions and the other mentions of their people, which firm dates of birth are judged on)."""
    con = duckdb.connect()
    try:
        build_features(con, raw, table=FEATURES, today=today)
        con.register("__why_events", mention_events)
        con.execute(f"create table {EVENTS} as select * from __why_events")
        unlinkable = {
            int(i): str(r)
            for i, r in con.execute(
                f"select unique_id, unlinkable from {FEATURES} "
                "where unique_id in (?, ?) and unlinkable is not null",
                [left, right],
            ).fetchall()
        }
        ids = np.array(
            [r[0] for r in con.execute(f"select unique_id from {FEATURES}").fetchall()], np.int64
        )
        # the guards that need the people's other mentions or events, then each pair guard
        a, b, names = component_guard_pairs(
            con,
            FEATURES,
            ids,
            np.zeros(len(ids), np.int64),
            enabled={"firm_dob", "firm_forenames", "undated_namesake", "one_event"},
        )
        pair = (min(left, right), max(left, right))
        found = {g for x, y, g in zip(a.tolist(), b.tolist(), names, strict=True) if (x, y) == pair}
        found |= set(guards_between(con, FEATURES, left, right))
        if not sibling_guard:
            found.discard("siblings")
        if not dob_guard:
            found.discard("dob_apart")
        guards = sorted(found)
        if model_json is None:
            return Explanation(None, None, None, [], guards, unlinkable)
        waterfall = _score(con, model_json, left, right)
        look_alike = con.execute(
            f"select count(*) from {FEATURES} l, {FEATURES} r where l.unique_id = ? "
            "and r.unique_id = ? and l.surname = r.surname "
            "and (l.dob = r.dob or l.forename_canon = r.forename_canon)",
            [left, right],
        ).fetchall()[0][0]
    finally:
        con.close()
    fields = [
        FieldWeight(
            field=_field(w),
            level=COMMON_NAME if w.get("term_frequency_adjustment") else str(w["label_for_charts"]),
            match_weight=float(w["log2_bayes_factor"]),
            m_probability=None if w.get("m_probability") is None else float(w["m_probability"]),
            u_probability=None if w.get("u_probability") is None else float(w["u_probability"]),
        )
        for w in waterfall
        if w["column_name"] not in ("Prior", "Final score")
        # a name's frequency row only where it moved the weight (a common name, exact level)
        and not (w.get("term_frequency_adjustment") and not w["log2_bayes_factor"])
    ]
    prior = next(float(w["log2_bayes_factor"]) for w in waterfall if w["column_name"] == "Prior")
    final = next(
        float(w["log2_bayes_factor"]) for w in waterfall if w["column_name"] == "Final score"
    )
    probability = 2.0**final / (1.0 + 2.0**final)
    if look_alike and probability < HARD_NEGATIVE_BELOW:
        guards = sorted({*guards, "look_alike"})
    return Explanation(prior, final, probability, fields, guards, unlinkable)
