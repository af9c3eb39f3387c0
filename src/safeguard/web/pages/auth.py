"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, Field

from safeguard.config import Settings
from safeguard.domain.accounts import new_secret, same_secret
from safeguard.domain.partners import name_key
from safeguard.services import accounts, audit_trail
from safeguard.services.throttle import Attempt
from safeguard.web.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ActorDep,
    ConnDep,
    CsrfFailed,
    SettingsDep,
    ThrottleDep,
    login_csrf,
)
from safeguard.web.pages.render import render

router = APIRouter()
BROWSER_COOKIE = "sg_browser"
BROWSER_MAX_AGE = 365 * 24 * 3600


class SignInForm(BaseModel):
    """The sign-in form; any other field is refused (422, audited)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    csrf_token: str = Field(default="", max_length=200)


def _browsers(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="trusted-browser")


def _trusted_browser(request: Request, settings: Settings, username: str) -> str | None:
    """The id of this browser if it has signed in as ``username`` before (signed cookie)."""
    value = request.cookies.get(BROWSER_COOKIE)
    if not value or len(value) > 300:
        return None
    try:
        data = _browsers(settings).loads(value, max_age=BROWSER_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != name_key(username):
        return None
    browser = data.get("b")
    return browser if isinstance(browser, str) else None


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request, settings_env: str) -> bool:
    return request.url.scheme == "https" or settings_env == "production"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or len(nonce) > 100:
        nonce = new_secret()
    response = render(request, "login.html", {"login_csrf": login_csrf(settings, nonce)})
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings.environment),
        max_age=3600,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
    form: Annotated[SignInForm, Form()],
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not same_secret(form.csrf_token, login_csrf(settings, nonce)):
        raise CsrfFailed("the sign-in form has expired; please try again")
    username = form.username.strip()
    browser = _trusted_browser(request, settings, username)
    attempt = Attempt(username, _source(request), browser)
    try:
        actor = accounts.authenticate(
            conn, attempt=attempt, password=form.password, throttle=throttle
        )
    except (accounts.SignInFailed, accounts.Throttled) as exc:
        # Returned, not raised: the transaction commits the audit entry and the failure count.
        status = 429 if isinstance(exc, accounts.Throttled) else 401
        page = render(
            request,
            "login.html",
            {"login_csrf": form.csrf_token, "error": str(exc).capitalize(), "username": username},
            status_code=status,
        )
        if isinstance(exc, accounts.Throttled):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    session = accounts.start_session(conn, actor)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.secret,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings.environment),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE)
    response.set_cookie(
        BROWSER_COOKIE,
        _browsers(settings).dumps({"u": name_key(username), "b": browser or new_secret()}),
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings.environment),
        max_age=BROWSER_MAX_AGE,
    )
    return response


@router.post("/logout")
def logout(request: Request, conn: ConnDep, actor: ActorDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    accounts.end_session(conn, secret)
    audit_trail.record(conn, audit_trail.sign_out(actor))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
