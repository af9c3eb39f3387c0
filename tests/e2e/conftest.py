"""The web app on each test database, with one signed-in browser session per role."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    # Starlette 1.x nudges towards "httpx2"; httpx is what the lock file pins and it works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.accounts import users
from safeguard.config import Settings
from safeguard.domain.access import Actor, Role
from safeguard.services import accounts
from safeguard.web.app import create_app
from safeguard.web.deps import SESSION_COOKIE
from tests.web_fixtures import PERSONAS, World, build_world, fixture_token


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(environment="test", database_url=db_url, max_failed_logins=3)


@pytest.fixture
def client(settings: Settings, engine: Engine, world: World) -> Iterator[TestClient]:
    app = create_app(settings, engine)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def sign_in(client: TestClient, engine: Engine, role: Role) -> str:
    """Put a fresh session cookie for ``role``'s persona on the client; returns its CSRF token."""
    username, _ = PERSONAS[role]
    with engine.begin() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).one()
        actor = Actor(row.id, username, role, row.agency)
        session = accounts.start_session(conn, actor)
    client.cookies.set(SESSION_COOKIE, session.secret)
    return session.csrf_token


def token_for(engine: Engine, role: Role) -> dict[str, str]:
    username, _ = PERSONAS[role]
    with engine.begin() as conn:
        token = fixture_token(conn, username)
    return {"Authorization": f"Bearer {token}"}
