"""`safeguard serve`, `safeguard users ...` and `safeguard audit ...`."""

from __future__ import annotations

import typer
from rich.table import Table

from safeguard.adapters.db.audit import verify_audit, who_viewed
from safeguard.cli import context
from safeguard.domain.access import ROLE_LABELS, Role
from safeguard.errors import ConfigError, ValidationFailed
from safeguard.services import accounts

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
    """Add a local account (argon2-hashed password)."""
    with context.handled():
        eng = context.engine()
        with eng.begin() as conn:
            uid = accounts.create_user(
                conn,
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
    """Lock an account (it answers exactly as a wrong password does), or unlock it."""
    from datetime import UTC, datetime, timedelta

    with context.handled():
        until = datetime.now(UTC) + timedelta(minutes=minutes) if minutes else None
        with context.engine().begin() as conn:
            accounts.lock_user(conn, username=username, until=until)
        context.out.print(f"user {username} {'locked' if until else 'unlocked'}")


@users_app.command("demo")
def users_demo() -> None:
    """Create one demo persona per role (development only), all with the demo password."""
    with context.handled():
        if context.settings().environment != "development":
            raise ConfigError("demo users exist only in development (SAFEGUARD_ENVIRONMENT)")
        from safeguard.cli.demo_pipeline import register_demo_agencies

        eng = context.engine()
        with eng.begin() as conn:
            register_demo_agencies(conn)
            accounts.create_demo_users(conn)
        context.out.print(f"demo sign-ins (password: {accounts.DEMO_PASSWORD}):")
        for line in _demo_lines():
            context.out.print(line)


@users_app.command("token")
def users_token(
    username: str = typer.Argument(..., help="User the machine client acts as"),
    name: str = typer.Option(..., "--name", help="What the token is for"),
) -> None:
    """Issue an API token (shown once; send it as `Authorization: Bearer ...`)."""
    with context.handled():
        eng = context.engine()
        with eng.begin() as conn:
            token = accounts.issue_api_token(conn, username=username, name=name)
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
def audit_verify() -> None:
    """Check the hash chain: exit 1 and list every altered or missing entry."""
    with context.handled():
        eng = context.engine()
        with eng.connect() as conn:
            problems = verify_audit(conn)
        if not problems:
            context.out.print("audit log intact")
            return
        for p in problems:
            context.console.print(f"[bold red]entry {p.seq}:[/] {p.problem}")
        raise typer.Exit(code=1)


@audit_app.command("person")
def audit_person(person_id: int = typer.Argument(..., help="Person id")) -> None:
    """Who consulted or changed a person's records, when and why (newest first)."""
    with context.handled():
        if person_id == 0:
            raise ValidationFailed("person_id: must not be 0")
        eng = context.engine()
        with eng.connect() as conn:
            entries = who_viewed(conn, person_id)
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
