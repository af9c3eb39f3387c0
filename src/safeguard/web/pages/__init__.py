"""HTML pages of the web app (server-rendered Jinja2; htmx partials start with ``_``)."""

from __future__ import annotations

from fastapi import APIRouter

from safeguard.web.pages import assess, auth, board, mash, people, work

router = APIRouter(include_in_schema=False)
for module in (auth, people, assess, work, mash, board):
    router.include_router(module.router)
