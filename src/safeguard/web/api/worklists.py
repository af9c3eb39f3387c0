"""Worklists: what to do next."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import worklists
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import WorkItemOut, WorklistCountOut, WorklistOut
from safeguard.web.deps import Authorised, ConnDep

router = APIRouter(prefix="/worklists", tags=["worklists"])
Worker = Annotated[Actor, Depends(Authorised(Action.VIEW_WORKLISTS))]


@router.get("", response_model=list[WorklistCountOut])
def counts(conn: ConnDep, actor: Worker) -> list[WorklistCountOut]:
    """Each worklist with how many items it holds."""
    return [
        WorklistCountOut(code=w.code, title=w.title, what_to_do=w.what_to_do, count=n)
        for w, n in worklists.worklist_counts(UnitOfWork(conn, actor))
    ]


@router.get("/{code}", response_model=WorklistOut)
def items(code: str, conn: ConnDep, actor: Worker) -> WorklistOut:
    """The items of one worklist (the people shown are audited as consulted)."""
    w, found = worklists.worklist(UnitOfWork(conn, actor), code=code)
    return WorklistOut(
        code=w.code,
        title=w.title,
        what_to_do=w.what_to_do,
        items=[WorkItemOut.model_validate(asdict(i)) for i in found],
    )
