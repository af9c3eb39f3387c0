"""Bulk reads and writes of source records for ingest, inside the caller's transaction.

New records take a fast path (``executemany`` on SQLite, ``COPY`` on PostgreSQL); changed records
are updated one by one so the history trigger keeps their earlier version.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import quarantine, record_tables
from safeguard.adapters.db.types import UTCDateTime

LOOKUP_CHUNK = 900
SQLITE_CHUNK = 30_000


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
        table = record_tables[record_type]
        found: dict[str, Existing] = {}
        cols = (table.c.source_id, table.c.id, table.c.content_hash, table.c.recorded_at)
        for where in self._key_filters(table, source_system, source_ids):
            for sid, rid, digest, rec in self.conn.execute(sa.select(*cols).where(*where)):
                found[sid] = Existing(rid, digest, _aware(rec))
        return found

    def resolve(
        self, record_type: str, source_system: str, source_ids: Sequence[str]
    ) -> dict[str, int]:
        """Surrogate ids of the stored records with these source ids."""
        table = record_tables[record_type]
        ids: dict[str, int] = {}
        for where in self._key_filters(table, source_system, source_ids):
            query = sa.select(table.c.source_id, table.c.id).where(*where)
            ids.update((str(sid), int(rid)) for sid, rid in self.conn.execute(query))
        return ids

    def _key_filters(
        self, table: sa.Table, source_system: str, source_ids: Sequence[str]
    ) -> Iterable[tuple[sa.ColumnElement[bool], ...]]:
        """WHERE clauses selecting the keys: one array parameter on PostgreSQL, large IN lists
        on SQLite (whose limit on parameters is 32,766)."""
        keys = sorted(set(source_ids))
        system = table.c.source_system == source_system
        if self.dialect == "postgresql":
            yield (
                system,
                table.c.source_id == sa.func.any(sa.literal(keys, postgresql.ARRAY(sa.String))),
            )
            return
        for chunk in _chunks(keys, SQLITE_CHUNK):
            yield system, table.c.source_id.in_(chunk)

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

    def insert_new(self, record_type: str, columns: dict[str, pa.Array]) -> None:
        """Insert rows known to be new; ``columns`` are storage column names, text dates."""
        if not columns or len(next(iter(columns.values()))) == 0:
            return
        table = record_tables[record_type]
        names = list(columns)
        if self.dialect == "postgresql":
            buf = io.BytesIO()
            pacsv.write_csv(
                pa.table(columns), buf, write_options=pacsv.WriteOptions(include_header=False)
            )
            raw = self.conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy,
            ):
                copy.write(buf.getvalue())
            return
        rows = list(zip(*(columns[n].to_pylist() for n in names), strict=True))
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        self.conn.exec_driver_sql(sql, rows)

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
        if not entries:
            return
        insert = (
            postgresql.insert(quarantine)
            if self.dialect == "postgresql"
            else sqlite.insert(quarantine)
        )
        self.conn.execute(insert.on_conflict_do_nothing(), entries)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


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
