"""`safeguard db ...` and `safeguard status`: migrations and what is stored."""

from __future__ import annotations

import sqlalchemy as sa
import typer
from rich.table import Table

from safeguard.adapters.db import engine as db_engine
from safeguard.adapters.db.tables import ingest_runs, quarantine, record_history, record_tables
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


def status() -> None:
    """Say what is stored: records by type, history, quarantine, the last ingest runs."""
    with context.handled():
        eng = context.engine()
        table = Table(title="Stored records")
        table.add_column("record type")
        table.add_column("records", justify="right")
        with eng.connect() as conn:
            for rtype, tbl in record_tables.items():
                n = conn.execute(sa.select(sa.func.count()).select_from(tbl)).scalar_one()
                table.add_row(rtype, f"{n:,}")
            hist = conn.execute(sa.select(sa.func.count()).select_from(record_history)).scalar_one()
            quar = conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar_one()
            last = conn.execute(
                sa.select(ingest_runs).order_by(ingest_runs.c.id.desc()).limit(1)
            ).first()
        context.out.print(table)
        context.out.print(f"earlier versions kept: {hist:,}; quarantined rows: {quar:,}")
        if last is not None:
            context.out.print(
                f"last ingest run {last.id}: {last.status}, {last.rows_read:,} rows read, "
                f"{last.inserted:,} new, {last.updated:,} changed, {last.quarantined:,} quarantined"
            )
        context.out.print(f"schema revision {db_engine.current_revision(eng)}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("status")(status)
