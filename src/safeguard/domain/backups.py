"""A backup's manifest: what a backup holds, so that a restore can prove it got all of it back.

The manifest names the schema revision, the number of rows of every table, the audit chain's
head (sequence and hash) and every file with its size and SHA-256. ``compare`` lists every way
a restored system differs from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

FORMAT = "safeguard-backup/1"


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One file of the backup: its path inside the backup, bytes and SHA-256."""

    path: str
    size: int
    sha256: str
    role: str  # "database" or "linkage"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a backup holds.

    Args:
        created_at: when the snapshot was taken (UTC).
        dialect: ``sqlite`` or ``postgresql``.
        schema_revision: the Alembic revision of the database backed up.
        counts: rows per table at the snapshot.
        audit_seq: the audit head's sequence number at the snapshot.
        audit_hash: the audit head's hash at the snapshot.
        files: the database dump and the linkage store's files.
    """

    created_at: datetime
    dialect: str
    schema_revision: str | None
    counts: Mapping[str, int]
    audit_seq: int
    audit_hash: str
    files: tuple[BackupFile, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "created_at": self.created_at.isoformat(),
                "dialect": self.dialect,
                "schema_revision": self.schema_revision,
                "counts": dict(sorted(self.counts.items())),
                "audit_head": {"seq": self.audit_seq, "hash": self.audit_hash},
                "files": [
                    {"path": f.path, "size": f.size, "sha256": f.sha256, "role": f.role}
                    for f in self.files
                ],
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; ValueError naming the field that is wrong."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
        if raw.get("format") != FORMAT:
            raise ValueError(f"format: expected {FORMAT!r}, found {raw.get('format')!r}")
        try:
            head = raw["audit_head"]
            counts = raw["counts"]
            if not isinstance(counts, dict) or not all(
                isinstance(v, int) and v >= 0 for v in counts.values()
            ):
                raise ValueError("counts: must map table names to row counts")
            files = tuple(
                BackupFile(str(f["path"]), int(f["size"]), str(f["sha256"]), str(f["role"]))
                for f in raw["files"]
            )
            if raw["dialect"] not in ("sqlite", "postgresql"):
                raise ValueError(f"dialect: unknown {raw['dialect']!r}")
            return cls(
                created_at=datetime.fromisoformat(str(raw["created_at"])),
                dialect=str(raw["dialect"]),
                schema_revision=raw["schema_revision"],
                counts={str(k): int(v) for k, v in counts.items()},
                audit_seq=int(head["seq"]),
                audit_hash=str(head["hash"]),
                files=files,
            )
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]}: missing") from None
        except (TypeError, AttributeError):
            raise ValueError("files or audit_head: malformed") from None


def compare(
    expected: Manifest,
    *,
    schema_revision: str | None,
    counts: Mapping[str, int],
    audit_seq: int,
    audit_hash: str,
) -> list[str]:
    """Every difference between a restored database and the manifest (empty: identical)."""
    problems: list[str] = []
    if schema_revision != expected.schema_revision:
        problems.append(
            f"schema revision {schema_revision!r}, the backup has {expected.schema_revision!r}"
        )
    for table in sorted(set(expected.counts) | set(counts)):
        want, got = expected.counts.get(table), counts.get(table)
        if want != got:
            problems.append(f"table {table}: {got} rows restored, the backup has {want}")
    if (audit_seq, audit_hash) != (expected.audit_seq, expected.audit_hash):
        problems.append(
            f"audit head at entry {audit_seq} ({audit_hash[:12]}...), the backup's is at "
            f"{expected.audit_seq} ({expected.audit_hash[:12]}...)"
        )
    return problems
