"""The `safeguard` command line: one Typer app, one sub-module per command group."""

from __future__ import annotations

import typer

from safeguard.cli import agencies as agencies_cli
from safeguard.cli import assess as assess_cli
from safeguard.cli import backup as backup_cli
from safeguard.cli import context
from safeguard.cli import db as db_cli
from safeguard.cli import demo as demo_cli
from safeguard.cli import extracts as extracts_cli
from safeguard.cli import ingest as ingest_cli
from safeguard.cli import link as link_cli
from safeguard.cli import report as report_cli
from safeguard.cli import retention as retention_cli
from safeguard.cli import risk as risk_cli
from safeguard.cli import rules as rules_cli
from safeguard.cli import schema as schema_cli
from safeguard.cli import serve as serve_cli
from safeguard.cli import simulate as simulate_cli

app = typer.Typer(
    name="safeguard",
    help="safeguard: one history per person, consistent risk assessment, assured procedures.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root(
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="The database to use (overrides SAFEGUARD_DATABASE_URL). Commands other than "
        "`demo` refuse to run when neither says which database.",
    ),
    acting_as: str | None = typer.Option(
        None,
        "--as",
        metavar="USERNAME",
        help="The existing account this command acts as (overrides SAFEGUARD_ACTOR): link "
        "decisions, finding changes and finding reads are checked against its role and "
        "audited under it.",
    ),
) -> None:
    """safeguard: one history per person, consistent risk assessment, assured procedures."""
    if database_url:
        context.use_database(database_url)
    context.use_actor(acting_as)


agencies_cli.register(app)
db_cli.register(app)
ingest_cli.register(app)
link_cli.register(app)
report_cli.register(app)
rules_cli.register(app)
risk_cli.register(app)
assess_cli.register(app)
schema_cli.register(app)
serve_cli.register(app)
simulate_cli.register(app)
backup_cli.register(app)
extracts_cli.register(app)
retention_cli.register(app)
demo_cli.register(app)


def main() -> None:
    """Entry point of the `safeguard` console script."""
    app()
