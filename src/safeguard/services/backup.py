"""Backup and restore of every piece of a force's state: the database (SQLite's online backup
API, or pg_dump) and the linkage store kept beside it (``<data_dir>/linkage``), with a
manifest that a restore checks itself against before it reports success.

A backup is a directory: ``manifest.json``, ``database.sqlite`` or ``database.pgdump``, and
``linkage/...``. It is written as ``<dir>.partial`` and renamed when complete, so a directory
with a manifest is a whole backup.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from safeguard.adapters.db import dumps
from safeguard.adapters.db.audit import verify_audit
from safeguard.adapters.db.engine import known_revisions, sqlite_path
from safeguard.domain.audit import AuditCheckpoint
from safeguard.domain.backups import BackupFile, Manifest, compare
from safeguard.errors import Conflict, ValidationFailed

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LINKAGE = "linkage"
MARKER = ".restore-in-progress"
DONE = ".restore-complete"


@dataclass(frozen=True, slots=True)
class RestoreReport:
    manifest: Manifest
    tables: int
    rows: int
    files: int
    already_complete: bool = False  # an earlier run had finished; this one only verified


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file(root: Path, path: Path, role: str) -> BackupFile:
    return BackupFile(path.relative_to(root).as_posix(), path.stat().st_size, _sha256(path), role)


def _linkage_files(store: Path) -> list[Path]:
    return sorted(p for p in store.rglob("*") if p.is_file()) if store.is_dir() else []


def create_backup(
    engine: Engine, *, data_dir: Path, dest: Path, pg_bin_dir: Path | None = None
) -> Manifest:
    """Back up the database and the linkage store into the new directory ``dest``.

    Args:
        engine: the force's database (SQLite or PostgreSQL).
        data_dir: the force's data directory (``SAFEGUARD_DATA_DIR``); its ``linkage`` store
            is copied.
        dest: the backup directory; must not exist yet.
        pg_bin_dir: where the PostgreSQL client programs are, if not found by version.

    Raises:
        Conflict: ``dest`` exists.
    """
    if dest.exists():
        raise Conflict(f"{dest}: already exists; a backup goes into a new directory")
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    dialect = engine.dialect.name
    if dialect == "sqlite":
        source = sqlite_path(engine.url.render_as_string(hide_password=False))
        if source is None:
            raise ValidationFailed("database_url: an in-memory SQLite database cannot be backed up")
        db_file = partial / "database.sqlite"
        dumps.sqlite_backup(source, db_file)
        snap = dumps.sqlite_snapshot(db_file)
    else:
        db_file = partial / "database.pgdump"
        with dumps.pg_snapshot(engine) as (name, snap):
            dumps.pg_dump(engine, db_file, name, pg_bin_dir)
    files = [_file(partial, db_file, "database")]
    store = data_dir / LINKAGE
    for path in _linkage_files(store):
        copy = partial / LINKAGE / path.relative_to(store)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        files.append(_file(partial, copy, "linkage"))
    manifest = Manifest(
        created_at=datetime.now(UTC),
        dialect=dialect,
        schema_revision=snap.revision,
        counts=snap.counts,
        audit_seq=snap.audit_seq,
        audit_hash=snap.audit_hash,
        files=tuple(files),
    )
    (partial / MANIFEST).write_text(manifest.to_json() + "\n", encoding="utf-8")
    os.replace(partial, dest)
    logger.info("backup written: %d files, audit head %d", len(files), snap.audit_seq)
    return manifest


def read_backup(source: Path) -> Manifest:
    """The manifest of a backup whose every file is present and intact.

    Raises:
        ValidationFailed: no manifest, a malformed one, or a file missing, truncated or altered.
    """
    path = source / MANIFEST
    if not path.is_file():
        raise ValidationFailed(f"{source}: not a backup (no {MANIFEST})")
    try:
        manifest = Manifest.from_json(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{path}: {exc}") from None
    for f in manifest.files:
        held = source / f.path
        if not held.is_file():
            raise ValidationFailed(f"{held}: missing from the backup")
        if held.stat().st_size != f.size or _sha256(held) != f.sha256:
            raise ValidationFailed(f"{held}: corrupt (size or SHA-256 differs from the manifest)")
    if manifest.schema_revision not in known_revisions():
        raise ValidationFailed(
            f"{path}: schema_revision {manifest.schema_revision!r} is unknown to this version "
            "of safeguard (a backup from a newer release?)"
        )
    return manifest


def _marker_id(source: Path) -> str:
    return _sha256(source / MANIFEST)


def restore_backup(
    engine: Engine,
    *,
    data_dir: Path,
    source: Path,
    force: bool = False,
    pg_bin_dir: Path | None = None,
) -> RestoreReport:
    """Restore a backup into the configured database and data directory, then prove it.

    The target must be empty (no rows in any table, no linkage store) unless ``force``. A
    restore killed part-way may be run again: the data directory remembers which backup was
    being restored, and that one may be restored over its own partial result.

    Raises:
        ValidationFailed: the backup is corrupt, of the other database kind, or the restored
            system does not match its manifest (counts, revision, audit chain, files).
        Conflict: the target is not empty and ``force`` was not given.
    """
    manifest = read_backup(source)
    if manifest.dialect != engine.dialect.name:
        raise ValidationFailed(
            f"{source}: a {manifest.dialect} backup cannot be restored into {engine.dialect.name}"
        )
    marker = data_dir / MARKER
    backup_id = _marker_id(source)
    resuming = _holds(marker, backup_id)
    store = data_dir / LINKAGE
    if not (force or resuming):
        finished = _already_restored(engine, manifest, data_dir, backup_id)
        if finished is not None:
            return finished
        if not _target_empty(engine):
            raise Conflict(
                "the target database is not empty; restore into an empty one, or give --force "
                "to replace everything in it"
            )
        if _linkage_files(store):
            raise Conflict(f"{store}: a linkage store is already there; give --force to replace it")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DONE).unlink(missing_ok=True)
    if not resuming:
        _write_atomically(marker, backup_id)
    _restore_database(engine, manifest, source, pg_bin_dir)
    _restore_linkage(manifest, source, store)
    report = verify_restore(engine, manifest, store)
    os.replace(marker, data_dir / DONE)  # one step: in progress, or complete, never neither
    logger.info("restore verified: %d tables, %d rows", report.tables, report.rows)
    return report


def _holds(path: Path, backup_id: str) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8") == backup_id


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a kill leaves the old file or the new, never a part."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _already_restored(
    engine: Engine, manifest: Manifest, data_dir: Path, backup_id: str
) -> RestoreReport | None:
    """The report of a finished restore of this backup run again, if nothing has changed since.

    A restore killed after its last step but before it exited is complete; run again, it
    verifies the target instead of refusing it as not empty. Anything changed since gives None,
    and the caller refuses the non-empty target as usual.
    """
    if not _holds(data_dir / DONE, backup_id):
        return None
    try:
        report = verify_restore(engine, manifest, data_dir / LINKAGE)
    except ValidationFailed:
        return None
    logger.info("restore already complete and verified: %d tables", report.tables)
    return dataclasses.replace(report, already_complete=True)


def _target_empty(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        if path is not None and not path.exists():
            return True
    return dumps.is_empty(engine)


def _restore_database(
    engine: Engine, manifest: Manifest, source: Path, pg_bin_dir: Path | None
) -> None:
    [db] = [f for f in manifest.files if f.role == "database"]
    if engine.dialect.name == "sqlite":
        target = sqlite_path(engine.url.render_as_string(hide_password=False))
        if target is None:
            raise ValidationFailed("database_url: cannot restore into an in-memory database")
        engine.dispose()
        dumps.sqlite_restore(source / db.path, target)
    else:
        dumps.pg_reset(engine)
        dumps.pg_restore(engine, source / db.path, pg_bin_dir)


def _restore_linkage(manifest: Manifest, source: Path, store: Path) -> None:
    building = store.with_name(store.name + ".restoring")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    for f in manifest.files:
        if f.role != "linkage":
            continue
        copy = building / Path(f.path).relative_to(LINKAGE)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / f.path, copy)
    old = store.with_name(store.name + ".replaced")
    shutil.rmtree(old, ignore_errors=True)
    if store.exists():
        os.replace(store, old)
    os.replace(building, store)
    shutil.rmtree(old, ignore_errors=True)


def verify_restore(engine: Engine, manifest: Manifest, store: Path) -> RestoreReport:
    """Compare the restored database and store with the manifest; check the audit chain.

    Raises:
        ValidationFailed: every difference found, listed.
    """
    with engine.connect() as conn:
        snap = dumps.snapshot_of(conn)
        checkpoint = AuditCheckpoint(manifest.audit_seq, manifest.audit_hash, manifest.created_at)
        chain = verify_audit(conn, [checkpoint]) if "audit_log" in snap.counts else []
    problems = compare(
        manifest,
        schema_revision=snap.revision,
        counts=snap.counts,
        audit_seq=snap.audit_seq,
        audit_hash=snap.audit_hash,
    )
    problems += [f"audit entry {p.seq}: {p.problem}" for p in chain]
    for f in manifest.files:
        if f.role == "linkage":
            held = store / Path(f.path).relative_to(LINKAGE)
            if not held.is_file() or _sha256(held) != f.sha256:
                problems.append(f"{held}: not restored intact")
    if problems:
        raise ValidationFailed("the restore does not match the backup: " + "; ".join(problems))
    return RestoreReport(
        manifest=manifest,
        tables=len(snap.counts),
        rows=sum(snap.counts.values()),
        files=len(manifest.files),
    )
