"""The append-only, hash-chained audit log.

Changes are audited inside the caller's transaction (``append_audit``). Reads may instead hand
their consultation entries to an ``AuditAppender`` (group commit: one short write transaction
per batch, committed before the caller goes on), so that concurrent readers do not queue one
by one for the chain's head."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime
from safeguard.domain.audit import (
    GENESIS_HASH,
    AuditCategory,
    AuditCheckpoint,
    AuditEntry,
    ChainProblem,
    StoredAuditEntry,
    check_checkpoint,
    entry_hash,
    verify_chain,
)

logger = logging.getLogger(__name__)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False, index=True),
    sa.Column("actor_role", sa.String(32), nullable=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("record_type", sa.String(32), nullable=False),
    sa.Column("record_ids", sa.Text, nullable=False),
    sa.Column("person_ids", sa.Text, nullable=False),
    sa.Column("justification", sa.Text, nullable=True),
    sa.Column("recipient", sa.String(200), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Who looked at which person: one row per (entry, person), for the supervisor's view.
audit_person_index = sa.Table(
    "audit_person_index",
    metadata,
    sa.Column("person_id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, sa.ForeignKey("audit_log.seq"), primary_key=True),
)

# One row: the chain's head. Taking it with UPDATE serialises appenders on both databases.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("last_hash", sa.String(64), nullable=False),
)


def _stamp(at: datetime | None) -> datetime:
    at = (at or datetime.now(UTC)).astimezone(UTC)
    return at.replace(microsecond=(at.microsecond // 1000) * 1000)  # both DBs round-trip ms


def append_audit(conn: Connection, entry: AuditEntry, *, at: datetime | None = None) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    [seq] = append_audit_many(conn, [entry], at=at)
    return seq


def append_audit_many(
    conn: Connection, entries: Sequence[AuditEntry], *, at: datetime | None = None
) -> list[int]:
    """Append entries, in order, in the caller's transaction; returns their sequence numbers.

    The head row is taken first (UPDATE ... RETURNING locks it on PostgreSQL and takes SQLite's
    write lock), so concurrent appenders queue behind each other and the chain never forks.
    """
    if not entries:
        return []
    at = _stamp(at)
    n = len(entries)
    take = (
        sa.update(audit_head)
        .where(audit_head.c.id == 1)
        .values(last_seq=audit_head.c.last_seq + n)
        .returning(audit_head.c.last_seq, audit_head.c.last_hash)
    )
    head = conn.execute(take).one_or_none()
    if head is None:  # the very first entry: create the head (once, even if two race), retake
        conn.execute(_insert_if_absent(conn, {"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH}))
        head = conn.execute(take).one()
    first, prev = int(head.last_seq) - n + 1, str(head.last_hash)
    rows: list[dict[str, object]] = []
    index: list[dict[str, int]] = []
    for seq, entry in enumerate(entries, start=first):
        digest = entry_hash(prev, seq, at, entry)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": entry.actor,
                "actor_role": entry.actor_role,
                "action": entry.action,
                "category": str(entry.category),
                "record_type": entry.record_type,
                "record_ids": json.dumps([str(r) for r in entry.record_ids]),
                "person_ids": json.dumps([int(p) for p in entry.person_ids]),
                "justification": entry.justification,
                "recipient": entry.recipient,
                "detail": json.dumps(entry.detail, sort_keys=True, default=str),
                "prev_hash": prev,
                "hash": digest,
            }
        )
        index.extend({"person_id": int(p), "seq": seq} for p in dict.fromkeys(entry.person_ids))
        prev = digest
    conn.execute(sa.insert(audit_log), rows)
    if index:
        conn.execute(sa.insert(audit_person_index), index)
    conn.execute(sa.update(audit_head).where(audit_head.c.id == 1).values(last_hash=prev))
    return list(range(first, first + n))


def _insert_if_absent(conn: Connection, values: dict[str, object]) -> sa.Executable:
    if conn.dialect.name == "postgresql":
        return pg_insert(audit_head).values(values).on_conflict_do_nothing()
    if conn.dialect.name == "sqlite":
        return sqlite_insert(audit_head).values(values).on_conflict_do_nothing()
    return sa.insert(audit_head).values(values)


def has_written(conn: Connection) -> bool:
    """Whether the connection's transaction has already written something (so it may hold
    locks, e.g. on the audit head, that another connection would wait for)."""
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        # pysqlite opens its transaction (BEGIN) only before the first write.
        return bool(getattr(dbapi, "in_transaction", True))
    if conn.dialect.name == "postgresql":
        xid = conn.execute(sa.text("SELECT pg_current_xact_id_if_assigned()")).scalar()
        return xid is not None
    return True


@dataclass(slots=True)
class _Pending:
    entry: AuditEntry
    done: Future[int] = field(default_factory=Future)


class AuditAppender:
    """Group commit for consultations: the entries handed in by concurrent request threads are
    chained and written in one short transaction per batch, on the appender's own connection;
    each caller returns only once its entry is committed.

    No thread of its own (a hand-over to another thread costs a wake-up, dear on a busy
    machine): the first caller to find no batch being written becomes the writer and writes
    every entry waiting, its own included; callers arriving meanwhile wait, and the next of
    them writes all that queued up. Alone, a caller simply writes its own entry.

    Entries are chained exactly as ``append_audit`` chains them (same head row, same hash), so
    the chain stays one chain across processes and across both ways of appending. Use it only
    for reads (consultations): a change must be audited in its own transaction
    (``append_audit``), and ``record_consultation`` falls back to that when the caller's
    transaction has written.

    Args:
        engine: an engine of its own (not the request pool: requests waiting for their entry
            hold connections of that pool, and the writer must never wait for one of them).
        max_batch: most entries written in one transaction.
        timeout: seconds a caller waits for its entry before giving up (the request fails).
    """

    def __init__(self, engine: Engine, *, max_batch: int = 256, timeout: float = 60.0) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.timeout = timeout
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False
        self._closed = False
        self.batches = 0
        self.entries = 0

    def append(self, entry: AuditEntry) -> int:
        """Chain and commit ``entry``; returns its sequence number once it is durable.

        Raises:
            RuntimeError: the appender is closed.
            TimeoutError: not committed within ``timeout`` seconds.
            Exception: whatever the database raised writing the batch.
        """
        mine = _Pending(entry)
        deadline = time.monotonic() + self.timeout
        with self._cond:
            if self._closed:
                raise RuntimeError("the audit appender is closed")
            self._queue.append(mine)
            while not mine.done.done():
                if not self._writing:
                    batch = self._queue[: self.max_batch]
                    del self._queue[: self.max_batch]
                    self._writing = True
                    self._cond.release()
                    try:
                        self._write(batch)
                    finally:
                        self._cond.acquire()
                        self._writing = False
                        self._cond.notify_all()
                    continue
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left):
                    if mine in self._queue:  # not taken by a writer: it will not be written
                        self._queue.remove(mine)
                        raise TimeoutError("the audit entry was not written in time")
                    self._cond.wait()  # being written now: its writer will say how it went
        return mine.done.result()

    def close(self) -> None:
        """Refuse new entries (those already handed in are written by their callers)."""
        with self._cond:
            self._closed = True

    def _write(self, batch: list[_Pending]) -> None:
        try:
            with self.engine.begin() as conn:
                seqs = append_audit_many(conn, [p.entry for p in batch])
        except Exception as exc:  # every waiter fails: none of their entries was written
            logger.exception("audit batch of %d entries failed", len(batch))
            for p in batch:
                p.done.set_exception(exc)
            return
        self.batches += 1
        self.entries += len(batch)
        for p, seq in zip(batch, seqs, strict=True):
            p.done.set_result(seq)


def record_consultation(
    conn: Connection, entry: AuditEntry, appender: AuditAppender | None = None
) -> int:
    """Record a consultation before its result is shown: through ``appender`` (group commit,
    committed when this returns) when given and the caller's transaction has written nothing,
    otherwise in the caller's transaction (committed with it)."""
    if appender is None or has_written(conn):
        return append_audit(conn, entry)
    return appender.append(entry)


def _stored(row: sa.Row[tuple[object, ...]]) -> StoredAuditEntry:
    m = row._mapping
    return StoredAuditEntry(m["seq"], m["at"], _unchecked(m), m["prev_hash"], m["hash"])


def _unchecked(m: sa.RowMapping) -> AuditEntry:
    # A stored entry is rebuilt as written, even if an attacker blanked its justification:
    # verification must report the alteration, not crash on the dataclass's own checks.
    entry = object.__new__(AuditEntry)
    for name, value in (
        ("actor", m["actor"]),
        ("action", m["action"]),
        ("category", AuditCategory(m["category"])),
        ("record_type", m["record_type"]),
        ("record_ids", tuple(json.loads(m["record_ids"]))),
        ("person_ids", tuple(json.loads(m["person_ids"]))),
        ("justification", m["justification"]),
        ("recipient", m["recipient"]),
        ("actor_role", m["actor_role"]),
        ("detail", json.loads(m["detail"])),
    ):
        object.__setattr__(entry, name, value)
    return entry


def iter_entries(conn: Connection, batch: int = 5000) -> Iterator[StoredAuditEntry]:
    last = 0
    while True:
        rows = conn.execute(
            sa.select(audit_log)
            .where(audit_log.c.seq > last)
            .order_by(audit_log.c.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield _stored(row)
        last = int(rows[-1].seq)


def verify_audit(
    conn: Connection, checkpoints: Sequence[AuditCheckpoint] = ()
) -> list[ChainProblem]:
    """Check the whole chain against the head (its sequence and its hash) and against any
    checkpoints kept outside the database; an empty list means intact."""
    head = conn.execute(
        sa.select(audit_head.c.last_seq, audit_head.c.last_hash).where(audit_head.c.id == 1)
    ).one_or_none()
    head_seq = int(head.last_seq) if head else 0
    problems = verify_chain(iter_entries(conn), head_seq, str(head.last_hash) if head else None)
    for cp in checkpoints:
        stored = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.seq == cp.seq)).scalar()
        problems.extend(check_checkpoint(cp, None if stored is None else str(stored), head_seq))
    return problems


def audit_checkpoint(conn: Connection, *, at: datetime | None = None) -> AuditCheckpoint:
    """The head as it stands now (sequence 0 and the genesis hash before any entry)."""
    head = conn.execute(
        sa.select(audit_head.c.last_seq, audit_head.c.last_hash).where(audit_head.c.id == 1)
    ).one_or_none()
    seq, digest = (int(head.last_seq), str(head.last_hash)) if head else (0, GENESIS_HASH)
    return AuditCheckpoint(seq, digest, (at or datetime.now(UTC)).astimezone(UTC))


def who_viewed(conn: Connection, person_id: int) -> list[StoredAuditEntry]:
    """Every audit entry about a person, newest first (for supervisors)."""
    rows = conn.execute(
        sa.select(audit_log)
        .join(audit_person_index, audit_person_index.c.seq == audit_log.c.seq)
        .where(audit_person_index.c.person_id == person_id)
        .order_by(audit_log.c.seq.desc())
    ).all()
    return [_stored(r) for r in rows]
