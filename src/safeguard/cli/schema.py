"""`safeguard schema ...`: the interchange schema as Markdown or JSON Schema files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from safeguard.cli import context
from safeguard.interchange.docs import render_markdown
from safeguard.interchange.schema import all_specs

schema_app = typer.Typer(
    help="The interchange schema: documentation and JSON Schema files.", no_args_is_help=True
)


@schema_app.command("markdown")
def markdown() -> None:
    """Print the schema documentation (docs/schema.md) as Markdown."""
    context.out.print(render_markdown(), markup=False, highlight=False, soft_wrap=True, end="")


@schema_app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write the JSON Schema files to"),
) -> None:
    """Write one JSON Schema file per record type, for a records-system supplier."""
    out.mkdir(parents=True, exist_ok=True)
    for spec in all_specs():
        (out / f"{spec.record_type}.schema.json").write_text(
            json.dumps(spec.schema, indent=2) + "\n"
        )
    context.console.print(f"{len(all_specs())} schema files written to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(schema_app, name="schema")
