"""Ingest interchange files: find and open each file, reject a file that cannot be read, read
the good ones batch by batch and store each batch (``batch_store``); a run's summary.

Idempotent by (source system, source id): the same file twice changes nothing. Each batch is one
transaction, so a run killed at any point and run again ends in the state of an uninterrupted run.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from sqlalchemy.engine import Engine

from safeguard.adapters.db import runs
from safeguard.adapters.db.record_store import RecordStore
from safeguard.adapters.interchange.readers import InterchangeFile, discover, file_sha256
from safeguard.domain.access import Action, Principal, recorded_as
from safeguard.domain.audit import AuditCategory
from safeguard.errors import IngestError
from safeguard.interchange.schema import record_types
from safeguard.services.batch_store import FileIngest, FileResult, RunKeys
from safeguard.services.unit_of_work import UnitOfWork, authorize

logger = logging.getLogger(__name__)


FILE_FIELD = "(file)"
ROW_FIELD = "(row)"


@dataclass(slots=True)
class IngestSummary:
    """What a run did, file by file."""

    run_id: int
    files: list[FileResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def rejected_files(self) -> list[FileResult]:
        return [f for f in self.files if f.error is not None]

    @property
    def clean(self) -> bool:
        return not self.rejected_files and self.total("quarantined") == 0


ProgressFn = Callable[[int], None]


def ingest_paths(
    engine: Engine,
    paths: list[Path],
    *,
    actor: Principal,
    encoding: str = "utf-8",
    batch_rows: int = 50_000,
    future_tolerance: timedelta = timedelta(minutes=60),
    now: datetime | None = None,
    on_rows: ProgressFn | None = None,
    on_file: Callable[[FileResult, int], None] | None = None,
) -> IngestSummary:
    """Ingest files (or folders of them) into the database.

    Args:
        engine: the migrated database.
        paths: files and folders; folders are searched for .csv, .jsonl, .ndjson and .parquet.
        actor: who runs the ingest: an account granted ``RUN_BATCH_JOBS`` or a declared
            batch job (``unit_of_work.authorize``); recorded on the run and its audit row.
        encoding: text encoding of CSV and JSON Lines files.
        batch_rows: rows per transaction.
        now: the clock for "in the future" checks (tests pass their own).
        on_rows: called with the number of rows after each batch (progress).
        on_file: called with each file's result when it is finished, and its size in bytes.

    Returns:
        The run's summary; bad rows are in the quarantine table, never dropped.

    Raises:
        Refused, PermissionDenied: ``actor`` may not run batch jobs (nothing is written).
    """
    authorize(actor, Action.RUN_BATCH_JOBS)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with engine.begin() as conn:
        runs.mark_abandoned(conn)
        run_id = runs.start(conn, "ingest", actor=recorded_as(actor), started_at=now)
    summary = IngestSummary(run_id)
    try:
        _ingest_files(
            engine, summary, paths, encoding, batch_rows, now, future_tolerance, on_rows, on_file
        )
    except BaseException:
        # A crash (not bad input: that is quarantined) marks the run failed at once; what its
        # batches committed stays, and running the same files again completes it.
        with engine.begin() as conn:
            runs.fail(conn, "ingest", run_id)
        raise
    with engine.begin() as conn:
        runs.finish_ingest(
            conn,
            run_id,
            "finished" if summary.clean else "finished_with_problems",
            runs.IngestTotals(
                files=len(summary.files),
                rows_read=summary.total("rows_read"),
                inserted=summary.total("inserted"),
                updated=summary.total("updated"),
                unchanged=summary.total("unchanged"),
                quarantined=summary.total("quarantined"),
                flagged=summary.total("flagged"),
            ),
        )
        # Who ingested which run, and the counts: ids and numbers only, no personal data.
        UnitOfWork(conn, actor).audit(
            "ingest.run",
            AuditCategory.COLLECTION,
            "ingest_run",
            record_ids=[run_id],
            detail={
                "files": len(summary.files),
                "rejected_files": len(summary.rejected_files),
                "rows_read": summary.total("rows_read"),
                "inserted": summary.total("inserted"),
                "updated": summary.total("updated"),
                "unchanged": summary.total("unchanged"),
                "quarantined": summary.total("quarantined"),
                "flagged_fields": summary.total("flagged"),
            },
        )
    logger.info(
        "ingest run %s: %s files, %s rows", run_id, len(summary.files), summary.total("rows_read")
    )
    return summary


def _ingest_files(
    engine: Engine,
    summary: IngestSummary,
    paths: list[Path],
    encoding: str,
    batch_rows: int,
    now: datetime,
    future_tolerance: timedelta,
    on_rows: ProgressFn | None,
    on_file: Callable[[FileResult, int], None] | None,
) -> None:
    run_id = summary.run_id
    opened: list[InterchangeFile] = []
    for path in discover(paths):
        try:
            opened.append(_open(path, encoding))
        except IngestError as exc:
            result = FileResult(str(path), error=exc.reason, quarantined=1)
            summary.files.append(result)
            _reject_file(engine, run_id, path, exc.reason, now)
            if on_file:
                on_file(result, _size(path))
    order = {t: i for i, t in enumerate(record_types())}
    opened.sort(key=lambda f: (order[f.record_type], str(f.path)))
    run_keys = RunKeys()
    for file in opened:
        result = _ingest_file(
            engine, run_id, file, batch_rows, now, future_tolerance, on_rows, run_keys
        )
        summary.files.append(result)
        if on_file:
            on_file(result, _size(file.path))


def _open(path: Path, encoding: str) -> InterchangeFile:
    """Open and check a file; anything about it that cannot be read rejects the file alone."""
    try:
        return InterchangeFile(path, encoding)
    except (OSError, csv.Error, UnicodeError, pa.ArrowException, RecursionError) as exc:
        raise IngestError(
            str(path), f"cannot be opened as an interchange file ({type(exc).__name__}: {exc})"
        ) from exc


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _quarantine_key(path: Path) -> str:
    """The file's digest; for a file that cannot even be read, a digest of its path."""
    try:
        return file_sha256(path)
    except OSError:
        return hashlib.sha256(str(path).encode()).hexdigest()


def _reject_file(engine: Engine, run_id: int, path: Path, reason: str, now: datetime) -> None:
    logger.warning("file rejected: %s", path.name)
    with engine.begin() as conn:
        RecordStore(conn).quarantine(
            [
                {
                    "run_id": run_id,
                    "file_path": str(path),
                    "file_sha256": _quarantine_key(path),
                    "row_number": 0,
                    "field": FILE_FIELD,
                    "record_type": None,
                    "source_system": None,
                    "source_id": None,
                    "reason": f"whole file rejected: {reason}",
                    "raw": None,
                    "quarantined_at": now,
                }
            ]
        )


def _ingest_file(
    engine: Engine,
    run_id: int,
    file: InterchangeFile,
    batch_rows: int,
    now: datetime,
    tolerance: timedelta,
    on_rows: ProgressFn | None,
    run_keys: RunKeys,
) -> FileResult:
    state = FileIngest(engine, run_id, file, now, tolerance, run_keys)
    try:
        for batch in file.batches(batch_rows):
            state.batch(batch)
            if on_rows:
                on_rows(batch.table.num_rows + len(batch.unparsable))
    except IngestError as exc:
        state.result.error = exc.reason
        state.result.quarantined += 1
        _reject_file(engine, run_id, file.path, exc.reason, now)
    logger.info("file %s: %s rows read", file.path.name, state.result.rows_read)
    return state.result


__all__ = ["FileResult", "IngestSummary", "ingest_paths"]
