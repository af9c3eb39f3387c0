"""`safeguard demo`: a simulated force, ingested, linked, assessed and served, in one command."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.cli import context
from safeguard.cli.serve import serve as serve_cmd
from safeguard.config import get_settings


def demo(
    folder: Path = typer.Option(Path("demo"), "--dir", help="Working folder for the demo"),
    population: int = typer.Option(20_000, "--population", help="People in the simulated force"),
    years: int = typer.Option(3, "--years", help="Years of records"),
    seed: int = typer.Option(1, "--seed", help="Simulation seed"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app at the end"),
    host: str | None = typer.Option(
        None, "--host", help="Address to serve on (default SAFEGUARD_HOST)"
    ),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Port to serve on (default SAFEGUARD_PORT)"
    ),
) -> None:
    """Simulate a modest force, ingest it into a SQLite file and run the later steps.

    Safe to re-run: the force is simulated once per size and seed, and ingest is idempotent.
    """
    # Imported here, not at the top: the pipeline loads linking and the simulator, which every
    # other command (and every spawned worker, which imports the CLI) would otherwise pay for.
    from safeguard.cli.demo_pipeline import DemoPlan, run_demo

    with context.handled():
        plan = DemoPlan(folder=folder, population=population, years=years, seed=seed)
        folder.mkdir(parents=True, exist_ok=True)
        engine = make_engine(plan.database_url)
        try:
            upgrade(engine)
            run_demo(plan, engine, lambda msg: context.console.print(f"[bold]demo[/] {msg}"))
        finally:
            engine.dispose()
        context.out.print(f"database: {plan.database_url}")
        context.out.print(
            f"the same database from any command: SAFEGUARD_DATABASE_URL={plan.database_url} "
            "safeguard status | report | assess | link ..."
        )
    if serve:
        # The web app reads its settings from the environment: point it at the demo database.
        os.environ["SAFEGUARD_DATABASE_URL"] = plan.database_url
        get_settings.cache_clear()
        settings = get_settings()
        serve_cmd(host=host or settings.host, port=port or settings.port, workers=1)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
