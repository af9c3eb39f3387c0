"""Request dependencies: a transaction per request, the signed-in actor, CSRF, authorisation.

``Authorised(Action.X)`` is how every route states what it needs; the one policy function
``safeguard.domain.access.can`` decides. A route never looks at a role itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.audit import AuditAppender
from safeguard.config import Settings
from safeguard.domain.access import Action, Actor, ensure
from safeguard.domain.accounts import same_secret
from safeguard.domain.purposes import Justification, Use, justify
from safeguard.errors import PermissionDenied
from safeguard.services import accounts
from safeguard.services.throttle import SignInThrottle

SESSION_COOKIE = "sg_session"
LOGIN_COOKIE = "sg_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfFailed(PermissionDenied):
    """A state-changing request came without the session's CSRF token."""


# Dependencies that only read app state or check the policy are ``async``: FastAPI runs a sync
# dependency in the thread pool, one hop per dependency per request, which costs more than they do.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_conn(request: Request) -> Iterator[Connection]:
    """One transaction per request: committed when the route returns, rolled back on error.

    Used with ``scope="function"`` (see ``ConnDep``), so the commit happens before the response
    is sent: a client never sees a result whose audit entry, session or change is not yet
    durable, and a redirect after a POST never races the commit."""
    engine: Engine = request.app.state.engine
    with engine.begin() as conn:
        yield conn


async def get_audit(request: Request) -> AuditAppender:
    """The process's audit appender: group commit for consultations (reads)."""
    audit: AuditAppender = request.app.state.audit
    return audit


async def get_throttle(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.throttle
    return throttle


SettingsDep = Annotated[Settings, Depends(get_settings)]
ThrottleDep = Annotated[SignInThrottle, Depends(get_throttle)]
AuditDep = Annotated[AuditAppender, Depends(get_audit)]
# Database ids are 32-bit integers on both databases; person ids may be negative (unlinked).
PersonId = Annotated[int, Path(ge=-2_147_483_647, le=2_147_483_647)]
RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]
ConnDep = Annotated[Connection, Depends(get_conn, scope="function")]
EngineDep = Annotated[Engine, Depends(get_engine)]


async def _csrf_ok(request: Request, expected: str) -> bool:
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    return supplied is not None and same_secret(supplied, expected)


def _credentials(request: Request, settings: SettingsDep) -> accounts.Session | Actor:
    """Who is calling: checked in a short transaction of its own, so that a session's "last
    seen" time is kept even when the request then fails. It uses its own connection pool: a
    request may already hold a connection from the main pool, and waiting on the same pool for
    a second one could deadlock under load."""
    engine: Engine = request.app.state.auth_engine
    auth = request.headers.get("authorization", "")
    with engine.begin() as conn:
        if auth.lower().startswith("bearer "):
            return accounts.token_actor(conn, auth[7:].strip())
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret or len(secret) > 200:
            raise accounts.NotSignedIn("you are not signed in")
        return accounts.resume_session(
            conn,
            secret,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )


async def current_actor(
    request: Request,
    credentials: Annotated[accounts.Session | Actor, Depends(_credentials)],
) -> Actor:
    """The actor behind a bearer API token or a session cookie (with CSRF on unsafe methods).

    Raises:
        NotSignedIn: no credentials, or forged, ended, expired ones.
        CsrfFailed: a cookie-authenticated POST without the session's CSRF token.
    """
    if isinstance(credentials, Actor):  # API token: no cookie, so no CSRF to check
        request.state.csrf_token = None
        request.state.actor = credentials
        return credentials
    request.state.actor = credentials.actor  # known before the CSRF check: a refusal is audited
    if request.method in UNSAFE and not await _csrf_ok(request, credentials.csrf_token):
        raise CsrfFailed("the form has expired or did not come from this site; please try again")
    request.state.csrf_token = credentials.csrf_token
    return credentials.actor


ActorDep = Annotated[Actor, Depends(current_actor)]


class Authorised:
    """Dependency: the actor, provided the policy lets them do ``action`` at all."""

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, actor: ActorDep) -> Actor:
        ensure(actor, self.action)
        return actor


def login_csrf(settings: Settings, nonce: str) -> str:
    """CSRF token of the sign-in form, bound to a pre-session cookie nonce."""
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, b"login:" + nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def consultation(
    purpose: Annotated[
        str, Query(max_length=40, description="Why (s.62): a purpose code from GET /api/purposes")
    ],
    reference: Annotated[
        str | None,
        Query(max_length=40, description="Incident, case or referral number, where needed"),
    ] = None,
) -> Justification:
    """The s.62(2) justification of a read: a purpose from the controlled list (+ reference)."""
    return justify(purpose, reference, use=Use.CONSULT)


JustificationQ = Annotated[Justification, Depends(consultation)]
