"""Storing the rules engine's answer: findings and procedure checks written idempotently.

``prepare`` flattens evaluations into rows (in a worker process); ``sync_prepared`` writes one
batch of people in the caller's transaction: new findings inserted, changed ones updated, ones
the engine no longer raises closed by rule, and each person's procedure checks replaced.

About 470 lines on purpose: preparing the rows and writing them are the two halves of one
idempotent protocol (the same keys and digests on both sides), kept together so they cannot drift.
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

from safeguard.adapters.db.findings import (
    ACTIVE,
    CHUNK,
    HISTORY_COLUMNS,
    RAW_CHUNK,
    finding_history,
    findings,
    procedure_checks,
)
from safeguard.adapters.db.types import UTCDateTime, as_utc
from safeguard.domain.access import Principal, SystemJob, recorded_as
from safeguard.rules import obligations
from safeguard.rules.findings import Evaluation, Finding, FindingStatus, ProcedureCheck

# The rules engine re-assessing after a record or a form is stored: the job its finding
# changes are recorded under when no run names another (``unit_of_work.DECLARED_JOBS``).
RULES_ENGINE = SystemJob("system:assess")


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
    conn: Connection,
    evaluations: Sequence[Evaluation],
    now: datetime,
    *,
    actor: Principal = RULES_ENGINE,
    review_version: str = "1",
) -> SyncCounts:
    """Store the engine's answer for these people, idempotently, in the caller's transaction.

    New findings are inserted ``open`` (or ``closed_by_rule`` when the procedure was done late);
    changed ones are updated in place; active findings the engine no longer raises become
    ``closed_by_rule``. Acknowledgements and resolutions are kept. Procedure checks are replaced
    when they changed, and left alone when they did not.
    """
    prepared = prepare(evaluations, now)
    return sync_prepared(conn, prepared, now, actor=actor, review_version=review_version)


def _person_of(key: str) -> str:
    return key.split("|", 2)[1]


def _with_reviews(
    prepared: Prepared,
    existing: dict[str, tuple[int, str, str, str, str]],
    old_checks: Iterable[str],
    now: datetime,
    review_version: str,
    owners: dict[str, str] | None = None,
) -> tuple[list[PreparedFinding], set[str], set[str]]:
    """The prepared findings plus the correction reviews of :mod:`safeguard.rules.obligations`,
    and the stored finding and check keys a correction must not remove."""
    produced: dict[str, set[str]] = {p: set() for p in prepared.person_keys}
    for f in prepared.findings:
        produced[_person_of(f.key)].add(f.key)
    checks_now: dict[str, set[str]] = {p: set() for p in prepared.person_keys}
    for c in prepared.checks:
        checks_now[_person_of(c.key)].add(c.key)
    stored: dict[str, list[obligations.OnRecord]] = {}
    owner = owners or {}
    for key, (_, status, _, rule_id, kind) in existing.items():
        stored.setdefault(owner.get(key) or _person_of(key), []).append(
            obligations.OnRecord(key, rule_id, kind, status)
        )
    stored_checks: dict[str, list[str]] = {}
    for key in old_checks:
        stored_checks.setdefault(owner.get(key) or _person_of(key), []).append(key)
    out = list(prepared.findings)
    kept_findings: set[str] = set()
    kept_checks: set[str] = set()
    for person in prepared.person_keys:
        if person not in stored and person not in stored_checks:
            continue
        reviews, kf, kc = obligations.review_corrections(
            person,
            produced[person],
            checks_now[person],
            stored.get(person, ()),
            stored_checks.get(person, ()),
            review_version=review_version,
        )
        kept_findings |= kf
        kept_checks |= kc
        for r in reviews:
            digest = _digest(r)
            out.append(PreparedFinding(r.key, digest, False, _finding_row(r, digest, now)))
    return out, kept_findings, kept_checks


def sync_prepared(
    conn: Connection,
    prepared: Prepared,
    now: datetime,
    *,
    actor: Principal = RULES_ENGINE,
    review_version: str = "1",
) -> SyncCounts:
    """:func:`sync_evaluations` for evaluations already :func:`prepare`-d.

    Every change is written to ``finding_history`` (by ``actor``, with its reason). A duty or
    grade a correction would remove is kept, with a ``CORRECTION-REVIEW`` finding
    (:mod:`safeguard.rules.obligations`).
    """
    who = recorded_as(actor)
    keys = list(prepared.person_keys)
    existing: dict[str, tuple[int, str, str, str, str]] = {}
    owners: dict[str, str] = {}  # stored key -> its person key (a key need not name it)
    for fid, fkey, status, digest, rule_id, kind, pkey in _rows_by_person(
        conn,
        "SELECT id, finding_key, status, content_hash, rule_id, kind, person_key FROM findings",
        keys,
    ):
        existing[fkey] = (fid, status, digest, rule_id, kind)
        owners[fkey] = pkey
    old_checks: dict[str, tuple[int, str, datetime | None, datetime | None]] = {}
    for cid, ckey, version, due, done, pkey in _rows_by_person(
        conn,
        "SELECT id, check_key, rule_version, due_at, done_at, person_key FROM procedure_checks",
        keys,
    ):
        old_checks[ckey] = (cid, version, as_utc(due), as_utc(done))
        owners[ckey] = pkey
    all_findings, kept, kept_checks = _with_reviews(
        prepared, existing, old_checks, now, review_version, owners
    )
    new_rows: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    changed, closed = 0, 0
    produced: set[str] = set()
    closed_status, open_status = FindingStatus.CLOSED_BY_RULE.value, FindingStatus.OPEN.value
    for f in all_findings:
        produced.add(f.key)
        target = closed_status if f.satisfied else None
        stored = existing.get(f.key)
        if stored is None:
            status = target or open_status
            new_rows.append((*f.row, status))
            why = "raised by the rule" + ("; the procedure was done late" if target else "")
            history.append((f.key, now, "opened", status, who, why))
            if f.key.startswith(obligations.REVIEW_RULE + "|"):
                kept_key = str(json.loads(f.row[14])["kept"])
                history.append((kept_key, now, "kept", "-", who, f.row[13]))
            continue
        stored_id, stored_status, stored_digest = stored[:3]
        values: dict[str, Any] = {}
        if stored_digest != f.digest:
            values.update(zip(FINDING_COLUMNS, f.row, strict=True))
            del values["first_found_at"], values["finding_key"]
        if target and stored_status in ACTIVE:
            values["status"] = target
            history.append((f.key, now, "closed", target, who, "the procedure was done late"))
        elif not target and stored_status == closed_status:
            values["status"] = open_status
            history.append((f.key, now, "reopened", open_status, who, "raised again"))
        elif "explanation" in values:
            history.append((f.key, now, "changed", stored_status, who, "facts changed"))
        if values:
            values["last_changed_at"] = now
            conn.execute(sa.update(findings).where(findings.c.id == stored_id).values(**values))
            changed += 1
    gone = [
        (k, v[0])
        for k, v in existing.items()
        if k not in produced and k not in kept and v[1] in ACTIVE
    ]
    for i in range(0, len(gone), CHUNK):
        conn.execute(
            sa.update(findings)
            .where(findings.c.id.in_([fid for _, fid in gone[i : i + CHUNK]]))
            .values(status=closed_status, last_changed_at=now)
        )
    done = {c.key for c in prepared.checks}
    for k, _ in gone:
        why = "the procedure was done" if k in done else "the rule no longer raises it"
        history.append((k, now, "closed", closed_status, who, why))
    closed += len(gone)
    bulk_insert_tuples(conn, findings, (*FINDING_COLUMNS, "status"), new_rows)
    bulk_insert_tuples(conn, finding_history, HISTORY_COLUMNS, history)
    _sync_checks(conn, prepared, old_checks, kept_checks)
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


def _sync_checks(
    conn: Connection,
    prepared: Prepared,
    old: dict[str, tuple[int, str, datetime | None, datetime | None]],
    kept: set[str],
) -> None:
    fresh = {c.key: c for c in prepared.checks}
    stale = [v[0] for k, v in old.items() if k not in fresh and k not in kept]
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


def close_people_not_in(
    conn: Connection, person_keys: set[str], now: datetime, *, actor: Principal = RULES_ENGINE
) -> int:
    """After a full run: close active findings and drop checks of people no longer present."""
    who = recorded_as(actor)
    cursor = conn.connection.cursor()
    try:  # plain reads through the driver: two columns of every finding and check
        active = ", ".join(f"'{s}'" for s in ACTIVE)
        cursor.execute(
            f"SELECT id, finding_key, person_key FROM findings WHERE status IN ({active})"
        )
        gone_rows = [(fid, fkey) for fid, fkey, key in cursor.fetchall() if key not in person_keys]
        gone = [fid for fid, _ in gone_rows]
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
    why = "the person is no longer present (records relinked to another person, or removed)"
    history = [
        (fkey, now, "closed", FindingStatus.CLOSED_BY_RULE.value, who, why) for _, fkey in gone_rows
    ]
    bulk_insert_tuples(conn, finding_history, HISTORY_COLUMNS, history)
    return len(gone)
