"""Bulk reads and writes of source records for ingest, inside the caller's transaction.

New records take a fast path (``executemany`` on SQLite, ``COPY`` on PostgreSQL); changed records
are updated one by one so the history trigger keeps their earlier version.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from safeguard.adapters.db.tables import data_quality_flags, quarantine, record_tables
from safeguard.adapters.db.types import UTCDateTime, as_utc

LOOKUP_CHUNK = 900
SQLITE_CHUNK = 30_000


class KeyConflict(Exception):
    """A record assumed new was stored meanwhile by another writer (unique key violated)."""


# What a batch that assumed its keys new may raise when another writer stored some of them
# meanwhile: the bulk path's own error, or the driver's unique violation surfacing through
# SQLAlchemy (on an insert or at commit). The caller redoes the batch with key lookups.
KEY_CONFLICTS: tuple[type[Exception], ...] = (IntegrityError, KeyConflict)


@dataclass(frozen=True, slots=True)
class Existing:
    id: int
    content_hash: str
    recorded_at: datetime | None


def _chunks(values: Sequence[str], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class RecordStore:
    """Source-record storage operations on one connection (one transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def existing(
        self, record_type: str, source_system: str, source_ids: Sequence[str]
    ) -> dict[str, Existing]:
        """Stored (id, content hash, recorded_at) of those of ``source_ids`` already stored."""
        rows = self._by_keys(
            record_type, source_system, source_ids, "source_id, id, content_hash, recorded_at"
        )
        return {str(sid): Existing(int(rid), digest, as_utc(rec)) for sid, rid, digest, rec in rows}

    def any_stored(self, record_type: str, source_system: str) -> bool:
        """Whether any record of this type from this source system is stored."""
        table = record_tables[record_type]
        query = sa.select(table.c.id).where(table.c.source_system == source_system).limit(1)
        return self.conn.execute(query).first() is not None

    def resolve(
        self, record_type: str, source_system: str, source_ids: Sequence[str]
    ) -> dict[str, int]:
        """Surrogate ids of the stored records with these source ids."""
        rows = self._by_keys(record_type, source_system, source_ids, "source_id, id")
        return {str(sid): int(rid) for sid, rid in rows}

    def _by_keys(
        self, record_type: str, source_system: str, source_ids: Sequence[str], columns: str
    ) -> list[tuple[Any, ...]]:
        """Rows selected by key, in as few round trips as the database allows: one array
        parameter on PostgreSQL, IN lists of up to 30,000 on SQLite (its limit is 32,766).
        Plain driver SQL: compiling huge IN lists through SQLAlchemy costs more than the query."""
        table = record_tables[record_type].name
        keys = sorted(set(source_ids))
        if not keys:
            return []
        if self.dialect == "postgresql":
            sql = f"SELECT {columns} FROM {table} WHERE source_system = %s AND source_id = ANY(%s)"
            return [tuple(r) for r in self.conn.exec_driver_sql(sql, (source_system, keys))]
        out: list[tuple[Any, ...]] = []
        for chunk in _chunks(keys, SQLITE_CHUNK):
            sql = (
                f"SELECT {columns} FROM {table} WHERE source_system = ? "
                f"AND source_id IN ({','.join('?' * len(chunk))})"
            )
            out += [tuple(r) for r in self.conn.exec_driver_sql(sql, (source_system, *chunk))]
        return out

    def values_by_id(self, record_type: str, column: str, ids: Iterable[int]) -> dict[int, Any]:
        table = record_tables[record_type]
        out: dict[int, Any] = {}
        unique = sorted(set(ids))
        for i in range(0, len(unique), LOOKUP_CHUNK):
            chunk = unique[i : i + LOOKUP_CHUNK]
            rows = self.conn.execute(
                sa.select(table.c.id, table.c[column]).where(table.c.id.in_(chunk))
            ).all()
            out.update((int(rid), value) for rid, value in rows)
        return out

    def insert_new(
        self, record_type: str, columns: dict[str, pa.Array], constants: dict[str, str | int]
    ) -> None:
        """Insert rows known to be new.

        Args:
            record_type: which table.
            columns: per-row values by storage column name (dates as text).
            constants: values shared by every row (version, ingest time), generated by safeguard
                itself, never taken from input.
        """
        if not columns or len(next(iter(columns.values()))) == 0:
            return
        try:
            self._insert_new(record_type, columns, constants)
        except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation) as exc:
            raise KeyConflict(record_type) from exc

    def _insert_new(
        self, record_type: str, columns: dict[str, pa.Array], constants: dict[str, str | int]
    ) -> None:
        table = record_tables[record_type]
        n = len(next(iter(columns.values())))
        if self.dialect == "postgresql":
            full = dict(columns)
            for name, value in constants.items():
                full[name] = pa.array([value] * n)
            buf = io.BytesIO()
            pacsv.write_csv(
                pa.table(full), buf, write_options=pacsv.WriteOptions(include_header=False)
            )
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {table.name} ({', '.join(full)}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(buf.getvalue())
            return
        names = list(columns)
        literals = [_sql_literal(v) for v in constants.values()]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names + list(constants))}) "
            f"VALUES ({', '.join(['?'] * len(names) + literals)})"
        )
        raw_sqlite = self.conn.connection.driver_connection
        assert raw_sqlite is not None
        # A lazy iterator: rows are built as SQLite consumes them, never all held at once.
        raw_sqlite.executemany(sql, zip(*(columns[c].to_pylist() for c in names), strict=True))

    def update_changed(self, record_type: str, rows: list[dict[str, Any]]) -> None:
        """Replace changed records by id; the database trigger keeps each earlier version."""
        if not rows:
            return
        table = record_tables[record_type]
        names = [n for n in rows[0] if n not in ("id",)]
        stmt = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("_id"))
            .values(
                {n: sa.bindparam(f"_{n}") for n in names if n != "version"}
                | {"version": table.c.version + 1}
            )
        )
        params = []
        for row in rows:
            p = {f"_{n}": _typed(table.c[n].type, row[n]) for n in names if n != "version"}
            p["_id"] = row["id"]
            params.append(p)
        self.conn.execute(stmt, params)

    def quarantine(self, entries: list[dict[str, Any]]) -> None:
        """Store quarantine entries (a repeat of one already stored is ignored). A NUL byte in
        what is kept of a bad row is shown as ``\\x00``: no text column may hold one."""
        if not entries:
            return
        entries = [_visible_nul(e) for e in entries]
        _insert_ignoring_repeats(self.conn, quarantine, entries)

    def flag_fields(self, flags: list[dict[str, Any]]) -> None:
        """Store data-quality flags (a repeat of one already stored is ignored)."""
        if flags:
            _insert_ignoring_repeats(
                self.conn, data_quality_flags, [_visible_nul(f) for f in flags]
            )


def _insert_ignoring_repeats(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    conn.execute(insert.on_conflict_do_nothing(), rows)


def _visible_nul(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.replace("\x00", "\\x00") if isinstance(v, str) and "\x00" in v else v
        for k, v in entry.items()
    }


def _sql_literal(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    if not all(ch.isdigit() or ch in "-: ." for ch in value):
        raise ValueError(f"not a safe constant: {value!r}")
    return f"'{value}'"


def _typed(column_type: sa.types.TypeEngine[Any], value: Any) -> Any:
    """Text from the validator back into Python values for a Core UPDATE."""
    if value is None:
        return None
    if isinstance(column_type, UTCDateTime) and isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    if isinstance(column_type, sa.Date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(column_type, sa.JSON) and isinstance(value, str):
        return json.loads(value)
    return value
