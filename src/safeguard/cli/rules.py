"""`safeguard rules test`: run scenario files (records in, findings expected) against the rules."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from safeguard.cli import context
from safeguard.rules.scenario import CaseResult, run_file, shipped_scenarios

rules_app = typer.Typer(help="The rules: test them against scenarios.", no_args_is_help=True)


@rules_app.command("test")
def test_cmd(
    files: list[Path] = typer.Argument(
        None, help="Scenario files (YAML); the shipped boundary cases from the guidance if none"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show passing cases too"),
) -> None:
    """Run scenarios and report pass or fail per case; exit 1 when any case fails."""
    from safeguard.services.assessment import Assessor  # the force's settings and instruments

    with context.handled():
        assessor = Assessor.from_settings()
        paths = list(files) if files else shipped_scenarios()
        results: list[CaseResult] = []
        for path in paths:
            results += run_file(path, assessor.catalogue, assessor.config)
        table = Table(title="Scenarios")
        for name in ("result", "file", "case", "source", "why"):
            table.add_column(name, overflow="fold")
        for r in results:
            if verbose or not r.passed:
                table.add_row(
                    "pass" if r.passed else "[bold red]FAIL[/]",
                    Path(r.file).name,
                    r.name,
                    r.source,
                    "; ".join(r.problems),
                )
        if table.rows:
            context.out.print(table)
        failed = sum(not r.passed for r in results)
        context.out.print(f"{len(results) - failed} passed, {failed} failed ({len(paths)} files)")
        if failed:
            raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")
