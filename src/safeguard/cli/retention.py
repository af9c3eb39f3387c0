"""`safeguard retention ...`: the MoPI review worklist, review decisions and legal holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer
from rich.table import Table
from sqlalchemy.engine import Connection

from safeguard.cli import context
from safeguard.domain.access import Actor
from safeguard.domain.retention import Decision
from safeguard.errors import ConfigError, ValidationFailed
from safeguard.services import accounts
from safeguard.services import retention as svc
from safeguard.services.unit_of_work import UnitOfWork

retention_app = typer.Typer(
    help="MoPI review, retention and disposal: worklist, decisions, legal holds.",
    no_args_is_help=True,
)
USER = typer.Option(
    None, "--user", help="The records manager's account (audited); default: the one named by --as"
)


def _actor(conn: Connection, user: str | None) -> Actor:
    """The account named by --user, else by --as (or SAFEGUARD_ACTOR); checked to exist, be
    active and unlocked."""
    name = user or context.acting_as()
    if not name:
        raise ConfigError("name the records manager's account: --user USERNAME or --as USERNAME")
    return accounts.actor_named(conn, name)


def _today(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"--today: {value!r} is not a date (YYYY-MM-DD)") from None


@retention_app.command("list")
def list_cmd(
    user: str | None = USER,
    horizon: int = typer.Option(0, min=0, max=3650, help="Also show reviews due within N days"),
    limit: int = typer.Option(100, min=1, max=10000, help="At most this many"),
    today: str = typer.Option(None, help="Review as of this date (YYYY-MM-DD; default today)"),
) -> None:
    """People whose records are due for review, most overdue first (ids only, audited)."""
    with context.handled():
        policy = svc.load_policy(context.settings().retention_file)
        eng = context.engine()
        with eng.begin() as conn:
            actor = _actor(conn, user)
            items = svc.review_worklist(
                UnitOfWork(conn, actor),
                policy=policy,
                today=_today(today),
                horizon_days=horizon,
                limit=limit,
            )
        table = Table("person", "group", "review due", "earliest disposal", "why", "notes")
        for item in items:
            notes = []
            if item.restricted:
                notes.append("restricted: break glass first")
            if item.hold_reason:
                notes.append("legal hold")
            d = item.due
            table.add_row(
                str(d.person_id),
                d.group,
                d.review_on.isoformat(),
                d.earliest_disposal.isoformat(),
                d.reason,
                "; ".join(notes),
            )
        context.out.print(table)
        context.out.print(f"{len(items)} review(s) due")


@retention_app.command("review")
def review_cmd(
    person_id: int = typer.Argument(..., help="Person id"),
    user: str | None = USER,
    rationale: str = typer.Option(..., help="Why the records are kept (recorded and audited)"),
    next_review: str = typer.Option(..., help="Next review date (YYYY-MM-DD)"),
    today: str = typer.Option(None, help="Decide as of this date (default today)"),
) -> None:
    """Record a decision to retain a person's records, with a rationale and the next review."""
    with context.handled():
        try:
            when = date.fromisoformat(next_review)
        except ValueError:
            raise ValidationFailed(f"--next-review: {next_review!r} is not a date") from None
        policy = svc.load_policy(context.settings().retention_file)
        with context.engine().begin() as conn:
            actor = _actor(conn, user)
            rid = svc.decide(
                UnitOfWork(conn, actor),
                person_id=person_id,
                decision=Decision.RETAIN,
                rationale=rationale,
                policy=policy,
                today=_today(today),
                next_review=when,
            )
        context.out.print(f"review {rid}: person {person_id} retained, next review {when}")


@retention_app.command("dispose")
def dispose_cmd(
    person_id: int = typer.Argument(..., help="Person id"),
    user: str | None = USER,
    rationale: str = typer.Option(..., help="Why the records are no longer needed"),
    today: str = typer.Option(None, help="Decide as of this date (default today)"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
) -> None:
    """Dispose of a person's records: every table, the audit log keeping only the fact."""
    with context.handled():
        if not yes:
            typer.confirm(f"Dispose of every record of person {person_id}?", abort=True)
        policy = svc.load_policy(context.settings().retention_file)
        with context.engine().begin() as conn:
            actor = _actor(conn, user)
            rid = svc.decide(
                UnitOfWork(conn, actor),
                person_id=person_id,
                decision=Decision.DISPOSE,
                rationale=rationale,
                policy=policy,
                today=_today(today),
            )
        context.out.print(f"review {rid}: person {person_id} disposed of")


@retention_app.command("hold")
def hold_cmd(
    person_id: int = typer.Argument(..., help="Person id"),
    user: str | None = USER,
    reason: str = typer.Option(..., help="Why (litigation, inquiry...): recorded and audited"),
    lift: bool = typer.Option(False, "--lift", help="Lift the hold instead"),
) -> None:
    """Place (or lift) a legal hold: held records are never disposed of."""
    with context.handled():
        with context.engine().begin() as conn:
            actor = _actor(conn, user)
            if lift:
                svc.lift_hold(UnitOfWork(conn, actor), person_id=person_id, reason=reason)
            else:
                svc.place_hold(UnitOfWork(conn, actor), person_id=person_id, reason=reason)
        context.out.print(f"legal hold on person {person_id} {'lifted' if lift else 'placed'}")


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
