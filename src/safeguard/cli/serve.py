"""`safeguard serve`, `safeguard users ...` and `safeguard audit ...`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from safeguard.adapters.db.audit import verify_audit
from safeguard.cli import context
from safeguard.domain.access import ROLE_LABELS, Action, Role
from safeguard.domain.audit import AuditCategory
from safeguard.errors import ConfigError, ValidationFailed
from safeguard.services import accounts, audit_trail
from safeguard.services.unit_of_work import UnitOfWork, authorize, batch_job

users_app = typer.Typer(
    help="Accounts: add users, demo personas, API tokens.", no_args_is_help=True
)
audit_app = typer.Typer(
    help="The section 62 audit log: verify it, see who viewed a person.", no_args_is_help=True
)


def _demo_lines() -> list[str]:
    return [
        f"  {username:<14} {ROLE_LABELS[role]}{f' ({agency})' if agency else ''}"
        for username, _, role, agency in accounts.DEMO_USERS
    ]


def serve(
    host: str = typer.Option(None, help="Address to listen on (default SAFEGUARD_HOST)."),
    port: int = typer.Option(None, help="Port (default SAFEGUARD_PORT)."),
    workers: int = typer.Option(1, min=1, max=16, help="Worker processes."),
) -> None:
    """Run the web app and API (migrates the database first)."""
    import uvicorn

    from safeguard.log import configure_logging

    with context.handled():
        settings = context.settings()
        eng = context.engine()
        host = host or settings.host
        port = port or settings.port
        with eng.connect() as conn:
            users = accounts.list_users(conn)
        eng.dispose()
        configure_logging("INFO")
        context.out.print(f"safeguard is serving on http://{host}:{port}/ (API: /api/docs)")
        demo = {str(u["username"]) for u in users} & {u[0] for u in accounts.DEMO_USERS}
        if demo and settings.environment == "development":
            context.out.print(f"demo sign-ins (password: {accounts.DEMO_PASSWORD}):")
            for line in _demo_lines():
                context.out.print(line)
        elif not users:
            context.out.print("no users yet: add one with `safeguard users add`")
    uvicorn.run(
        "safeguard.web.main:build",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
    )


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name, e.g. pc_patel"),
    role: Role = typer.Option(..., help="Role"),
    name: str = typer.Option(..., "--name", help="Display name"),
    agency: str = typer.Option(None, help="Agency code (partner-agency users only)"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="12-128 characters"
    ),
) -> None:
    """Add a local account (argon2-hashed password), as the administrator named by --as; the
    first account of an empty database needs no --as (it is audited as 'bootstrap')."""
    with context.handled():
        eng = context.engine()
        with UnitOfWork.begin(eng, context.actor_or(eng, accounts.BOOTSTRAP)) as uow:
            uid = accounts.create_user(
                uow,
                username=username,
                display_name=name,
                role=role,
                password=password,
                agency=agency,
            )
        context.out.print(f"user {username} created (id {uid}, role {role})")


@users_app.command("lock")
def users_lock(
    username: str = typer.Argument(..., help="The account to lock"),
    minutes: int = typer.Option(60, help="How long; 0 unlocks it.", min=0, max=525600),
) -> None:
    """Lock an account (it answers exactly as a wrong password does), or unlock it; as the
    administrator named by --as."""
    from datetime import UTC, datetime, timedelta

    with context.handled():
        until = datetime.now(UTC) + timedelta(minutes=minutes) if minutes else None
        eng = context.engine()
        with UnitOfWork.begin(eng, context.actor(eng)) as uow:
            accounts.lock_user(uow, username=username, until=until)
        context.out.print(f"user {username} {'locked' if until else 'unlocked'}")


@users_app.command("demo")
def users_demo() -> None:
    """Create one demo persona per role (development only), all with the demo password."""
    with context.handled():
        if context.settings().environment != "development":
            raise ConfigError("demo users exist only in development (SAFEGUARD_ENVIRONMENT)")
        from safeguard.cli.demo_pipeline import register_demo_agencies

        eng = context.engine()
        with UnitOfWork.begin(eng, accounts.DEMO) as uow:
            register_demo_agencies(uow.conn)
            accounts.create_demo_users(uow)
        context.out.print(f"demo sign-ins (password: {accounts.DEMO_PASSWORD}):")
        for line in _demo_lines():
            context.out.print(line)


@users_app.command("token")
def users_token(
    username: str = typer.Argument(..., help="User the machine client acts as"),
    name: str = typer.Option(..., "--name", help="What the token is for"),
) -> None:
    """Issue an API token (shown once; send it as `Authorization: Bearer ...`), as the
    administrator named by --as."""
    with context.handled():
        eng = context.engine()
        with UnitOfWork.begin(eng, context.actor(eng)) as uow:
            token = accounts.issue_api_token(uow, username=username, name=name)
        context.out.print(token)


@users_app.command("list")
def users_list() -> None:
    """List accounts."""
    with context.handled():
        eng = context.engine()
        with eng.connect() as conn:
            rows = accounts.list_users(conn)
        table = Table("username", "role", "agency", "active", "last sign-in")
        for r in rows:
            table.add_row(
                str(r["username"]),
                str(r["role"]),
                str(r["agency"] or ""),
                "yes" if r["active"] else "no",
                str(r["last_login_at"] or ""),
            )
        context.out.print(table)


@audit_app.command("verify")
def audit_verify(
    checkpoint: Path = typer.Option(
        None,
        "--checkpoint",
        help="Also check against every checkpoint in this anchor file (JSON lines)",
    ),
    job: str = typer.Option(
        "cli",
        "--actor",
        help="The batch job (cli or nightly) audited when no account is named by --as",
    ),
) -> None:
    """Check the hash chain (and any checkpoints): exit 1 and list every problem found.
    Audited as a reading of the log: under --as when given, else under the batch job."""
    from safeguard.services.audit_anchor import read_checkpoints

    with context.handled():
        checkpoints = read_checkpoints(checkpoint) if checkpoint is not None else []
        eng = context.engine()
        # Checked before the log is read: an account must be granted VIEW_AUDIT.
        principal = authorize(context.actor_or(eng, batch_job(job)), Action.VIEW_AUDIT)
        with eng.connect() as conn:
            problems = verify_audit(conn, checkpoints)
        if not problems:
            with UnitOfWork.begin(eng, principal) as uow:
                uow.audit(
                    "audit.verify",
                    AuditCategory.CONSULTATION,
                    "audit_log",
                    record_ids=["chain"],
                    justification="Verifying the audit chain",
                )
            extra = f" and matches {len(checkpoints)} checkpoint(s)" if checkpoints else ""
            context.out.print(f"audit log intact{extra}")
            return
        for p in problems:
            context.console.print(f"[bold red]entry {p.seq}:[/] {p.problem}")
        raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def audit_checkpoint_cmd(
    file: Path = typer.Option(
        None,
        "--file",
        help="Append the head to this file (JSON lines; default SAFEGUARD_AUDIT_ANCHOR)",
    ),
) -> None:
    """Print the audit chain's head (sequence, hash, time) and append it to the anchor file."""
    from safeguard.services.audit_anchor import take_checkpoint

    with context.handled():
        target = file or context.settings().audit_anchor
        cp = take_checkpoint(context.engine(), target)
        context.out.print(cp.to_json())
        if target is not None:
            context.console.print(f"[dim]appended to {target}[/]")


@audit_app.command("person")
def audit_person(
    person_id: int = typer.Argument(..., help="Person id"),
    limit: int = typer.Option(500, min=1, help="At most this many entries, newest first"),
) -> None:
    """Who consulted or changed a person's records, when and why (newest first), as the
    account named by --as (a supervisor or an administrator); the reading is audited."""
    with context.handled():
        if person_id == 0:
            raise ValidationFailed("person_id: must not be 0")
        eng = context.engine()
        with UnitOfWork.begin(eng, context.actor(eng)) as uow:
            entries = audit_trail.person_log(uow, person_id, limit=limit)
        table = Table("when", "who", "role", "action", "category", "why")
        for s in entries:
            table.add_row(
                s.at.isoformat(timespec="seconds"),
                s.entry.actor,
                s.entry.actor_role or "",
                s.entry.action,
                str(s.entry.category),
                s.entry.justification or "",
            )
        context.out.print(table)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
