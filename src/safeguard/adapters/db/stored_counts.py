"""What is stored, counted for ``safeguard status``: records by type, earlier versions kept,
quarantined rows and flagged fields. Whole-table counts; no record is read."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import (
    data_quality_flags,
    quarantine,
    record_history,
    record_tables,
)


@dataclass(frozen=True, slots=True)
class StoredCounts:
    records: dict[str, int]  # by record type, in the order of ``record_tables``
    history: int
    quarantined: int
    flagged: int


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def stored_counts(conn: Connection) -> StoredCounts:
    """Every count ``safeguard status`` shows, on the caller's connection."""
    return StoredCounts(
        records={rtype: _count(conn, tbl) for rtype, tbl in record_tables.items()},
        history=_count(conn, record_history),
        quarantined=_count(conn, quarantine),
        flagged=_count(conn, data_quality_flags),
    )
