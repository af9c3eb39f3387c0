"""Signing in and out: argon2 hashes, throttling, secure cookies, CSRF, idle time-out."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.accounts import users, web_sessions
from safeguard.adapters.db.audit import audit_log
from safeguard.config import Settings
from safeguard.domain.access import Role
from safeguard.domain.accounts import secret_digest
from safeguard.services import accounts
from safeguard.web.app import create_app
from safeguard.web.deps import LOGIN_COOKIE, SESSION_COOKIE
from safeguard.web.pages.auth import BROWSER_COOKIE
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import PASSWORD, as_admin


def _login(client: TestClient, username: str, password: str) -> object:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )


def test_signing_in_sets_an_httponly_samesite_session_cookie_and_signing_out_ends_it(
    client: TestClient, engine: Engine
) -> None:
    r = _login(client, "pc_patel", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/"  # type: ignore[attr-defined]
    cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "pc_patel" in home.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf is not None
    assert client.post("/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
    client.cookies.clear()
    secret = r.cookies.get(SESSION_COOKIE)  # type: ignore[attr-defined]
    client.cookies.set(SESSION_COOKIE, secret)
    assert client.get("/").status_code == 303  # ended session: back to sign-in


def test_passwords_are_stored_as_argon2_hashes_only(engine: Engine, client: TestClient) -> None:
    with engine.begin() as conn:
        accounts.create_user(
            as_admin(conn),
            username="new_officer",
            display_name="New Officer",
            role=Role.OFFICER,
            password="a long enough password",
        )
        stored = conn.execute(
            sa.select(users.c.password_hash).where(users.c.username == "new_officer")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "a long enough password" not in stored


def _sign_ins(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.detail)
            .where(audit_log.c.category == "authentication")
            .order_by(audit_log.c.seq)
        ).all()
    return [(a, json.loads(d).get("outcome", "")) for a, d in rows]


def test_failed_sign_ins_are_throttled_with_the_same_answer_for_known_and_unknown_users(
    client: TestClient, engine: Engine
) -> None:
    # settings.max_failed_logins is 3: three failures a minute, then a wait, whoever it is.
    for username in ("pc_patel", "nobody_here"):
        for _ in range(3):
            r = _login(client, username, "wrong password here")
            assert r.status_code == 401  # type: ignore[attr-defined]
            assert "wrong username or password" in r.text.lower()  # type: ignore[attr-defined]
    throttled = [_login(client, u, PASSWORD) for u in ("pc_patel", "nobody_here")]
    assert [r.status_code for r in throttled] == [429, 429]  # type: ignore[attr-defined]
    for r in throttled:
        assert "too many failed sign-ins" in r.text.lower(), r.text[-3000:]  # type: ignore[attr-defined]
    waits = [int(r.headers["retry-after"]) for r in throttled]  # type: ignore[attr-defined]
    assert all(0 < w <= 60 for w in waits)  # each within its first minute's window
    with engine.connect() as conn:
        locked = conn.execute(
            sa.select(users.c.locked_until).where(users.c.username == "pc_patel")
        ).scalar_one()
    assert locked is None  # failing on purpose locks nobody's account
    outcomes = [o for _, o in _sign_ins(engine)]
    assert outcomes == ["wrong_password"] * 3 + ["unknown_user"] * 3 + ["throttled"] * 2


def test_a_stranger_failing_on_purpose_cannot_keep_an_officer_out_of_their_own_browser(
    client: TestClient, settings: Settings, engine: Engine, world: object
) -> None:
    assert _login(client, "pc_patel", PASSWORD).status_code == 303  # type: ignore[attr-defined]
    trusted = client.cookies.get(BROWSER_COOKIE)
    assert trusted
    app = create_app(settings, engine)
    app.state.throttle = client.app.state.throttle  # type: ignore[attr-defined]  # one process
    with TestClient(app, follow_redirects=False) as stranger:
        for _ in range(10):
            _login(stranger, "pc_patel", "guessing passwords")
        assert _login(stranger, "pc_patel", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    client.cookies.delete(SESSION_COOKIE)
    assert _login(client, "pc_patel", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_a_locked_account_answers_as_a_wrong_password_does_and_is_audited(
    client: TestClient, engine: Engine
) -> None:
    with engine.begin() as conn:
        accounts.lock_user(
            as_admin(conn), username="pc_patel", until=datetime.now(UTC) + timedelta(minutes=30)
        )
    locked = _login(client, "pc_patel", PASSWORD)
    wrong = _login(client, "sgt_okafor", "wrong password here")
    unknown = _login(client, "nobody_here", PASSWORD)
    assert {r.status_code for r in (locked, wrong, unknown)} == {401}  # type: ignore[attr-defined]
    errors = {
        re.search(r'<p class="govuk-body">([^<]+)</p>', r.text).group(1)
        for r in (locked, wrong, unknown)
    }  # type: ignore[attr-defined,union-attr]
    assert len(errors) == 1
    assert [o for _, o in _sign_ins(engine)] == ["locked", "wrong_password", "unknown_user"]


def test_a_sign_in_with_a_missing_or_unknown_field_is_refused_and_audited(
    client: TestClient, engine: Engine
) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    missing = client.post("/login", data={"username": "pc_patel", "csrf_token": token.group(1)})
    extra = client.post(
        "/login",
        data={"username": "pc_patel", "password": PASSWORD, "csrf_token": token.group(1), "x": "1"},
    )
    assert missing.status_code == 422 and "password" in missing.text
    assert extra.status_code == 422 and "x" in extra.text
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor)).all()
        sessions = conn.execute(sa.select(sa.func.count()).select_from(web_sessions)).scalar()
    assert [tuple(r) for r in rows] == [("request.invalid", "anonymous")] * 2
    assert sessions == 0


def test_a_successful_sign_in_and_sign_out_are_audited(client: TestClient, engine: Engine) -> None:
    r = _login(client, "pc_patel", PASSWORD)
    assert r.status_code == 303  # type: ignore[attr-defined]
    home = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf is not None
    client.post("/logout", data={"csrf_token": csrf.group(1)})
    assert [a for a, _ in _sign_ins(engine)] == ["auth.sign_in", "auth.sign_out"]


def test_a_session_ends_at_its_absolute_limit_even_when_in_use(
    client: TestClient, engine: Engine
) -> None:
    sign_in(client, engine, Role.OFFICER)
    secret = client.cookies.get(SESSION_COOKIE)
    assert secret is not None
    with engine.begin() as conn:
        conn.execute(
            sa.update(web_sessions)
            .where(web_sessions.c.id_hash == secret_digest(secret))
            .values(created_at=datetime.now(UTC) - timedelta(hours=13))
        )
    assert client.get("/api/me").status_code == 401


def test_sign_in_without_the_form_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "pc_patel", "password": PASSWORD})
    assert r.status_code == 403
    assert SESSION_COOKIE not in r.cookies


def test_an_idle_session_expires(client: TestClient, engine: Engine) -> None:
    sign_in(client, engine, Role.OFFICER)
    secret = client.cookies.get(SESSION_COOKIE)
    assert secret is not None
    old = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as conn:
        conn.execute(
            sa.update(web_sessions)
            .where(web_sessions.c.id_hash == secret_digest(secret))
            .values(last_seen_at=old)
        )
    r = client.get("/api/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_signed_in"


def test_a_forged_session_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "forged-session-id-that-was-never-issued")
    assert client.get("/api/me").status_code == 401
    assert client.get("/").status_code == 303


def test_a_revoked_api_token_no_longer_works(client: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        token = accounts.issue_api_token(
            as_admin(conn), username="mash_analyst", name="nightly job"
        )
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=headers).json()["role"] == "analyst"
    with engine.begin() as conn:
        assert accounts.revoke_api_tokens(as_admin(conn), username="mash_analyst") == 1
    assert client.get("/api/me", headers=headers).status_code == 401


def test_cookies_are_marked_secure_when_served_over_tls(
    engine: Engine, settings: object, world: object
) -> None:
    from safeguard.web.app import create_app

    app = create_app(settings, engine)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as tls:
        form = tls.get("/login")
        assert "Secure" in form.headers["set-cookie"]
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        nonce = form.cookies[LOGIN_COOKIE]
        tls.cookies.clear()  # the test client files it under another host name: set it by hand
        tls.cookies.set(LOGIN_COOKIE, nonce)
        r = tls.post(
            "/login",
            data={"username": "pc_patel", "password": PASSWORD, "csrf_token": token.group(1)},
        )
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_the_request_transaction_is_committed_before_the_response_is_sent(
    settings: Settings, engine: Engine, world: object
) -> None:
    """A redirect after sign-in must not race the commit of the new session (the browser
    follows it at once), and no response may go out before its audit entry is durable."""
    app = create_app(settings, engine)
    seen: list[int] = []

    @app.middleware("http")
    async def count_sessions_when_the_response_starts(request: Any, call_next: Any) -> Any:
        response = await call_next(request)  # returns as soon as the response starts
        if request.method == "POST" and request.url.path == "/login":
            with engine.connect() as conn:  # a separate connection sees only committed rows
                seen.append(
                    conn.execute(sa.select(sa.func.count()).select_from(web_sessions)).scalar_one()
                )
        return response

    with TestClient(app, follow_redirects=False) as c:
        r = _login(c, "pc_patel", PASSWORD)
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert seen == [1]
