"""The audit anchor: the chain's head written outside the audited database, so that someone
with database access cannot cut the tail, rewrite the newest entry or empty the log and still
have it verify (the head row lives beside the chain it protects; a checkpoint does not).

Checkpoints are appended to an operator-given file as JSON lines (one per checkpoint, never
rewritten); ``audit verify --checkpoint FILE`` checks the database against every line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_checkpoint
from safeguard.domain.audit import AuditCheckpoint
from safeguard.errors import ValidationFailed

logger = logging.getLogger(__name__)


def take_checkpoint(engine: Engine, path: Path | None = None) -> AuditCheckpoint:
    """Read the head and, given ``path``, append it there (flushed to disk before returning).

    Args:
        engine: the audited database.
        path: the anchor file (created if absent, only ever appended to); None only reads.
    """
    with engine.connect() as conn:
        checkpoint = audit_checkpoint(conn)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(checkpoint.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        logger.info("audit checkpoint at entry %d written", checkpoint.seq)
    return checkpoint


def read_checkpoints(path: Path) -> list[AuditCheckpoint]:
    """Every checkpoint in an anchor file, oldest first.

    Raises:
        ValidationFailed: the file is missing, or a line is not a checkpoint (names the line).
    """
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such checkpoint file")
    out: list[AuditCheckpoint] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(AuditCheckpoint.from_json(line))
        except ValueError as exc:
            raise ValidationFailed(f"{path}, line {number}: {exc}") from None
    return out


def anchor_after_run(engine: Engine, path: Path | None) -> AuditCheckpoint | None:
    """After an ingest, link or assessment run: append a checkpoint when an anchor file is
    configured (``SAFEGUARD_AUDIT_ANCHOR``)."""
    return take_checkpoint(engine, path) if path is not None else None
