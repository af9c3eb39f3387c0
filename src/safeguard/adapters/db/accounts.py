"""Tables for accounts: users, sign-in sessions, API tokens, break-glass grants, agency sharing;
and the repository of the first three (the use cases are ``safeguard.services.accounts``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime
from safeguard.domain.access import Actor, Role

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(32), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("agency", sa.String(64), nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_login_at", UTCDateTime(), nullable=True),
)

# A signed-in browser session; the cookie holds a random id, only its SHA-256 is stored.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    sa.Column("ended_at", UTCDateTime(), nullable=True),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

# A recorded reason to see a restricted person; valid for a limited time, for one viewer and
# one person. The reason is also in the audit log (action person.break_glass). A supervisor
# reviews each use (review_status: NULL = not yet reviewed, "accepted" or "questioned").
break_glass_grants = sa.Table(
    "break_glass_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("granted_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=True),  # migration 0006; NULL before it
    sa.Column("reference", sa.String(40), nullable=True),
    sa.Column("review_status", sa.String(16), nullable=True),
    sa.Column("reviewed_by", sa.Integer, nullable=True),
    sa.Column("reviewed_at", UTCDateTime(), nullable=True),
    sa.Column("review_note", sa.Text, nullable=True),
    sa.Index("ix_break_glass_grants_user_person", "user_id", "person_id"),
)

# What is shared with which partner agency (a disclosure, audited when made): the agency's
# registry code, the purpose, the record kinds covered (comma-separated) and when it ends.
agency_shares = sa.Table(
    "agency_shares",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("shared_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("shared_at", UTCDateTime(), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("purpose", sa.String(40), nullable=True),  # migration 0006; NULL before it
    sa.Column("reference", sa.String(40), nullable=True),
    sa.Column("record_kinds", sa.Text, nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_by", sa.Integer, nullable=True),
    sa.Column("revoke_reason", sa.Text, nullable=True),
    sa.Index("ix_agency_shares_agency_person", "agency", "person_id"),
    sa.Index("ix_agency_shares_person_id", "person_id"),  # who may see a person (every view)
)

# Person search by partial name, case-insensitive: a prefix range on one lower(name) drives
# one of these on both SQLite and PostgreSQL, and the other name's word is checked in the same
# index entries (migration 0005).
_mentions = metadata.tables["person_mentions"]
_low_surname = sa.func.lower(_mentions.c.surname)
_low_forenames = sa.func.lower(_mentions.c.forenames)
sa.Index("ix_person_mentions_lower_surname_forenames", _low_surname, _low_forenames)
sa.Index("ix_person_mentions_lower_forenames_surname", _low_forenames, _low_surname)


# --- The accounts repository: the only SQL on users, sessions and API tokens. ---


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A stored account, with what signing in needs (the hash never leaves the use cases)."""

    id: int
    username: str
    display_name: str
    role: str
    agency: str | None
    password_hash: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None

    def actor(self) -> Actor:
        return Actor(self.id, self.username, Role(self.role), self.agency)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A stored browser session and its account."""

    id_hash: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    user: UserRecord


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A live API token and its account."""

    id: int
    last_used_at: datetime | None
    user: UserRecord


def _user(m: sa.RowMapping) -> UserRecord:
    return UserRecord(
        id=int(m["id"]),
        username=str(m["username"]),
        display_name=str(m["display_name"]),
        role=str(m["role"]),
        agency=m["agency"],
        password_hash=str(m["password_hash"]),
        active=bool(m["active"]),
        failed_logins=int(m["failed_logins"]),
        locked_until=m["locked_until"],
        last_login_at=m["last_login_at"],
    )


def any_user(conn: Connection) -> bool:
    """Whether the database has any account at all."""
    return conn.execute(sa.select(users.c.id).limit(1)).first() is not None


def user_named(conn: Connection, username: str) -> UserRecord | None:
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return None if row is None else _user(row._mapping)


def user_id_of(conn: Connection, username: str) -> int | None:
    uid = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
    return None if uid is None else int(uid)


def insert_user(
    conn: Connection,
    *,
    username: str,
    display_name: str,
    role: str,
    agency: str | None,
    password_hash: str,
    created_at: datetime,
) -> int:
    """Store a new account; returns its id."""
    user_id = conn.execute(
        sa.insert(users)
        .values(
            username=username,
            display_name=display_name,
            role=role,
            agency=agency,
            password_hash=password_hash,
            created_at=created_at,
        )
        .returning(users.c.id)
    ).scalar_one()
    return int(user_id)


def set_failed_logins(conn: Connection, username: str, failed: int) -> None:
    """Record the failure count (touches no row for an unknown username)."""
    conn.execute(sa.update(users).where(users.c.username == username).values(failed_logins=failed))


def record_sign_in(
    conn: Connection, user_id: int, *, at: datetime, password_hash: str | None = None
) -> None:
    """A successful sign-in: failures cleared, lock lifted, the time kept (and a new hash)."""
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": at}
    if password_hash is not None:
        values["password_hash"] = password_hash
    conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def set_locked_until(conn: Connection, user_id: int, until: datetime | None) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(locked_until=until))


def insert_session(
    conn: Connection, *, id_hash: str, user_id: int, csrf_token: str, at: datetime
) -> None:
    conn.execute(
        sa.insert(web_sessions).values(
            id_hash=id_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=at,
            last_seen_at=at,
        )
    )


def session_with_user(conn: Connection, id_hash: str) -> SessionRecord | None:
    """The session stored under ``id_hash`` and its account, ended or not."""
    row = conn.execute(
        sa.select(
            web_sessions.c.id_hash,
            web_sessions.c.csrf_token,
            web_sessions.c.created_at,
            web_sessions.c.last_seen_at,
            web_sessions.c.ended_at,
            *users.c,
        )
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.id_hash == id_hash)
    ).first()
    if row is None:
        return None
    m = row._mapping
    return SessionRecord(
        id_hash=str(m["id_hash"]),
        csrf_token=str(m["csrf_token"]),
        created_at=m["created_at"],
        last_seen_at=m["last_seen_at"],
        ended_at=m["ended_at"],
        user=_user(m),
    )


def end_session(conn: Connection, id_hash: str, *, at: datetime) -> None:
    """End the session (if it has not ended already)."""
    conn.execute(
        sa.update(web_sessions)
        .where(web_sessions.c.id_hash == id_hash)
        .where(web_sessions.c.ended_at.is_(None))
        .values(ended_at=at)
    )


def expire_session(conn: Connection, id_hash: str, *, at: datetime) -> None:
    """End an expired session at ``at``."""
    conn.execute(
        sa.update(web_sessions).where(web_sessions.c.id_hash == id_hash).values(ended_at=at)
    )


def touch_session(conn: Connection, id_hash: str, *, at: datetime) -> None:
    conn.execute(
        sa.update(web_sessions).where(web_sessions.c.id_hash == id_hash).values(last_seen_at=at)
    )


def insert_api_token(
    conn: Connection, *, token_hash: str, user_id: int, name: str, at: datetime
) -> int:
    """Store a new API token (its hash); returns its id."""
    token_id = conn.execute(
        sa.insert(api_tokens)
        .values(token_hash=token_hash, user_id=user_id, name=name, created_at=at)
        .returning(api_tokens.c.id)
    ).scalar_one()
    return int(token_id)


def live_token(conn: Connection, token_hash: str) -> TokenRecord | None:
    """The unrevoked token stored under ``token_hash`` and its account."""
    row = conn.execute(
        sa.select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == token_hash)
        .where(api_tokens.c.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    m = row._mapping
    return TokenRecord(id=int(m["token_id"]), last_used_at=m["last_used_at"], user=_user(m))


def touch_token(conn: Connection, token_id: int, *, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))


def revoke_tokens(conn: Connection, user_id: int, *, at: datetime) -> int:
    """Revoke every live token of the account; returns how many."""
    result = conn.execute(
        sa.update(api_tokens)
        .where(api_tokens.c.user_id == user_id)
        .where(api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount)


def user_listing(conn: Connection) -> list[dict[str, object]]:
    """Every account by username: id, names, role, agency, state (no password hash)."""
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


def display_name_of(conn: Connection, user_id: int) -> str | None:
    name = conn.execute(sa.select(users.c.display_name).where(users.c.id == user_id)).scalar()
    return None if name is None else str(name)
