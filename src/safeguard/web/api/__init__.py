"""JSON API routers, one module per resource, all under /api."""

from __future__ import annotations

from fastapi import APIRouter

from safeguard.web.api import (
    assessments,
    dashboard,
    events,
    links,
    people,
    referrals,
    system,
    worklists,
)

router = APIRouter(prefix="/api")
for module in (system, people, events, assessments, referrals, worklists, links, dashboard):
    router.include_router(module.router)
