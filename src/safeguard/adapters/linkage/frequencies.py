"""Frequency-adjusted names: a common forename or surname says less than a rare one.

The exact levels of the forename and surname comparisons carry Splink's term frequency
adjustments: two mentions agreeing on a name weigh ``log2(m / u_name)`` instead of
``log2(m / u)``, where u is the level's average chance agreement and ``u_name`` the share of
people (not records) with that name. The adjustment only lowers a weight: Splink's
``tf_minimum_u_value`` is set to the level's own u, so a name rarer than the average keeps the
average weight. Namesakes (two people of one common name in one naming tradition) are what the
adjustment is for; raising rare names would add weight to a household's shared rare surname,
which twins and siblings carry (docs/benchmarks.md, "diverse14").

The frequencies are counted once, at training, and saved with the model (``TF_KEY``): only
names more common than the level's u (the names whose weight is lowered; every other name is
scored as if it had no entry), so the saved model holds a few hundred common names and no rare,
identifying one. Every later scoring reads them from the saved model, never from the data in
hand: a saved-model re-link, a nightly delta (Splink's ``predict_between`` refuses to run
without registered tables) and ``link_one`` (``realtime``, the frequencies put on the records as
``tf_<name>`` columns, as Splink's ``compare_records`` expects) score a pair as the batch did.

People, not records: a person recorded 60 times under a rare name would make the name look
common and lower the weight of his own records. The frequency is counted over distinct
(forename, surname, date of birth) triples, a proxy for people that needs no linking.
"""

from __future__ import annotations

import itertools
from typing import Any

import pyarrow as pa
from splink import Linker

TF_KEY = "safeguard_term_frequencies"  # safeguard's own part of a saved model
TF_COLUMNS = ("forename", "surname")  # each is the column of its comparison's exact level
PERSON = ("forename", "surname", "dob")  # what counts as one person for a name's frequency
_registered = itertools.count(1)  # table names must differ between registrations


def tf_name(column: str) -> str:
    """Splink's name for a column's term frequency (``tf_forename``)."""
    return f"tf_{column}"


def term_frequency_sql(table: str, column: str) -> str:
    """(value, share of people with it) of ``column`` over ``table`` (DuckDB and Spark SQL)."""
    keys = ", ".join(PERSON)
    return (
        f"with p as (select distinct {keys} from {table} where {column} is not null) "
        f"select {column}, cast(count(*) as double) / (select count(*) from p) "
        f"as {tf_name(column)} from p group by {column}"
    )


def count(linker: Linker, table: str) -> dict[str, dict[str, float]]:
    """Every name's frequency in ``table`` (one query per column), by column."""
    out: dict[str, dict[str, float]] = {}
    for column in TF_COLUMNS:
        frame = linker.misc.query_sql(term_frequency_sql(table, column), output_type="pandas")  # type: ignore[no-untyped-call]
        out[column] = {
            str(v): float(f) for v, f in zip(frame[column], frame[tf_name(column)], strict=True)
        }
    return out


def register(linker: Linker, tables: dict[str, dict[str, float]]) -> None:
    """Give the linker these frequencies (Splink's ``register_term_frequency_lookup``): every
    prediction, delta and re-link then reads them instead of counting the data in hand."""
    for column in TF_COLUMNS:
        freq = tables.get(column, {})
        arrow = pa.table(
            {
                column: pa.array(list(freq), pa.string()),
                tf_name(column): pa.array(list(freq.values()), pa.float64()),
            }
        )
        name = f"__safeguard_tf_{column}_{next(_registered)}"
        sdf = linker._db_api.register(arrow, table_name=name)
        linker.table_management.register_term_frequency_lookup(sdf, column)


def tf_levels(linker: Linker) -> dict[str, Any]:
    """The levels with a term frequency adjustment, by adjusted column."""
    return {
        level._tf_adjustment_input_column_name: level
        for comparison in linker._settings_obj.comparisons
        for level in comparison.comparison_levels
        if level._has_tf_adjustments
    }


def only_lower(linker: Linker) -> dict[str, float]:
    """Set each adjusted level's ``tf_minimum_u_value`` to its trained u, so the adjustment
    never raises a weight (after training: u is final). Returns the floors, by column."""
    floors: dict[str, float] = {}
    for column, level in tf_levels(linker).items():
        u = level.u_probability
        if isinstance(u, float) and u > 0:
            level._tf_minimum_u_value = u
            floors[column] = u
    return floors


def saved(linker: Linker) -> dict[str, Any]:
    """The model's own part to save (``TF_KEY``), read from the frequencies registered with the
    linker: the names more common than their level's floor, the only entries that change a
    weight. Empty for a linker without adjusted levels."""
    floors = {c: float(level._tf_minimum_u_value) for c, level in tf_levels(linker).items()}
    if not floors:
        return {}
    cache = linker._intermediate_table_cache
    out: dict[str, dict[str, float]] = {}
    for column in TF_COLUMNS:
        name = f"__splink__df_tf_{column}"
        if column not in floors or name not in cache:
            continue
        frame = linker.misc.query_sql(  # type: ignore[no-untyped-call]
            f"select {column}, {tf_name(column)} from {cache[name].physical_name} "
            f"where {tf_name(column)} > {floors[column]!r} order by {column}",
            output_type="pandas",
        )
        out[column] = {
            str(v): float(f) for v, f in zip(frame[column], frame[tf_name(column)], strict=True)
        }
    return {TF_KEY: out}


def of_model(model_json: dict[str, Any]) -> dict[str, dict[str, float]] | None:
    """The frequencies saved with a model; None for a model without adjustments."""
    tables = model_json.get(TF_KEY)
    if tables is None:
        return None
    return {str(c): {str(v): float(f) for v, f in t.items()} for c, t in tables.items()}


def use_saved(linker: Linker, model_json: dict[str, Any]) -> None:
    """Register a saved model's frequencies with a linker made from it (a model saved without
    them and without adjusted levels needs none)."""
    tables = of_model(model_json)
    if tables is not None:
        register(linker, tables)
    elif tf_levels(linker):
        register(linker, {})  # adjusted levels but nothing saved: every name at the average


def with_tf_columns(table: pa.Table, tables: dict[str, dict[str, float]] | None) -> pa.Table:
    """``table`` with a ``tf_<name>`` column per adjusted name (null where the name is not
    among the saved ones), as Splink's ``compare_records`` reads them (``link_one``)."""
    if tables is None:
        return table
    for column in TF_COLUMNS:
        if tf_name(column) in table.column_names:
            table = table.drop_columns([tf_name(column)])
        freq = tables.get(column, {})
        values = [None if v is None else freq.get(v) for v in table.column(column).to_pylist()]
        table = table.append_column(tf_name(column), pa.array(values, pa.float64()))
    return table
