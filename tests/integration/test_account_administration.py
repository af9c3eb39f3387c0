"""Account administration is an administrator's, checked in the use case and audited with the
change: create, lock, issue and revoke tokens; the first account of an empty database is the
bootstrap's, and the command line acts as a named administrator for the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from safeguard.adapters.db.accounts import users
from safeguard.adapters.db.audit import audit_log, verify_audit
from safeguard.cli import app
from safeguard.config import get_settings
from safeguard.domain.access import Refused, Role, SystemJob
from safeguard.errors import PermissionDenied
from safeguard.services import accounts
from safeguard.services.unit_of_work import UnitOfWork
from tests.conftest import count

PASSWORD = "a long enough password"  # noqa: S105 - a test account


def _add(uow: UnitOfWork, username: str, role: Role) -> int:
    return accounts.create_user(
        uow, username=username, display_name=username, role=role, password=PASSWORD
    )


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.record_ids).order_by(
                audit_log.c.seq
            )
        ).all()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def test_the_first_account_is_the_bootstraps_and_then_only_an_administrator_adds(
    engine: Engine,
) -> None:
    with UnitOfWork.begin(engine, accounts.BOOTSTRAP) as uow:
        admin_id = _add(uow, "first_admin", Role.ADMINISTRATOR)
    with pytest.raises(PermissionDenied, match="accounts exist already"):
        with UnitOfWork.begin(engine, accounts.BOOTSTRAP) as uow:
            _add(uow, "second", Role.OFFICER)
    with pytest.raises(PermissionDenied, match="may not manage accounts"):
        with UnitOfWork.begin(engine, SystemJob("cli")) as uow:
            _add(uow, "second", Role.OFFICER)
    with engine.begin() as conn:
        admin = UnitOfWork(conn, accounts.actor_named(conn, "first_admin"))
        officer_id = _add(admin, "pc_one", Role.OFFICER)
    with pytest.raises(Refused):
        with engine.begin() as conn:
            officer = UnitOfWork(conn, accounts.actor_named(conn, "pc_one"))
            _add(officer, "pc_two", Role.OFFICER)
    assert count(engine, users) == 2
    assert _audit(engine) == [
        ("bootstrap", "user.create", f'["{admin_id}"]'),
        (f"user:{admin_id}", "user.create", f'["{officer_id}"]'),
    ]


def test_locking_and_tokens_are_an_administrators_and_audited(engine: Engine) -> None:
    with UnitOfWork.begin(engine, accounts.BOOTSTRAP) as uow:
        admin_id = _add(uow, "first_admin", Role.ADMINISTRATOR)
    with engine.begin() as conn:
        admin = UnitOfWork(conn, accounts.actor_named(conn, "first_admin"))
        pc = _add(admin, "pc_one", Role.OFFICER)
        token = accounts.issue_api_token(admin, username="pc_one", name="feed")
        assert accounts.revoke_api_tokens(admin, username="pc_one") == 1
        accounts.lock_user(admin, username="pc_one", until=None)
    with pytest.raises(Refused):
        with engine.begin() as conn:
            officer = UnitOfWork(conn, accounts.actor_named(conn, "pc_one"))
            accounts.issue_api_token(officer, username="pc_one", name="mine")
    actions = [(who, what) for who, what, _ in _audit(engine)]
    me = f"user:{admin_id}"
    assert actions == [
        ("bootstrap", "user.create"),
        (me, "user.create"),
        (me, "user.token_issued"),
        (me, "user.tokens_revoked"),
        (me, "user.unlock"),
    ]
    assert all(ids == f'["{pc}"]' for _, what, ids in _audit(engine)[2:])
    with engine.connect() as conn:
        assert token not in conn.execute(sa.select(audit_log.c.detail)).scalars().all()
        assert verify_audit(conn) == []


def test_the_demo_job_makes_the_personas_each_audited(engine: Engine) -> None:
    from safeguard.cli.demo_pipeline import register_demo_agencies

    with UnitOfWork.begin(engine, accounts.DEMO) as uow:
        register_demo_agencies(uow.conn)
        made = accounts.create_demo_users(uow)
    assert len(made) == len(accounts.DEMO_USERS)
    assert [who for who, _, _ in _audit(engine)] == ["demo"] * len(made)
    with pytest.raises(PermissionDenied):
        with UnitOfWork.begin(engine, SystemJob("cli")) as uow:
            accounts.create_demo_users(uow)


def _said(result: Result) -> str:
    return " ".join(result.output.split())  # as one line, however the console wrapped it


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_cli_bootstraps_the_first_account_then_acts_as_a_named_administrator(
    cli_db: str,
) -> None:
    runner = CliRunner()
    add = ["users", "add", "--role", "administrator", "--name", "Admin", "--password", PASSWORD]
    first = runner.invoke(app, [*add, "root_admin"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, [*add, "other_admin"])
    assert second.exit_code == 2 and "--as USERNAME" in _said(second)
    nobody = runner.invoke(app, ["--as", "nobody", *add, "other_admin"])
    assert nobody.exit_code == 2 and "no account 'nobody'" in _said(nobody)
    named = runner.invoke(app, ["--as", "root_admin", *add, "other_admin"])
    assert named.exit_code == 0, named.output
    token = runner.invoke(app, ["users", "token", "other_admin", "--name", "feed"])
    assert token.exit_code == 2 and "--as USERNAME" in _said(token)
    token = runner.invoke(
        app, ["--as", "root_admin", "users", "token", "other_admin", "--name", "x"]
    )
    assert token.exit_code == 0 and token.output.startswith("sgt_")
    locked = runner.invoke(app, ["--as", "other_admin", "users", "lock", "root_admin"])
    assert locked.exit_code == 0, locked.output
    refused = runner.invoke(app, ["--as", "root_admin", "users", "lock", "other_admin"])
    assert refused.exit_code == 2 and "locked" in _said(refused)  # a locked account acts not
