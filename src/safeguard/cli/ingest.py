"""`safeguard ingest`: load interchange files, with progress and a summary of what was kept."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safeguard.adapters.db import quarantine_records
from safeguard.cli import context
from safeguard.domain.access import Action
from safeguard.domain.spreadsheet import safe_cell
from safeguard.services import audit_trail
from safeguard.services.ingest import IngestSummary, ingest_paths
from safeguard.services.unit_of_work import authorize


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files (.csv, .jsonl, .parquet) or folders"),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any row was quarantined"),
    encoding: str = typer.Option("utf-8", help="Text encoding of CSV / JSON Lines files"),
    job: str = typer.Option(
        "cli",
        "--actor",
        help="Batch job (cli or nightly) the run is recorded under, unless --as",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Ingest as if it were this moment (ISO 8601 with offset, or a date): the "
        "one-hour-future quarantine is measured against it, so a scenario can be replayed "
        "or run in advance",
    ),
) -> None:
    """Ingest records-system exports; bad rows are quarantined with file, row, field and reason."""
    with context.handled():
        moment = context.parse_moment(as_of)
        settings = context.settings()
        eng = context.engine()
        principal = context.run_as(eng, job)
        total = sum(p.stat().st_size for p in _files(paths))
        progress = Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows {task.fields[rows]:,}"),
            TimeElapsedColumn(),
            console=context.console,
            disable=quiet,
            transient=True,
        )
        with progress:
            task = progress.add_task("ingest", total=max(total, 1), rows=0)
            rows = 0

            def on_rows(n: int) -> None:
                nonlocal rows
                rows += n
                progress.update(task, rows=rows)

            def on_file(_: object, size: int) -> None:
                progress.advance(task, size)

            summary = ingest_paths(
                eng,
                paths,
                actor=principal,
                encoding=encoding,
                batch_rows=settings.ingest_batch_rows,
                future_tolerance=timedelta(minutes=settings.future_tolerance_minutes),
                now=moment,
                on_rows=on_rows,
                on_file=on_file,
            )
        context.anchor(eng)
        _print(summary)
        if summary.rejected_files or (strict and not summary.clean):
            raise typer.Exit(code=1)


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file()]
        elif p.exists():
            out.append(p)
    return out


def _print(summary: IngestSummary) -> None:
    table = Table(title=f"Ingest run {summary.run_id}")
    names = ("file", "type", "read", "new", "changed", "unchanged", "duplicate", "quarantined")
    for name in (*names, "flagged"):
        table.add_column(name, justify="left" if name in ("file", "type") else "right")
    for f in summary.files:
        table.add_row(
            Path(f.path).name,
            f.record_type or "-",
            f"{f.rows_read:,}",
            f"{f.inserted:,}",
            f"{f.updated:,}",
            f"{f.unchanged:,}",
            f"{f.duplicates:,}",
            f"{f.quarantined:,}",
            f"{f.flagged:,}",
        )
    context.out.print(table)
    for f in summary.rejected_files:
        context.out.print(f"[red]rejected[/] {f.path}: {f.error}")
    q = summary.total("quarantined")
    if q:
        context.out.print(f"{q:,} row(s) quarantined: see `safeguard quarantine list`")
    flagged = summary.total("flagged")
    if flagged:
        context.out.print(
            f"{flagged:,} field(s) failed a check and were stored as null, their records kept: "
            "see `safeguard quarantine list`"
        )


quarantine_app = typer.Typer(
    help="Rows that could not be stored, and fields stored as null, and why.", no_args_is_help=True
)


@quarantine_app.command("list")
def quarantine_list(
    run: int | None = typer.Option(None, help="Only this ingest run"),
    limit: int = typer.Option(50, help="At most this many rows"),
) -> None:
    """Show quarantined rows (file, row, field, reason), then fields stored as null with a
    data-quality flag (the rest of their record was kept)."""
    with context.handled():
        eng = context.engine()
        table = Table(title="Quarantined rows (not stored)")
        for name in ("run", "file", "row", "field", "source id", "reason"):
            table.add_column(name)
        flagged = Table(title="Flagged fields (stored as null, the record kept)")
        for name in ("run", "file", "row", "record", "field", "value", "reason"):
            flagged.add_column(name)
        with eng.connect() as conn:
            for r in quarantine_records.quarantined(conn, run=run, limit=limit):
                table.add_row(
                    str(r.run_id),
                    Path(r.file_path).name,
                    str(r.row_number),
                    r.field,
                    r.source_id or "",
                    r.reason,
                )
            for f in quarantine_records.flagged_fields(conn, run=run, limit=limit):
                flagged.add_row(
                    str(f.run_id),
                    Path(f.file_path).name,
                    str(f.row_number),
                    f"{f.record_type} {f.source_system}/{f.source_id}",
                    f.field,
                    f.value or "",
                    f.reason,
                )
        context.out.print(table)
        context.out.print(flagged)


@quarantine_app.command("export")
def quarantine_export(
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    run: int | None = typer.Option(None, help="Only this ingest run"),
) -> None:
    """Export quarantined rows as CSV, with spreadsheet formulas neutralised."""
    with context.handled():
        eng = context.engine()
        # Quarantined rows are raw records (personal data): only who may run an ingest (or
        # the declared operator job) may write them out, and nothing is written otherwise.
        principal = authorize(context.operator(eng), Action.RUN_BATCH_JOBS)
        columns = [
            "run_id",
            "file_path",
            "row_number",
            "field",
            "record_type",
            "source_system",
            "source_id",
            "reason",
            "raw",
        ]
        with eng.connect() as conn, out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            n = 0
            for r in quarantine_records.quarantined(conn, run=run):
                writer.writerow([safe_cell(getattr(r, c)) for c in columns])
                n += 1
        # Quarantined rows are raw records (personal data): writing them out is audited.
        audit_trail.record_apart(
            eng,
            audit_trail.export(
                principal,
                what="quarantine",
                records=[str(run) if run is not None else "all"],
                justification="Correcting quarantined records",
                rows=n,
                file=out.name[:200],
            ),
        )
        context.console.print(f"{n} row(s) written to {out}")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.add_typer(quarantine_app, name="quarantine")
