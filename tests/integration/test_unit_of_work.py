"""The unit of work: a change and its audit row commit or roll back together, under the checked
account; ``accounts.actor_named`` is the only way the command line gets one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.accounts import users
from safeguard.adapters.db.audit import audit_log, iter_entries, verify_audit
from safeguard.domain.access import Action, Actor, Refused, Role, SystemJob
from safeguard.domain.audit import AuditCategory, StoredAuditEntry
from safeguard.errors import NotFound, PermissionDenied
from safeguard.services import accounts
from safeguard.services.unit_of_work import UnitOfWork
from tests.conftest import count

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _entries(engine: Engine) -> list[StoredAuditEntry]:
    with engine.connect() as conn:
        return list(iter_entries(conn))


def _user_row(username: str) -> dict[str, object]:
    return {
        "username": username,
        "display_name": "Test user",
        "role": str(Role.ANALYST),
        "password_hash": "x",
        "created_at": NOW,
    }


def test_the_change_and_its_audit_row_commit_together(engine: Engine) -> None:
    analyst = Actor(7, "jo", Role.ANALYST)
    with UnitOfWork.begin(engine, analyst) as uow:
        uow.conn.execute(sa.insert(users).values(_user_row("new_one")))
        seq = uow.audit(
            "test.change",
            AuditCategory.ALTERATION,
            "user",
            record_ids=[1],
            person_ids=[3, 4],
            detail={"n": 1},
        )
    assert seq == 1
    [stored] = _entries(engine)
    assert stored.entry.actor == "user:7"
    assert stored.entry.actor_role == "analyst"
    assert list(stored.entry.record_ids) == ["1"]
    assert list(stored.entry.person_ids) == [3, 4]
    assert stored.entry.detail == {"n": 1}
    assert count(engine, users) == 1
    with engine.connect() as conn:
        assert verify_audit(conn) == []


def test_an_error_after_auditing_leaves_neither_change_nor_audit_row(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"):  # noqa: PT012 - the block is the unit
        with UnitOfWork.begin(engine, SystemJob("system:test")) as uow:
            uow.conn.execute(sa.insert(users).values(_user_row("gone")))
            uow.audit("test.change", AuditCategory.ALTERATION, "user", record_ids=["x"])
            raise RuntimeError("boom")
    assert count(engine, users) == 0
    assert count(engine, audit_log) == 0
    # The chain's head was rolled back with the row: the next entry is number 1 again.
    with UnitOfWork.begin(engine, SystemJob("system:test")) as uow:
        assert uow.audit("test.change", AuditCategory.ALTERATION, "user") == 1
    with engine.connect() as conn:
        assert verify_audit(conn) == []


def test_a_system_job_is_audited_by_name_and_permitted_nothing(engine: Engine) -> None:
    with UnitOfWork.begin(engine, SystemJob("system:assess")) as uow:
        with pytest.raises(PermissionDenied, match="system job"):
            uow.ensure(Action.VIEW_FINDINGS)
        uow.audit("assess.run", AuditCategory.COMBINATION, "assessment_run", record_ids=[1])
    [stored] = _entries(engine)
    assert (stored.entry.actor, stored.entry.actor_role) == ("system:assess", None)


def test_ensure_asks_the_policy_for_the_units_account(engine: Engine) -> None:
    with engine.connect() as conn:
        board = UnitOfWork(conn, Actor(2, "lee", Role.BOARD_VIEWER))
        with pytest.raises(Refused):
            board.ensure(Action.REVIEW_LINKS)
        analyst = Actor(3, "jo", Role.ANALYST)
        assert UnitOfWork(conn, analyst).ensure(Action.REVIEW_LINKS) is analyst


def test_a_consultation_needs_its_justification(engine: Engine) -> None:
    with UnitOfWork.begin(engine, Actor(3, "jo", Role.ANALYST)) as uow:
        with pytest.raises(ValueError, match="justification"):
            uow.audit("person.view", AuditCategory.CONSULTATION, "person", person_ids=[1])
        uow.consult(None, "person.view", "person", justification="Triage", person_ids=[1])
    [stored] = _entries(engine)
    assert stored.entry.category is AuditCategory.CONSULTATION


def test_actor_named_loads_only_an_existing_active_unlocked_account(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(users).values(_user_row("jo_reed")))
        conn.execute(sa.insert(users).values({**_user_row("gone_away"), "active": False}))
        conn.execute(
            sa.insert(users).values(
                {**_user_row("locked_out"), "locked_until": NOW + timedelta(hours=1)}
            )
        )
    with engine.connect() as conn:
        jo = accounts.actor_named(conn, "jo_reed", now=NOW)
        assert (jo.username, jo.role, jo.agency) == ("jo_reed", Role.ANALYST, None)
        with pytest.raises(NotFound, match="no account 'nobody'"):
            accounts.actor_named(conn, "nobody", now=NOW)
        with pytest.raises(PermissionDenied, match="not active"):
            accounts.actor_named(conn, "gone_away", now=NOW)
        with pytest.raises(PermissionDenied, match="locked"):
            accounts.actor_named(conn, "locked_out", now=NOW)
        assert accounts.actor_named(conn, "locked_out", now=NOW + timedelta(hours=2))
