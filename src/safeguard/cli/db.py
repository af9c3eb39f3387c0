"""`safeguard db ...` and `safeguard status`: migrations and what is stored."""

from __future__ import annotations

import typer
from rich.table import Table

from safeguard.adapters.db import engine as db_engine
from safeguard.adapters.db import runs
from safeguard.adapters.db.stored_counts import stored_counts
from safeguard.cli import context

db_app = typer.Typer(
    help="Database: apply migrations, show the schema revision.", no_args_is_help=True
)


@db_app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply database migrations (SQLite file or SAFEGUARD_DATABASE_URL)."""
    with context.handled():
        eng = context.engine(migrate=False)
        db_engine.upgrade(eng, revision)
        context.out.print(f"database at revision {db_engine.current_revision(eng)}")


@db_app.command("downgrade")
def downgrade_cmd(revision: str = typer.Argument(..., help="Target revision, e.g. base")) -> None:
    """Revert database migrations to REVISION."""
    with context.handled():
        eng = context.engine(migrate=False)
        db_engine.downgrade(eng, revision)
        context.out.print(f"database at revision {db_engine.current_revision(eng)}")


@db_app.command("revision")
def revision_cmd() -> None:
    """Show the current and the latest schema revision."""
    with context.handled():
        eng = context.engine(migrate=False)
        current, head = db_engine.current_revision(eng), db_engine.head_revision()
        context.out.print(f"current {current}, latest {head}")


def status(
    runs_shown: int = typer.Option(3, "--runs", min=1, help="Latest runs shown of each kind"),
) -> None:
    """Say what is stored: records by type, history, quarantine and flagged fields, and the
    latest ingest, link and assess runs (a run whose process is gone is marked abandoned)."""
    with context.handled():
        eng = context.engine()
        abandoned = runs.reconcile(eng)
        table = Table(title="Stored records")
        table.add_column("record type")
        table.add_column("records", justify="right")
        with eng.connect() as conn:
            counts = stored_counts(conn)
            latest = {kind: runs.recent(conn, kind, limit=runs_shown) for kind in runs.RUN_TABLES}
        for rtype, n in counts.records.items():
            table.add_row(rtype, f"{n:,}")
        context.out.print(table)
        context.out.print(
            f"earlier versions kept: {counts.history:,}; "
            f"quarantined rows: {counts.quarantined:,}; "
            f"fields flagged and stored as null: {counts.flagged:,}"
        )
        for kind, id_ in abandoned:
            context.out.print(
                f"[yellow]{kind} run {id_} was left running by a process that is gone: "
                "marked abandoned[/]"
            )
        run_table = Table(title="Latest runs")
        for name in ("kind", "run", "status", "started (UTC)", "finished (UTC)", "by", "what"):
            run_table.add_column(name)
        for kind, rows in latest.items():
            if not rows:
                run_table.add_row(kind, "-", "none yet", "", "", "", "")
            for r in rows:
                run_table.add_row(
                    kind,
                    str(r.id),
                    r.status,
                    f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                    f"{r.finished_at:%Y-%m-%d %H:%M:%S}" if r.finished_at else "",
                    r.actor,
                    r.detail,
                )
        context.out.print(run_table)
        context.out.print(f"schema revision {db_engine.current_revision(eng)}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("status")(status)
