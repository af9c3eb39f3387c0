"""Storing the rules engine's answer: findings and procedure checks written idempotently.

``prepare`` flattens evaluations into rows (in a worker process); ``sync_prepared`` writes one
batch of people in the caller's transaction: new findings inserted, changed ones updated, ones
the engine no longer raises closed by rule, and each person's procedure checks replaced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.findings import ACTIVE, CHUNK, RAW_CHUNK, findings, procedure_checks
from safeguard.adapters.db.types import UTCDateTime, as_utc
from safeguard.rules.findings import Evaluation, Finding, FindingStatus, ProcedureCheck


@dataclass(frozen=True, slots=True)
class SyncCounts:
    new: int = 0
    changed: int = 0
    closed: int = 0

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(
            self.new + other.new, self.changed + other.changed, self.closed + other.closed
        )


def _sqlite_datetime(value: datetime | None) -> str | None:
    # The text form SQLAlchemy's SQLite DateTime stores (naive UTC), so reads are unchanged.
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


FINDING_COLUMNS = (
    "finding_key", "rule_id", "rule_version", "instrument_id", "instrument_version",
    "person_key", "person_id", "event_id", "category", "kind", "severity", "due_at", "done_at",
    "explanation", "facts", "area", "team", "content_hash", "first_found_at", "last_changed_at",
)  # fmt: skip
"""The columns of a prepared finding row (``status`` is added when it is written)."""

CHECK_COLUMNS = (
    "check_key", "rule_id", "rule_version", "person_key", "person_id", "event_id", "area", "team",
    "trigger_at", "due_at", "done_at", "on_time", "evaluated_at",
)  # fmt: skip


def bulk_insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows given as dicts (see :func:`bulk_insert_tuples`)."""
    if not rows:
        return
    columns = tuple(rows[0])
    bulk_insert_tuples(conn, table, columns, [tuple(r[c] for c in columns) for r in rows])


def bulk_insert_tuples(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows (tuples in ``columns`` order); on SQLite straight through the driver
    (per-value type processing in SQLAlchemy was most of the cost of a full run), elsewhere
    through SQLAlchemy."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
        return
    stamps = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
    flags = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, sa.Boolean)]
    cache: dict[datetime, str | None] = {}
    values: list[tuple[Any, ...]] = []
    for row in rows:
        converted = list(row)
        for i in stamps:
            stamp = row[i]
            if stamp is not None:
                text = cache.get(stamp)
                if text is None:
                    text = cache[stamp] = _sqlite_datetime(stamp)
                converted[i] = text
        for i in flags:
            if row[i] is not None:
                converted[i] = int(row[i])
        values.append(tuple(converted))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    conn.exec_driver_sql(sql, values)


def _digest(f: Finding) -> str:
    # repr is deterministic for these values (str, int, bool, None, datetime, dicts and lists
    # built in a fixed order by the rules), and much cheaper than JSON for 10^5 findings.
    body = repr(
        (
            f.rule_version,
            f.instrument_id,
            f.instrument_version,
            f.event_id,
            f.category,
            f.kind,
            f.severity,
            f.due_at,
            f.done_at,
            f.satisfied,
            f.explanation,
            sorted(f.facts.items()),
            f.area,
            f.team,
        )
    )
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


def _person_id(key: str) -> int | None:
    return int(key[1:]) if key.startswith("P") else None


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


@dataclass(frozen=True, slots=True)
class PreparedFinding:
    key: str
    digest: str
    satisfied: bool
    row: tuple[Any, ...]
    """Values in :data:`FINDING_COLUMNS` order."""


@dataclass(frozen=True, slots=True)
class PreparedCheck:
    key: str
    rule_version: str
    due_at: datetime
    done_at: datetime | None
    row: tuple[Any, ...]
    """Values in :data:`CHECK_COLUMNS` order."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """The engine's answer for a batch of people as rows ready to store: plain values only, so
    it is cheap to build in a worker process and send to the one that writes."""

    person_keys: tuple[str, ...]
    findings: tuple[PreparedFinding, ...]
    checks: tuple[PreparedCheck, ...]


def prepare(evaluations: Sequence[Evaluation], now: datetime) -> Prepared:
    """Digest and flatten evaluations into rows (pure: no database)."""
    found: list[PreparedFinding] = []
    checks: list[PreparedCheck] = []
    for evaluation in evaluations:
        for f in evaluation.findings:
            digest = _digest(f)
            found.append(PreparedFinding(f.key, digest, f.satisfied, _finding_row(f, digest, now)))
        for c in evaluation.checks:
            checks.append(
                PreparedCheck(c.key, c.rule_version, c.due_at, c.done_at, _check_row(c, now))
            )
    return Prepared(tuple(sorted({e.person_key for e in evaluations})), tuple(found), tuple(checks))


def _quoted_keys(keys: Sequence[str]) -> str:
    for k in keys:
        if not (k[:1] in ("P", "M") and k[1:].isdigit()):
            raise ValueError(f"not a person key: {k!r}")
    return ", ".join(f"'{k}'" for k in keys)


def _rows_by_person(conn: Connection, sql: str, keys: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    # Through the DB-API cursor (same transaction): no per-value type processing. Person keys
    # are checked to be P<digits> or M<digits> before they are written into the SQL.
    cursor = conn.connection.cursor()
    try:
        for i in range(0, len(keys), RAW_CHUNK):
            cursor.execute(f"{sql} WHERE person_key IN ({_quoted_keys(keys[i : i + RAW_CHUNK])})")
            yield from cursor.fetchall()
    finally:
        cursor.close()


def sync_evaluations(
    conn: Connection, evaluations: Sequence[Evaluation], now: datetime
) -> SyncCounts:
    """Store the engine's answer for these people, idempotently, in the caller's transaction.

    New findings are inserted ``open`` (or ``closed_by_rule`` when the procedure was done late);
    changed ones are updated in place; active findings the engine no longer raises become
    ``closed_by_rule``. Acknowledgements and resolutions are kept. Procedure checks are replaced
    when they changed, and left alone when they did not.
    """
    return sync_prepared(conn, prepare(evaluations, now), now)


def sync_prepared(conn: Connection, prepared: Prepared, now: datetime) -> SyncCounts:
    """:func:`sync_evaluations` for evaluations already :func:`prepare`-d."""
    keys = list(prepared.person_keys)
    existing: dict[str, tuple[int, str, str]] = {}
    for fid, fkey, status, digest in _rows_by_person(
        conn, "SELECT id, finding_key, status, content_hash FROM findings", keys
    ):
        existing[fkey] = (fid, status, digest)
    new_rows: list[tuple[Any, ...]] = []
    changed, closed = 0, 0
    produced: set[str] = set()
    closed_status, open_status = FindingStatus.CLOSED_BY_RULE.value, FindingStatus.OPEN.value
    for f in prepared.findings:
        produced.add(f.key)
        target = closed_status if f.satisfied else None
        stored = existing.get(f.key)
        if stored is None:
            new_rows.append((*f.row, target or open_status))
            continue
        stored_id, stored_status, stored_digest = stored
        values: dict[str, Any] = {}
        if stored_digest != f.digest:
            values.update(zip(FINDING_COLUMNS, f.row, strict=True))
            del values["first_found_at"], values["finding_key"]
        if target and stored_status in ACTIVE:
            values["status"] = target
        elif not target and stored_status == closed_status:
            values["status"] = open_status
        if values:
            values["last_changed_at"] = now
            conn.execute(sa.update(findings).where(findings.c.id == stored_id).values(**values))
            changed += 1
    gone = [v[0] for k, v in existing.items() if k not in produced and v[1] in ACTIVE]
    for i in range(0, len(gone), CHUNK):
        conn.execute(
            sa.update(findings)
            .where(findings.c.id.in_(gone[i : i + CHUNK]))
            .values(status=closed_status, last_changed_at=now)
        )
    closed += len(gone)
    bulk_insert_tuples(conn, findings, (*FINDING_COLUMNS, "status"), new_rows)
    _sync_checks(conn, prepared, keys)
    return SyncCounts(new=len(new_rows), changed=changed, closed=closed)


def _finding_row(f: Finding, digest: str, now: datetime) -> tuple[Any, ...]:
    return (
        f.key,
        f.rule_id,
        f.rule_version,
        f.instrument_id,
        f.instrument_version,
        f.person_key,
        _person_id(f.person_key),
        f.event_id,
        f.category,
        f.kind,
        f.severity,
        f.due_at,
        f.done_at,
        f.explanation,
        json.dumps(dict(f.facts), sort_keys=True, default=str),
        f.area,
        f.team,
        digest,
        now,
        now,
    )


def _check_row(c: ProcedureCheck, now: datetime) -> tuple[Any, ...]:
    return (
        c.key,
        c.rule_id,
        c.rule_version,
        c.person_key,
        _person_id(c.person_key),
        c.event_id,
        c.area,
        c.team,
        c.trigger_at,
        c.due_at,
        c.done_at,
        c.on_time,
        now,
    )


def _sync_checks(conn: Connection, prepared: Prepared, keys: Sequence[str]) -> None:
    old: dict[str, tuple[int, str, datetime | None, datetime | None]] = {}
    for cid, ckey, version, due, done in _rows_by_person(
        conn, "SELECT id, check_key, rule_version, due_at, done_at FROM procedure_checks", keys
    ):
        old[ckey] = (cid, version, as_utc(due), as_utc(done))
    fresh = {c.key: c for c in prepared.checks}
    stale = [v[0] for k, v in old.items() if k not in fresh]
    keep: set[str] = set()
    for k, c in fresh.items():
        row = old.get(k)
        if row is None:
            continue
        if row[1:] != (c.rule_version, c.due_at, c.done_at):
            stale.append(row[0])
        else:
            keep.add(k)
    for i in range(0, len(stale), CHUNK):
        conn.execute(
            sa.delete(procedure_checks).where(procedure_checks.c.id.in_(stale[i : i + CHUNK]))
        )
    rows = [c.row for k, c in fresh.items() if k not in keep]
    bulk_insert_tuples(conn, procedure_checks, CHECK_COLUMNS, rows)


def close_people_not_in(conn: Connection, person_keys: set[str], now: datetime) -> int:
    """After a full run: close active findings and drop checks of people no longer present."""
    cursor = conn.connection.cursor()
    try:  # plain reads through the driver: two columns of every finding and check
        active = ", ".join(f"'{s}'" for s in ACTIVE)
        cursor.execute(f"SELECT id, person_key FROM findings WHERE status IN ({active})")
        gone = [fid for fid, key in cursor.fetchall() if key not in person_keys]
        cursor.execute("SELECT id, person_key FROM procedure_checks")
        stale = [cid for cid, key in cursor.fetchall() if key not in person_keys]
    finally:
        cursor.close()
    for i in range(0, len(gone), CHUNK):
        conn.execute(
            sa.update(findings)
            .where(findings.c.id.in_(gone[i : i + CHUNK]))
            .values(status=FindingStatus.CLOSED_BY_RULE.value, last_changed_at=now)
        )
    for i in range(0, len(stale), CHUNK):
        conn.execute(
            sa.delete(procedure_checks).where(procedure_checks.c.id.in_(stale[i : i + CHUNK]))
        )
    return len(gone)
