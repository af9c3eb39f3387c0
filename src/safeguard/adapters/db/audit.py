"""The append-only, hash-chained audit log, written inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime
from safeguard.domain.audit import (
    GENESIS_HASH,
    AuditCategory,
    AuditEntry,
    ChainProblem,
    StoredAuditEntry,
    entry_hash,
    verify_chain,
)

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


def append_audit(conn: Connection, entry: AuditEntry, *, at: datetime | None = None) -> int:
    """Append one entry in the caller's transaction; returns its sequence number."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    at = at.replace(microsecond=(at.microsecond // 1000) * 1000)  # both DBs round-trip ms
    head = conn.execute(
        sa.update(audit_head)
        .where(audit_head.c.id == 1)
        .values(last_seq=audit_head.c.last_seq + 1)
        .returning(audit_head.c.last_seq, audit_head.c.last_hash)
    ).one_or_none()
    if head is None:
        conn.execute(sa.insert(audit_head).values(id=1, last_seq=1, last_hash=GENESIS_HASH))
        seq, prev = 1, GENESIS_HASH
    else:
        seq, prev = int(head.last_seq), str(head.last_hash)
    digest = entry_hash(prev, seq, at, entry)
    conn.execute(
        sa.insert(audit_log).values(
            seq=seq,
            at=at,
            actor=entry.actor,
            actor_role=entry.actor_role,
            action=entry.action,
            category=str(entry.category),
            record_type=entry.record_type,
            record_ids=json.dumps([str(r) for r in entry.record_ids]),
            person_ids=json.dumps([int(p) for p in entry.person_ids]),
            justification=entry.justification,
            recipient=entry.recipient,
            detail=json.dumps(entry.detail, sort_keys=True, default=str),
            prev_hash=prev,
            hash=digest,
        )
    )
    if entry.person_ids:
        conn.execute(
            sa.insert(audit_person_index),
            [{"person_id": int(p), "seq": seq} for p in dict.fromkeys(entry.person_ids)],
        )
    conn.execute(sa.update(audit_head).where(audit_head.c.id == 1).values(last_hash=digest))
    return seq


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


def verify_audit(conn: Connection) -> list[ChainProblem]:
    """Check the whole chain against the head; an empty list means intact."""
    head = conn.execute(sa.select(audit_head.c.last_seq).where(audit_head.c.id == 1)).scalar()
    return verify_chain(iter_entries(conn), int(head or 0))


def who_viewed(conn: Connection, person_id: int) -> list[StoredAuditEntry]:
    """Every audit entry about a person, newest first (for supervisors)."""
    rows = conn.execute(
        sa.select(audit_log)
        .join(audit_person_index, audit_person_index.c.seq == audit_log.c.seq)
        .where(audit_person_index.c.person_id == person_id)
        .order_by(audit_log.c.seq.desc())
    ).all()
    return [_stored(r) for r in rows]
