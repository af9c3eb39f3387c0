"""Shared CLI plumbing: settings, engine and consoles, built in the command, never at import."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.config import Settings, get_settings
from safeguard.domain.access import Actor, SystemJob
from safeguard.domain.local_time import LocalTime
from safeguard.errors import ConfigError, SafeguardError, ValidationFailed
from safeguard.log import configure_logging

console = Console(stderr=True)
out = Console()
_engines: list[Engine] = []
_acting_as: str | None = None


def settings() -> Settings:
    return get_settings()


def use_database(url: str) -> None:
    """``--database-url``: this command (and anything it starts) uses ``url``."""
    os.environ["SAFEGUARD_DATABASE_URL"] = url
    get_settings.cache_clear()


def use_actor(username: str | None) -> None:
    """``--as``: this command acts as the account ``username`` (None: as ``SAFEGUARD_ACTOR``
    says). Set by every invocation, so that one command's ``--as`` never carries over."""
    global _acting_as
    _acting_as = username


def acting_as() -> str | None:
    """The username ``--as`` (or ``SAFEGUARD_ACTOR``) names, if any."""
    return _acting_as or settings().actor


def actor(eng: Engine) -> Actor:
    """The account this command acts as: ``--as`` or ``SAFEGUARD_ACTOR``, checked to be an
    existing, active, unlocked account; its role decides what the command may do.

    Raises:
        ConfigError: neither names an account.
        NotFound: no such account.
        PermissionDenied: the account is inactive or locked.
    """
    from safeguard.services import accounts

    name = acting_as()
    if not name:
        raise ConfigError(
            "this command acts for an account: pass --as USERNAME before the command "
            "(e.g. safeguard --as mash_analyst link confirm ...) or set SAFEGUARD_ACTOR"
        )
    with eng.connect() as conn:
        return accounts.actor_named(conn, name)


def actor_or(eng: Engine, job: SystemJob) -> Actor | SystemJob:
    """The account named by ``--as`` (checked as ``actor`` checks it), or ``job`` when none is."""
    return actor(eng) if acting_as() else job


def run_as(eng: Engine, job: str) -> Actor | SystemJob:
    """Who a batch run (ingest, link, assess, train) is done for, recorded and audited under:
    the account named by ``--as`` (checked), else the declared batch job ``--actor`` names
    (``cli`` or ``nightly``; ``unit_of_work.BATCH_JOBS``). The service checks what it may do.

    Raises:
        ValidationFailed: ``--as`` is not given and ``job`` is not a declared batch job.
        NotFound, PermissionDenied: ``--as`` names no account, or an inactive or locked one.
    """
    from safeguard.services.unit_of_work import batch_job

    return actor_or(eng, batch_job(job))


def operator(eng: Engine) -> Actor | SystemJob:
    """Who a command that writes something out (a quarantine or board export) is done for:
    the account named by ``--as`` (checked), else the declared operator job ``cli``; never the
    operating-system user, which nobody checked."""
    from safeguard.services.unit_of_work import OPERATOR_RUN

    return actor_or(eng, OPERATOR_RUN)


def database_url() -> str:
    """The database the command is told to use; no silent default.

    Raises:
        ConfigError: neither ``SAFEGUARD_DATABASE_URL`` (environment or ``.env``) nor
            ``--database-url`` says which database; the message names the one it would use.
    """
    current = settings()
    if "database_url" not in current.model_fields_set:
        raise ConfigError(
            f"no database configured: this command would use {current.database_url} "
            "(a file in the current directory). Set SAFEGUARD_DATABASE_URL or pass "
            "--database-url URL before the command (e.g. safeguard --database-url "
            f"{current.database_url} assess); `safeguard demo` makes its own."
        )
    return current.database_url


def engine(migrate: bool = True) -> Engine:
    """The configured database, migrated to head unless told otherwise."""
    eng = make_engine(database_url())
    _engines.append(eng)
    if migrate:
        upgrade(eng)
    return eng


def anchor(eng: Engine) -> None:
    """Write the audit head to the operator's anchor file, when one is configured."""
    from safeguard.services.audit_anchor import anchor_after_run

    anchor_after_run(eng, settings().audit_anchor)


def parse_moment(value: str | None, option: str = "--as-of") -> datetime | None:
    """An ISO 8601 moment with an offset (``2026-03-29T00:30:00+00:00``, ``...Z``) as UTC; a
    date alone (``2026-03-29``) is the start of that day in Europe/London."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{option} {value!r}: expected an ISO 8601 time with offset, e.g. "
            "2026-03-29T00:30:00Z, or a date 2026-03-29"
        ) from None
    if parsed.tzinfo is None:
        if len(value) == 10:
            return LocalTime().start_of(parsed.date())
        raise ValidationFailed(f"{option} {value!r}: give a timezone offset, e.g. Z or +01:00")
    return parsed.astimezone(UTC)


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
