"""Shared CLI plumbing: settings, engine and consoles, built in the command, never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.config import Settings, get_settings
from safeguard.errors import SafeguardError
from safeguard.log import configure_logging

console = Console(stderr=True)
out = Console()
_engines: list[Engine] = []


def settings() -> Settings:
    return get_settings()


def engine(migrate: bool = True) -> Engine:
    """The configured database, migrated to head unless told otherwise."""
    eng = make_engine(settings().database_url)
    _engines.append(eng)
    if migrate:
        upgrade(eng)
    return eng


def anchor(eng: Engine) -> None:
    """Write the audit head to the operator's anchor file, when one is configured."""
    from safeguard.services.audit_anchor import anchor_after_run

    anchor_after_run(eng, settings().audit_anchor)


@contextmanager
def handled() -> Iterator[None]:
    """Turn a SafeguardError into a clear message and exit code 2, never a traceback."""
    configure_logging("WARNING")
    try:
        yield
    except SafeguardError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    finally:
        while _engines:
            _engines.pop().dispose()
