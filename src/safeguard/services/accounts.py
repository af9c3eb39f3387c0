"""Use cases for accounts: create users, sign in (with throttling), sessions, API tokens.

Account administration (create, lock, issue or revoke tokens) takes a ``UnitOfWork``: an
administrator's, checked here, and audited in the same transaction. Two system jobs may create
accounts too: ``BOOTSTRAP`` the very first one on an empty database (nobody could sign in to
make it otherwise), and ``DEMO`` the demo personas (``create_demo_users``; the command line
allows that in development only).

About 440 lines: sign-in, sessions, tokens and administration share the hashing of passwords and
tokens and the throttle. Sign-in is the part to split out if this grows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from safeguard.adapters.db import accounts as store
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
from safeguard.services.unit_of_work import DEMO_RUN, UnitOfWork

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
DEMO = DEMO_RUN  # creates the demo personas (development only; the one declared demo job)


def _may_manage(uow: UnitOfWork, *, creating: bool = False) -> None:
    """An administrator may manage accounts; ``BOOTSTRAP`` may create the first one.

    Raises:
        Refused: the account is not an administrator.
        PermissionDenied: a system job, other than the bootstrap of an empty database.
    """
    if uow.actor == BOOTSTRAP and creating:
        if not store.any_user(uow.conn):
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


def actor_named(conn: Connection, username: str, *, now: datetime | None = None) -> Actor:
    """The checked actor for ``username``: an existing, active, unlocked account. This is how
    the command line acts as somebody (``--as``); the web's are a session's or a token's.

    Raises:
        NotFound: no account has that username.
        PermissionDenied: the account is inactive or locked.
    """
    user = store.user_named(conn, username)
    if user is None:
        raise NotFound(
            f"no account {username!r}: name an existing account (see `safeguard users list`)"
        )
    if not user.active:
        raise PermissionDenied(f"account {username!r} is not active")
    if is_locked(LockState(user.failed_logins, user.locked_until), now=_now(now)):
        raise PermissionDenied(f"account {username!r} is locked")
    return user.actor()


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
    if store.user_id_of(conn, username) is not None:
        raise Conflict(f"username {username!r} is already taken")
    user_id = store.insert_user(
        conn,
        username=username,
        display_name=display_name.strip(),
        role=str(role),
        agency=agency,
        password_hash=_hasher.hash(password),
        created_at=_now(now),
    )
    uow.audit(
        "user.create",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[user_id],
        detail={"role": str(role), "agency": agency},
    )
    logger.info("user %s created with role %s", user_id, role)
    return user_id


def create_demo_users(uow: UnitOfWork) -> list[tuple[str, Role, str | None]]:
    """The demo personas, one per role, all with ``DEMO_PASSWORD``; existing ones are kept.
    For ``DEMO`` (or an administrator); each account made is audited."""
    if uow.actor != DEMO:
        _may_manage(uow)
    made = []
    for username, name, role, agency in DEMO_USERS:
        if store.user_id_of(uow.conn, username) is None:
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
    row = store.user_named(conn, attempt.username)
    ok = _verify(_DUMMY_HASH if row is None else row.password_hash, password)
    if row is None or not row.active:
        outcome = "unknown_user" if row is None else "inactive"
    elif is_locked(LockState(row.failed_logins, row.locked_until), now=now):
        outcome = "locked"
    elif not ok:
        outcome = "wrong_password"
    else:
        outcome = "signed_in"
    if outcome != "signed_in":
        # One UPDATE whatever the case (it touches no row for an unknown username).
        failed = after_failed_login(LockState(row.failed_logins if row else 0, None))
        store.set_failed_logins(conn, attempt.username, failed.failed)
        throttle.failed(attempt)
        uid = None if row is None else row.id
        append_audit(
            conn,
            audit_trail.sign_in(
                user_id=uid,
                role=None if row is None else row.role,
                outcome=outcome,
                source=source,
                trusted=trusted,
            ),
        )
        logger.warning("sign-in refused (%s) for user %s", outcome, uid)
        raise SignInFailed(SIGN_IN_FAILED)
    assert row is not None
    rehashed = _hasher.hash(password) if _hasher.check_needs_rehash(row.password_hash) else None
    store.record_sign_in(conn, row.id, at=now, password_hash=rehashed)
    throttle.succeeded(attempt)
    append_audit(
        conn,
        audit_trail.sign_in(
            user_id=row.id,
            role=row.role,
            outcome="signed_in",
            source=source,
            trusted=trusted,
        ),
    )
    return row.actor()


def lock_user(
    uow: UnitOfWork, *, username: str, until: datetime | None, now: datetime | None = None
) -> None:
    """Lock an account until ``until`` (an administrator's decision), or unlock it (None).
    Audited."""
    _may_manage(uow)
    uid = _user_id(uow.conn, username)
    store.set_locked_until(uow.conn, uid, until)
    uow.audit(
        "user.lock" if until is not None else "user.unlock",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[uid],
        detail={"until": until.isoformat() if until is not None else None},
    )


def _user_id(conn: Connection, username: str) -> int:
    uid = store.user_id_of(conn, username)
    if uid is None:
        raise NotFound(f"no user {username!r}")
    return uid


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def start_session(conn: Connection, actor: Actor, *, now: datetime | None = None) -> Session:
    """A new browser session; only the SHA-256 of its id is stored."""
    now = _now(now)
    secret, csrf = new_secret(), new_secret()
    store.insert_session(
        conn, id_hash=secret_digest(secret), user_id=actor.user_id, csrf_token=csrf, at=now
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
    found = store.session_with_user(conn, secret_digest(secret))
    if found is None or found.ended_at is not None or not found.user.active:
        raise NotSignedIn("you are not signed in")
    if session_expired(
        created_at=found.created_at,
        last_seen_at=found.last_seen_at,
        now=now,
        idle=idle,
        absolute=absolute,
    ):
        store.expire_session(conn, found.id_hash, at=now)
        raise NotSignedIn("your session has expired; please sign in again")
    if now - found.last_seen_at > timedelta(seconds=30):  # avoid a write on every request
        store.touch_session(conn, found.id_hash, at=now)
    return Session(secret, found.csrf_token, found.user.actor())


def end_session(conn: Connection, secret: str, *, now: datetime | None = None) -> None:
    store.end_session(conn, secret_digest(secret), at=_now(now))


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
    token_id = store.insert_api_token(
        uow.conn, token_hash=secret_digest(token), user_id=uid, name=name, at=_now(now)
    )
    uow.audit(
        "user.token_issued",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[uid],
        detail={"token": token_id},
    )
    return token


def token_actor(conn: Connection, token: str, *, now: datetime | None = None) -> Actor:
    """The user an API token acts for. Raises NotSignedIn for an unknown or revoked token."""
    found = store.live_token(conn, secret_digest(token))
    if found is None or not found.user.active:
        raise NotSignedIn("invalid API token")
    now = _now(now)
    if found.last_used_at is None or now - found.last_used_at > timedelta(minutes=1):
        store.touch_token(conn, found.id, at=now)
    return found.user.actor()


def revoke_api_tokens(uow: UnitOfWork, *, username: str, now: datetime | None = None) -> int:
    """Revoke every live API token of ``username``; returns how many. Audited."""
    _may_manage(uow)
    uid = _user_id(uow.conn, username)
    revoked = store.revoke_tokens(uow.conn, uid, at=_now(now))
    uow.audit(
        "user.tokens_revoked",
        AuditCategory.ALTERATION,
        "user",
        record_ids=[uid],
        detail={"revoked": revoked},
    )
    return revoked


def list_users(conn: Connection) -> list[dict[str, object]]:
    """Every account by username (no password hash), for the command line."""
    return store.user_listing(conn)


def display_name(conn: Connection, user_id: int) -> str:
    return store.display_name_of(conn, user_id) or f"user {user_id}"
