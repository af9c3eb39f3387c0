"""Reads of the quarantine (rows not stored) and of data-quality flags (fields stored as null),
for ``safeguard quarantine list`` and ``export``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import data_quality_flags, quarantine


@dataclass(frozen=True, slots=True)
class QuarantinedRow:
    """A row not stored: where it was in its file, which field failed and why, and the row."""

    id: int
    run_id: int
    file_path: str
    file_sha256: str
    row_number: int
    field: str
    record_type: str | None
    source_system: str | None
    source_id: str | None
    reason: str
    raw: str | None
    quarantined_at: datetime


@dataclass(frozen=True, slots=True)
class FlaggedField:
    """A field stored as null with the rest of its record: the value the file had and why."""

    id: int
    run_id: int
    file_path: str
    file_sha256: str
    row_number: int
    record_type: str
    source_system: str
    source_id: str
    field: str
    value: str | None
    reason: str
    flagged_at: datetime


def _quarantined(row: Any) -> QuarantinedRow:
    return QuarantinedRow(**row._mapping)


def quarantined(
    conn: Connection, *, run: int | None = None, limit: int | None = None
) -> Iterator[QuarantinedRow]:
    """Quarantined rows in the order they were quarantined, of one ingest run or all; streamed."""
    stmt = sa.select(quarantine).order_by(quarantine.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    if run is not None:
        stmt = stmt.where(quarantine.c.run_id == run)
    for row in conn.execute(stmt):
        yield _quarantined(row)


def flagged_fields(
    conn: Connection, *, run: int | None = None, limit: int | None = None
) -> list[FlaggedField]:
    """Flagged fields in the order they were flagged, of one ingest run or all."""
    stmt = sa.select(data_quality_flags).order_by(data_quality_flags.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    if run is not None:
        stmt = stmt.where(data_quality_flags.c.run_id == run)
    return [FlaggedField(**row._mapping) for row in conn.execute(stmt)]
