"""Reading many rows fast: SQL compiled once per dialect, run straight through the DB-API
cursor of the caller's connection, values converted by hand. For the history repository and the
board's reads, where SQLAlchemy's per-value processing costs more than the reads themselves."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

CHUNK = 900
RAW_CHUNK = 5000


def chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def where_in(column: sa.ColumnElement[Any], ids: Sequence[int] | None) -> Iterator[Any]:
    """Yield WHERE clauses: everything once, or the ids chunk by chunk."""
    if ids is None:
        yield sa.true()
        return
    for chunk in chunks(ids):
        yield column.in_(chunk)


def answers_of(value: Any) -> dict[str, object]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


_SQL: dict[tuple[str, str], str] = {}


def base_sql(conn: Connection, stmt: sa.Select[Any], name: str) -> str:
    """The SQL text of a select with no bound parameters, for :func:`raw_rows`; compiled once
    per dialect and ``name`` (compiling costs more than a one-person read)."""
    key = (conn.dialect.name, name)
    sql = _SQL.get(key)
    if sql is None:
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        sql = _SQL[key] = str(compiled)
    return sql


def column_name(column: sa.ColumnElement[Any]) -> str:
    table = getattr(column, "table", None)
    return f"{table.name}.{column.name}" if table is not None else str(column.name)


def raw_rows(
    conn: Connection, sql: str, column: str, ids: Sequence[int] | None
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (no WHERE clause yet) for everything, or ``column IN ids`` chunk by chunk.

    Straight through the DB-API cursor of the caller's connection (same transaction): per-value
    type processing and row objects in SQLAlchemy cost more than the reads themselves on a full
    run. Values come back as the driver gives them; callers convert timestamps with
    :func:`as_utc`, dates with :func:`as_date` and booleans with :func:`as_bool`. The ids are
    integers rendered literally (never text from outside).
    """
    cursor = conn.connection.cursor()
    try:
        if ids is None:
            cursor.execute(sql)
            yield from cursor.fetchall()
            return
        for i in range(0, len(ids), RAW_CHUNK):
            listed = ", ".join(str(int(v)) for v in ids[i : i + RAW_CHUNK])
            cursor.execute(f"{sql} WHERE {column} IN ({listed})")
            yield from cursor.fetchall()
    finally:
        cursor.close()


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)
