"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safeguard.domain.accounts import new_secret, same_secret
from safeguard.services import accounts
from safeguard.web.deps import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ActorDep,
    ConnDep,
    CsrfFailed,
    SettingsDep,
    login_csrf,
)
from safeguard.web.pages.render import render

router = APIRouter()


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
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce or not same_secret(csrf_token, login_csrf(settings, nonce)):
        raise CsrfFailed("the sign-in form has expired; please try again")
    try:
        actor = accounts.authenticate(
            conn,
            username=username.strip(),
            password=password,
            max_failed=settings.max_failed_logins,
        )
    except accounts.SignInFailed as exc:
        # Returned, not raised: the transaction commits, so the failure count persists.
        return render(
            request,
            "login.html",
            {"login_csrf": csrf_token, "error": str(exc).capitalize(), "username": username},
            status_code=401,
        )
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
    return response


@router.post("/logout")
def logout(request: Request, conn: ConnDep, actor: ActorDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE, "")
    accounts.end_session(conn, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
