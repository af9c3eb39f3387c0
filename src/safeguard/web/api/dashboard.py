"""The force's current numbers (aggregates only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import dashboard
from safeguard.web.api.models import FigureOut
from safeguard.web.deps import Authorised, ConnDep

router = APIRouter(prefix="/dashboard", tags=["dashboard"])


@router.get("", response_model=list[FigureOut])
def figures(
    conn: ConnDep, actor: Annotated[Actor, Depends(Authorised(Action.VIEW_DASHBOARD))]
) -> list[FigureOut]:
    """Headline counts; numbers from 1 to 4 are suppressed."""
    return [
        FigureOut(label=f.label, value=f.value, shown=f.shown)
        for f in dashboard.force_figures(conn, actor=actor)
    ]
