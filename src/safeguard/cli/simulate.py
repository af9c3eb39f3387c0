"""`safeguard simulate`: write a synthetic force's interchange files and ground truth."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from safeguard.cli import context
from safeguard.simulation import SimulationConfig, simulate
from safeguard.simulation.config import DEFAULT_POPULATION, FORMATS, SMALL_POPULATION


def simulate_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for interchange/ and truth/"),
    population: int = typer.Option(
        DEFAULT_POPULATION, "--population", "-n", help="People in the county"
    ),
    years: int = typer.Option(5, "--years", help="Years of records, ending 2026-01-01"),
    seed: int = typer.Option(1, "--seed", help="Same seed, same files"),
    output_format: str = typer.Option(
        "csv", "--format", help=f"Interchange file format: {', '.join(FORMATS)}"
    ),
    small: bool = typer.Option(
        False, "--small", help=f"Preset: {SMALL_POPULATION:,} people (overrides --population)"
    ),
    workers: int = typer.Option(
        1, "--workers", help="Processes generating chunks in parallel (output is identical)"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Simulate a force: people, domestic abuse, missing episodes, exploitation, crime,
    procedures done late or not at all, and noisy records, with the truth kept apart."""
    with context.handled():
        config = SimulationConfig(
            population=SMALL_POPULATION if small else population,
            years=years,
            seed=seed,
            output_format=output_format,  # type: ignore[arg-type]  # validated by the config
            workers=max(1, min(workers, os.cpu_count() or 1)),
        )
        progress = Progress(
            TextColumn("[bold]simulate"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("people"),
            TimeElapsedColumn(),
            console=context.console,
            disable=quiet,
            transient=True,
        )
        with progress:
            task = progress.add_task("simulate", total=config.population)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = simulate(config, out, progress=on_progress)
        table = Table(title=f"{result.people:,} people, {config.years} years")
        table.add_column("record type")
        table.add_column("rows", justify="right")
        for rtype, n in result.counts.items():
            table.add_row(rtype, f"{n:,}")
        table.add_row("[bold]total", f"[bold]{result.total_rows:,}")
        context.out.print(table)
        rate = result.total_rows / max(result.seconds, 1e-9)
        context.out.print(
            f"{rate:,.0f} rows/s in {result.seconds:.1f} s; "
            f"interchange files in {result.interchange_dir}, truth in {result.truth_dir}"
        )


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
