"""`safeguard backup` and `safeguard restore`: every piece of state, with a manifest."""

from __future__ import annotations

from pathlib import Path

import typer

from safeguard.cli import context
from safeguard.services import backup as svc


def backup(
    dest: Path = typer.Argument(..., help="New directory to write the backup into"),
) -> None:
    """Back up the database and the linkage store, with a manifest (counts, audit head, SHA-256)."""
    with context.handled():
        settings = context.settings()
        eng = context.engine(migrate=False)
        manifest = svc.create_backup(
            eng, data_dir=settings.data_dir, dest=dest, pg_bin_dir=settings.pg_bin_dir
        )
        rows = sum(manifest.counts.values())
        size = sum(f.size for f in manifest.files)
        context.out.print(
            f"backup {dest}: {len(manifest.counts)} tables, {rows:,} rows, "
            f"{len(manifest.files)} files ({size:,} bytes), schema {manifest.schema_revision}, "
            f"audit head {manifest.audit_seq}"
        )


def restore(
    source: Path = typer.Argument(..., help="A backup directory written by `safeguard backup`"),
    force: bool = typer.Option(
        False, "--force", help="Replace a target database or linkage store that is not empty"
    ),
) -> None:
    """Restore a backup into the configured database and data directory, then verify it."""
    with context.handled():
        settings = context.settings()
        eng = context.engine(migrate=False)
        report = svc.restore_backup(
            eng,
            data_dir=settings.data_dir,
            source=source,
            force=force,
            pg_bin_dir=settings.pg_bin_dir,
        )
        m = report.manifest
        done = "already restored; verified again" if report.already_complete else "restored"
        context.out.print(
            f"{done} and verified: {report.tables} tables, {report.rows:,} rows, "
            f"{report.files} files; schema {m.schema_revision}; audit chain intact to entry "
            f"{m.audit_seq}"
        )


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
