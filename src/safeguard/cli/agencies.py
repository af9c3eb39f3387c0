"""`safeguard agencies ...`: the registry of partner agencies that shares and referrals use."""

from __future__ import annotations

import typer
from rich.table import Table

from safeguard.cli import context
from safeguard.services import partners

agencies_app = typer.Typer(
    help="Partner agencies: the registry that shares, referrals and partner accounts use.",
    no_args_is_help=True,
)


@agencies_app.command("list")
def agencies_list() -> None:
    """Every registered partner agency."""
    with context.handled():
        with context.engine().connect() as conn:
            found = partners.list_agencies(conn)
        table = Table("code", "name", "sector")
        for a in found:
            table.add_row(a.code, a.display_name, str(a.sector))
        context.out.print(table)


@agencies_app.command("add")
def agencies_add(
    code: str = typer.Argument(..., help="Short code, e.g. childrens-services"),
    name: str = typer.Option(..., "--name", help="Display name, e.g. Cumbria Children's Services"),
    sector: str = typer.Option(..., "--sector", help="e.g. children's social care, health"),
    alias: list[str] = typer.Option(  # noqa: B006 - typer reads the default
        [], "--alias", help="Another name records use for it (repeatable)."
    ),
) -> None:
    """Register a partner agency (kept if already there) and the names records use for it."""
    with context.handled():
        with context.engine().begin() as conn:
            agency = partners.register_agency(
                conn, code=code, display_name=name, sector=sector, names=alias
            )
        context.out.print(f"agency {agency.code} registered ({agency.display_name})")


def register(app: typer.Typer) -> None:
    app.add_typer(agencies_app, name="agencies")
