"""Use cases for accounts: create users, sign in (with throttling), sessions, API tokens.

Account administration (create, lock, issue or revoke tokens) takes a ``UnitOfWork``: an
administrator's, checked here, and audited in the same transaction. Two system jobs may create
accounts too: ``BOOTSTRAP`` the very first one on an empty database (nobody could sign in to
make it otherwise), and ``DEMO`` the demo personas (``create_demo_users``; the command line
allows that in development only).

About 500 lines: sign-in, sessions, tokens and administration share the hashing of passwords and
tokens and the throttle. Sign-in is the part to split out if this grows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import api_tokens, users, web_sessions
from safeguard.adapters.db.audit import append_audit
from safeguard.domain.access import Action, Actor, Role, SystemJob
from safeguard.domain.accounts import (
    SESSION_ABSOLUTE,
    LockState,
    after_failed_login,
    check_password,
    check_role_agency,
    check_username,
    is_locked,
    new_api_token,
    new_secret,
    secret_digest,
    session_expired,
)
from safeguard.domain.audit import AuditCategory
from safeguard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from safeguard.services import audit_trail, partners
from safeguard.services.throttle import Attempt, SignInThrottle
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong username costs the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")

DEMO_PASSWORD = "safeguard-demo-only"  # noqa: S105 - demo accounts, refused in production
DEMO_USERS: tuple[tuple[str, str, Role, str | None], ...] = (
    ("pc_patel", "PC Asha Patel", Role.OFFICER, None),
    ("sgt_okafor", "Sgt Chidi Okafor", Role.SUPERVISOR, None),
    ("mash_analyst", "MASH analyst Jo Reed", Role.ANALYST, None),
    ("social_worker", "Social worker Sam Hale", Role.PARTNER_AGENCY, "childrens-services"),
    ("board_member", "Board member Lee Ward", Role.BOARD_VIEWER, None),
    ("admin", "Systems administrator", Role.ADMINISTRATOR, None),
)


BOOTSTRAP = SystemJob("bootstrap")  # creates the first account of an empty database
DEMO = SystemJob("demo")  # creates the demo personas (development only)


def _may_manage(uow: UnitOfWork, *, creating: bool = False) -> None:
    """An administrator may manage accounts; ``BOOTSTRAP`` may create the first one.

    Raises:
        Refused: the account is not an administrator.
        PermissionDenied: a system job, other than the bootstrap of an empty database.
    """
    if uow.actor == BOOTSTRAP and creating:
        if uow.conn.execute(sa.select(users.c.id).limit(1)).first() is None:
            return
        raise PermissionDenied(
            "accounts exist already: act as an administrator to add one (--as USERNAME)"
        )
    if isinstance(uow.actor, SystemJob):
        raise PermissionDenied(
            f"{uow.actor.name!r} may not manage accounts: act as an administrator (--as USERNAME)"
        )
    uow.ensure(Action.MANAGE_USERS)


class SignInFailed(PermissionDenied):
    """Wrong username or password, or the account is locked; deliberately not saying which."""


class NotSignedIn(PermissionDenied):
    """No valid session or token: missing, forged, ended or expired."""


class Throttled(PermissionDenied):
    """Too many failed sign-ins by this path; the same for every username, known or not."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"too many failed sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}"
            ", or sign in from a browser you have signed in from before"
        )
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Session:
    secret: str
    csrf_token: str
    actor: Actor


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _actor(row: sa.Row[tuple[object, ...]]) -> Actor:
    m = row._mapping
    return Actor(int(m["id"]), str(m["username"]), Role(m["role"]), m["agency"])


def actor_named(conn: Connection, username: str, *, now: datetime | None = None) -> Actor:
    """The checked actor for ``username``: an existing, active, unlocked account. This is how
    the command line acts as somebody (``--as``); the web's are a session's or a token's.

    Raises:
        NotFound: no account has that username.
        PermissionDenied: the account is inactive or locked.
    """
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None:
        raise NotFound(
            f"no account {username!r}: name an existing account (see `safeguard users list`)"
        )
    if not row.active:
        raise PermissionDenied(f"account {username!r} is not active")
    if is_locked(LockState(int(row.failed_logins), row.locked_until), now=_now(now)):
        raise PermissionDenied(f"account {username!r} is locked")
    return _actor(row)


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    agency: str | None = None,
    now: datetime | None = None,
) -> int:
    """Create a local account with an argon2 password hash; returns the user id. Audited.

    Raises:
        Refused, PermissionDenied: the unit's account may not manage accounts (``_may_manage``).
        ValidationFailed: a field is invalid (the message names it).
        Conflict: the username is taken.
    """
    _may_manage(uow, creating=True)
    return _create_user(
        uow,
        username=username,
        display_name=display_name,
        role=role,
        password=password,
        agency=agency,
        now=now,
    )


def _create_user(
    uow: UnitOfWork,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    agency: str | None,
    now: datetime | None,
) -> int:
    conn = uow.conn
    check_username(username)
    check_password(password)
    if role is Role.PARTNER_AGENCY and agency:  # a name the registry knows stands for its code
        found = partners.resolve(conn, agency)
        agency = found.code if found else agency
    agency = check_role_agency(role, agency)
    if agency is not None:
        agency = partners.require(conn, agency).code
    if not display_name.strip() or len(display_name) > 100:
        raise ValidationFailed("display_name: 1 to 100 characters")
    taken = conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
    if taken is not None:
        raise Conflict(f"username {username!r} is already taken")
    user_id = conn.execute(
        sa.insert(users)
        .values(
            username=username,
            display_name=display_name.strip(),
            role=str(role),
            agency=agency,
            password_hash=_hasher.hash(password),
            created_at=_now(now),
        )
        .returning(users.c.id)
    ).scalar_one()
    uow.audit(
        "user.create",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[user_id],
        detail={"role": str(role), "agency": agency},
    )
    logger.info("user %s created with role %s", user_id, role)
    return int(user_id)


def create_demo_users(uow: UnitOfWork) -> list[tuple[str, Role, str | None]]:
    """The demo personas, one per role, all with ``DEMO_PASSWORD``; existing ones are kept.
    For ``DEMO`` (or an administrator); each account made is audited."""
    if uow.actor != DEMO:
        _may_manage(uow)
    made = []
    for username, name, role, agency in DEMO_USERS:
        exists = uow.conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if exists is None:
            _create_user(
                uow,
                username=username,
                display_name=name,
                role=role,
                password=DEMO_PASSWORD,
                agency=agency,
                now=None,
            )
        made.append((username, role, agency))
    return made


SIGN_IN_FAILED = "wrong username or password, or the account is locked"


def authenticate(
    conn: Connection,
    *,
    attempt: Attempt,
    password: str,
    throttle: SignInThrottle,
    now: datetime | None = None,
) -> Actor:
    """Check a username and password, throttled, and audit the attempt in ``conn``.

    Every way of failing (unknown user, wrong password, locked or inactive account) does the
    same work, one argon2 verification, one update and one audit entry, and says the same, so
    neither the answer nor its time tells which it was. The caller must commit ``conn`` even
    when this raises (the audit entry and the failure count are in it).

    Raises:
        Throttled: too many failures by this path lately (checked before the password).
        SignInFailed: wrong username or password, inactive or locked account (same message).
    """
    now = _now(now)
    source, trusted = attempt.source, attempt.browser is not None
    wait = throttle.wait(attempt)
    if wait:
        append_audit(
            conn,
            audit_trail.sign_in(
                user_id=None, role=None, outcome="throttled", source=source, trusted=trusted
            ),
        )
        raise Throttled(wait)
    row = conn.execute(sa.select(users).where(users.c.username == attempt.username)).first()
    ok = _verify(_DUMMY_HASH if row is None else str(row.password_hash), password)
    if row is None or not row.active:
        outcome = "unknown_user" if row is None else "inactive"
    elif is_locked(LockState(int(row.failed_logins), row.locked_until), now=now):
        outcome = "locked"
    elif not ok:
        outcome = "wrong_password"
    else:
        outcome = "signed_in"
    if outcome != "signed_in":
        # One UPDATE whatever the case (it touches no row for an unknown username).
        failed = after_failed_login(LockState(int(row.failed_logins) if row else 0, None))
        conn.execute(
            sa.update(users)
            .where(users.c.username == attempt.username)
            .values(failed_logins=failed.failed)
        )
        throttle.failed(attempt)
        uid = None if row is None else int(row.id)
        append_audit(
            conn,
            audit_trail.sign_in(
                user_id=uid,
                role=None if row is None else str(row.role),
                outcome=outcome,
                source=source,
                trusted=trusted,
            ),
        )
        logger.warning("sign-in refused (%s) for user %s", outcome, uid)
        raise SignInFailed(SIGN_IN_FAILED)
    assert row is not None
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    conn.execute(sa.update(users).where(users.c.id == row.id).values(**values))
    throttle.succeeded(attempt)
    append_audit(
        conn,
        audit_trail.sign_in(
            user_id=int(row.id),
            role=str(row.role),
            outcome="signed_in",
            source=source,
            trusted=trusted,
        ),
    )
    return _actor(row)


def lock_user(
    uow: UnitOfWork, *, username: str, until: datetime | None, now: datetime | None = None
) -> None:
    """Lock an account until ``until`` (an administrator's decision), or unlock it (None).
    Audited."""
    _may_manage(uow)
    uid = _user_id(uow.conn, username)
    uow.conn.execute(sa.update(users).where(users.c.id == uid).values(locked_until=until))
    uow.audit(
        "user.lock" if until is not None else "user.unlock",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[uid],
        detail={"until": until.isoformat() if until is not None else None},
    )


def _user_id(conn: Connection, username: str) -> int:
    uid = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
    if uid is None:
        raise NotFound(f"no user {username!r}")
    return int(uid)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def start_session(conn: Connection, actor: Actor, *, now: datetime | None = None) -> Session:
    """A new browser session; only the SHA-256 of its id is stored."""
    now = _now(now)
    secret, csrf = new_secret(), new_secret()
    conn.execute(
        sa.insert(web_sessions).values(
            id_hash=secret_digest(secret),
            user_id=actor.user_id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    return Session(secret, csrf, actor)


def resume_session(
    conn: Connection,
    secret: str,
    *,
    idle: timedelta,
    absolute: timedelta = SESSION_ABSOLUTE,
    now: datetime | None = None,
) -> Session:
    """The session a cookie names, if it is genuine, not ended and not idle for too long.

    Raises:
        NotSignedIn: forged, ended or expired.
    """
    now = _now(now)
    row = conn.execute(
        sa.select(web_sessions, users)
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.id_hash == secret_digest(secret))
    ).first()
    if row is None or row.ended_at is not None or not row.active:
        raise NotSignedIn("you are not signed in")
    m = row._mapping
    if session_expired(
        created_at=m["created_at"],
        last_seen_at=m["last_seen_at"],
        now=now,
        idle=idle,
        absolute=absolute,
    ):
        conn.execute(
            sa.update(web_sessions)
            .where(web_sessions.c.id_hash == m["id_hash"])
            .values(ended_at=now)
        )
        raise NotSignedIn("your session has expired; please sign in again")
    if now - m["last_seen_at"] > timedelta(seconds=30):  # avoid a write on every request
        conn.execute(
            sa.update(web_sessions)
            .where(web_sessions.c.id_hash == m["id_hash"])
            .values(last_seen_at=now)
        )
    actor = Actor(int(m["user_id"]), str(m["username"]), Role(m["role"]), m["agency"])
    return Session(secret, str(m["csrf_token"]), actor)


def end_session(conn: Connection, secret: str, *, now: datetime | None = None) -> None:
    conn.execute(
        sa.update(web_sessions)
        .where(web_sessions.c.id_hash == secret_digest(secret))
        .where(web_sessions.c.ended_at.is_(None))
        .values(ended_at=_now(now))
    )


def issue_api_token(
    uow: UnitOfWork, *, username: str, name: str, now: datetime | None = None
) -> str:
    """A new API token for a machine client acting as ``username``; shown once, stored hashed.
    Audited (the token's id, never the token)."""
    _may_manage(uow)
    uid = _user_id(uow.conn, username)
    if not name.strip() or len(name) > 100:
        raise ValidationFailed("name: 1 to 100 characters")
    token = new_api_token()
    token_id = uow.conn.execute(
        sa.insert(api_tokens)
        .values(token_hash=secret_digest(token), user_id=uid, name=name, created_at=_now(now))
        .returning(api_tokens.c.id)
    ).scalar_one()
    uow.audit(
        "user.token_issued",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[uid],
        detail={"token": int(token_id)},
    )
    return token


def token_actor(conn: Connection, token: str, *, now: datetime | None = None) -> Actor:
    """The user an API token acts for. Raises NotSignedIn for an unknown or revoked token."""
    row = conn.execute(
        sa.select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == secret_digest(token))
        .where(api_tokens.c.revoked_at.is_(None))
    ).first()
    if row is None or not row.active:
        raise NotSignedIn("invalid API token")
    now = _now(now)
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        conn.execute(
            sa.update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=now)
        )
    return _actor(row)


def revoke_api_tokens(uow: UnitOfWork, *, username: str, now: datetime | None = None) -> int:
    """Revoke every live API token of ``username``; returns how many. Audited."""
    _may_manage(uow)
    uid = _user_id(uow.conn, username)
    result = uow.conn.execute(
        sa.update(api_tokens)
        .where(api_tokens.c.user_id == uid)
        .where(api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=_now(now))
    )
    uow.audit(
        "user.tokens_revoked",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[uid],
        detail={"revoked": int(result.rowcount)},
    )
    return int(result.rowcount)


def list_users(conn: Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        sa.select(
            users.c.id,
            users.c.username,
            users.c.display_name,
            users.c.role,
            users.c.agency,
            users.c.active,
            users.c.locked_until,
            users.c.last_login_at,
        ).order_by(users.c.username)
    ).all()
    return [dict(r._mapping) for r in rows]


def display_name(conn: Connection, user_id: int) -> str:
    name = conn.execute(sa.select(users.c.display_name).where(users.c.id == user_id)).scalar()
    return str(name or f"user {user_id}")
