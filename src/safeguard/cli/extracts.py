"""`safeguard simulate-extracts`: realistic police-style extracts for the linking benchmark."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from safeguard.cli import context
from safeguard.simulation.extracts import ExtractConfig, generate_extracts
from safeguard.simulation.extracts.config import PROFILES


def simulate_extracts_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for interchange/ and truth/"),
    people: int = typer.Option(None, "--people", "-n", help="People in the extracts"),
    mentions: int = typer.Option(
        None, "--mentions", help="Instead of --people: about this many person mentions"
    ),
    profile: str = typer.Option(
        "police", "--profile", help=f"Habits of the data: {', '.join(PROFILES)}"
    ),
    seed: int = typer.Option(1, "--seed", help="Same seed, same files"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar"),
) -> None:
    """Generate realistic extracts of several source systems (custody, command and control,
    referrals; a partner agency in the diverse profile) with households, twins, same-named
    fathers and sons, name changes and moves, and the truth kept apart."""
    with context.handled():
        if profile not in PROFILES:
            raise typer.BadParameter(f"one of {', '.join(PROFILES)}", param_hint="--profile")
        probe = ExtractConfig.for_profile(profile, people=1, seed=seed)
        if people is None:
            people = max(1, round((mentions or 100_000) / probe.mean_mentions()))
        config = ExtractConfig.for_profile(profile, people=people, seed=seed)
        progress = Progress(
            TextColumn("[bold]extracts"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("people"),
            TimeElapsedColumn(),
            console=context.console,
            disable=quiet,
            transient=True,
        )
        with progress:
            task = progress.add_task("extracts", total=config.people)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            result = generate_extracts(config, out, progress=on_progress)
        context.out.print(
            f"{result.people:,} people, {result.mentions:,} mentions, {result.events:,} events "
            f"in {result.seconds:.1f} s; interchange files in {result.interchange_dir}, "
            f"truth in {result.truth_dir}"
        )


def register(app: typer.Typer) -> None:
    app.command("simulate-extracts")(simulate_extracts_cmd)
