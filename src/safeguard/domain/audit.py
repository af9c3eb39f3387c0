"""The section 62 audit entry (Data Protection Act 2018): who did what to which records, and why.

Entries are hash-chained: each entry's hash covers its content and the previous entry's hash, so
an altered or deleted entry breaks the chain (see ``verify_chain``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

GENESIS_HASH = "0" * 64


class AuditCategory(StrEnum):
    """The processing operations s.62(1) requires a log of."""

    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"
    # Not processing operations of s.62(1), but access decisions the log must also show:
    REFUSED = "refused"  # an attempt the policy refused, with why
    AUTHENTICATION = "authentication"  # sign-in successes, failures and sign-outs
    EXPORT = "export"  # a report or file written out of the system


NEEDS_JUSTIFICATION = frozenset({AuditCategory.CONSULTATION, AuditCategory.DISCLOSURE})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One logged processing operation.

    Args:
        actor: user id (or system job name) that did it.
        action: what was done, dotted, e.g. ``person.view`` or ``link.split``.
        category: the s.62 operation.
        record_type: kind of record touched, e.g. ``person`` or ``finding``.
        record_ids: ids of the records touched.
        person_ids: people the records are about (for "who looked at this person").
        justification: why; required for consultation and disclosure (s.62(2), (3)).
        recipient: who received disclosed data (s.62(3)).
        detail: extra structured context (ids and codes only, no free text about people).
    """

    actor: str
    action: str
    category: AuditCategory
    record_type: str
    record_ids: Sequence[str] = ()
    person_ids: Sequence[int] = ()
    justification: str | None = None
    recipient: str | None = None
    actor_role: str | None = None
    detail: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.category in NEEDS_JUSTIFICATION and not (self.justification or "").strip():
            raise ValueError(f"{self.category} of {self.record_type} needs a justification")
        if self.category is AuditCategory.DISCLOSURE and not (self.recipient or "").strip():
            raise ValueError("a disclosure must name its recipient")


def entry_hash(prev_hash: str, seq: int, at: datetime, entry: AuditEntry) -> str:
    """SHA-256 over the canonical JSON of the entry, its position, time and the previous hash."""
    body = {
        "prev": prev_hash,
        "seq": seq,
        "at": at.isoformat(),
        "actor": entry.actor,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "category": str(entry.category),
        "record_type": entry.record_type,
        "record_ids": [str(r) for r in entry.record_ids],
        "person_ids": [int(p) for p in entry.person_ids],
        "justification": entry.justification,
        "recipient": entry.recipient,
        "detail": entry.detail,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredAuditEntry:
    seq: int
    at: datetime
    entry: AuditEntry
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    problem: str


def verify_chain(
    entries: Iterable[StoredAuditEntry],
    expected_last_seq: int,
    expected_last_hash: str | None = None,
) -> list[ChainProblem]:
    """Every break in the chain: altered content, a missing entry, a cut-off tail, or a newest
    entry rewritten with its own hash recomputed (its hash no longer the head's).

    Args:
        entries: the stored entries in sequence order.
        expected_last_seq: the head's sequence number.
        expected_last_hash: the head's hash; None skips that comparison (no head yet).
    """
    problems: list[ChainProblem] = []
    prev_hash, prev_seq = GENESIS_HASH, 0
    for stored in entries:
        if stored.seq != prev_seq + 1:
            problems.append(
                ChainProblem(stored.seq, f"entries {prev_seq + 1}..{stored.seq - 1} are missing")
            )
        if stored.prev_hash != prev_hash:
            problems.append(ChainProblem(stored.seq, "does not follow the entry before it"))
        if entry_hash(stored.prev_hash, stored.seq, stored.at, stored.entry) != stored.hash:
            problems.append(ChainProblem(stored.seq, "content was altered after it was written"))
        prev_hash, prev_seq = stored.hash, stored.seq
    if prev_seq < expected_last_seq:
        problems.append(
            ChainProblem(prev_seq + 1, f"entries {prev_seq + 1}..{expected_last_seq} are missing")
        )
    elif expected_last_hash is not None and prev_seq == expected_last_seq:
        if prev_hash != expected_last_hash:
            problems.append(
                ChainProblem(prev_seq, "the newest entry's hash is not the head's (rewritten)")
            )
    return problems


@dataclass(frozen=True, slots=True)
class AuditCheckpoint:
    """The chain's head as it was at a moment, kept outside the audited database.

    Since every entry's hash covers the one before it, a checkpoint pins the whole chain up to
    ``seq``: an entry rewritten, a tail cut or a log emptied after the checkpoint was taken no
    longer matches it, even if whoever did it also rewrote the head row beside the chain.
    """

    seq: int
    hash: str
    at: datetime

    def to_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat()}, sort_keys=True
        )

    @classmethod
    def from_json(cls, line: str) -> AuditCheckpoint:
        """Parse one checkpoint line; ValueError naming the field when it is not one."""
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        seq, digest, at = raw.get("seq"), raw.get("hash"), raw.get("at")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("seq: must be a whole number, 0 or more")
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("hash: must be 64 hexadecimal characters")
        try:
            when = datetime.fromisoformat(str(at))
        except ValueError:
            raise ValueError("at: must be an ISO 8601 date-time") from None
        if when.tzinfo is None:
            raise ValueError("at: must carry a time zone")
        return cls(seq, digest, when)


def check_checkpoint(
    checkpoint: AuditCheckpoint, hash_at_seq: str | None, head_seq: int
) -> list[ChainProblem]:
    """Whether the stored chain still holds what ``checkpoint`` recorded.

    Args:
        checkpoint: the head as recorded outside the database.
        hash_at_seq: the stored hash of entry ``checkpoint.seq`` (None: no such entry; the
            genesis hash stands for entry 0).
        head_seq: the head's sequence number now.
    """
    if checkpoint.seq == 0:
        return []
    if head_seq < checkpoint.seq or hash_at_seq is None:
        what = "the log is empty" if head_seq == 0 else f"the log ends at entry {head_seq}"
        return [
            ChainProblem(
                checkpoint.seq,
                f"checkpoint of {checkpoint.at.isoformat()} saw entry {checkpoint.seq}, "
                f"but {what} (the tail was cut)",
            )
        ]
    if hash_at_seq != checkpoint.hash:
        return [
            ChainProblem(
                checkpoint.seq,
                f"differs from the checkpoint of {checkpoint.at.isoformat()} (rewritten)",
            )
        ]
    return []
