"""Accounts, sign-in sessions and API tokens: the rules, without storage or crypto libraries.

* usernames are short lower-case identifiers (they appear in the audit log, names never do);
* passwords are 12 to 128 characters (NCSC: length over complexity);
* after ``max_failed`` wrong passwords in a row an account is locked for ``lockout`` minutes;
* a session ends after ``idle`` minutes without a request, and after 12 hours in any case;
* session ids and API tokens are random secrets; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from safeguard.domain.access import Role
from safeguard.errors import ValidationFailed

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
AGENCY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 128
SESSION_ABSOLUTE = timedelta(hours=12)
LOCKOUT = timedelta(minutes=15)
API_TOKEN_PREFIX = "sgt_"  # noqa: S105 - a marker, not a secret


def check_username(username: str) -> str:
    if not USERNAME_RE.fullmatch(username):
        raise ValidationFailed(
            "username: 2-32 characters, lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(
            f"password: must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long"
        )
    return password


def check_role_agency(role: Role, agency: str | None) -> str | None:
    """A partner-agency user must name their agency; nobody else has one."""
    if role is Role.PARTNER_AGENCY:
        if agency is None or not AGENCY_RE.fullmatch(agency):
            raise ValidationFailed(
                "agency: a partner-agency user needs an agency code such as 'childrens-services'"
            )
        return agency
    if agency is not None:
        raise ValidationFailed("agency: only partner-agency users belong to an agency")
    return None


def new_secret() -> str:
    """A fresh random secret (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """What is stored for a session id or API token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class LockState:
    failed: int
    locked_until: datetime | None


def after_failed_login(state: LockState, *, now: datetime, max_failed: int) -> LockState:
    """Count one more wrong password; lock the account once ``max_failed`` is reached."""
    failed = state.failed + 1
    if failed >= max_failed:
        return LockState(0, now + LOCKOUT)
    return LockState(failed, state.locked_until)


def is_locked(state: LockState, *, now: datetime) -> bool:
    return state.locked_until is not None and state.locked_until > now


def session_expired(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta
) -> bool:
    """A session ends after ``idle`` without use, or 12 hours after sign-in."""
    return now - last_seen_at > idle or now - created_at > SESSION_ABSOLUTE
