"""Accounts, sign-in sessions and API tokens: the rules, without storage or crypto libraries.

* usernames are short lower-case identifiers (they appear in the audit log, names never do);
* passwords are 12 to 128 characters (NCSC: length over complexity);
* failed sign-ins are throttled with growing delays (``throttle_policy``): per account from
  browsers it has not signed in from before, per source address, and per trusted browser, so
  that a stranger cannot lock anyone out of the browser they use; an administrator may lock an
  account (``locked_until``), which answers exactly as a wrong password does;
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


def after_failed_login(state: LockState) -> LockState:
    """Count one more wrong password (for the record: throttling, not the count, slows an
    attacker, so that nobody can lock an account by failing on purpose)."""
    return LockState(state.failed + 1, state.locked_until)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Failed sign-ins allowed before the next attempt must wait, in the ``limits`` library's
    notation; several tiers each, so the wait grows with the failures (a minute, a quarter of
    an hour, an hour, a day).

    Args:
        per_account: failures for one username from browsers it has not signed in from.
        per_source: failures from one source address, whatever the username (a police
            station's shared address must not lock its officers out, hence generous).
        per_browser: failures from one browser an account has signed in from before.
    """

    per_account: str
    per_source: str
    per_browser: str


def throttle_policy(free_failures: int) -> ThrottlePolicy:
    """The tiers for ``free_failures`` failures before the first wait.

    Examples:
        >>> throttle_policy(5).per_account
        '5/minute; 10/15 minutes; 20/hour; 40/day'
    """
    n = free_failures
    return ThrottlePolicy(
        per_account=f"{n}/minute; {2 * n}/15 minutes; {4 * n}/hour; {8 * n}/day",
        per_source=f"{4 * n}/minute; {20 * n}/hour; {80 * n}/day",
        per_browser=f"{n}/minute; {2 * n}/15 minutes; {8 * n}/day",
    )


def is_locked(state: LockState, *, now: datetime) -> bool:
    return state.locked_until is not None and state.locked_until > now


def session_expired(
    *,
    created_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    idle: timedelta,
    absolute: timedelta = SESSION_ABSOLUTE,
) -> bool:
    """A session ends after ``idle`` without use, or ``absolute`` (12 hours) after sign-in."""
    return now - last_seen_at > idle or now - created_at > absolute
