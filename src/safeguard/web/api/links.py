"""The link review queue: confirm or split an uncertain record link."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import links
from safeguard.web.api.models import LinkDecisionOut, LinkReviewOut
from safeguard.web.deps import Authorised, ConnDep, RecordId

router = APIRouter(prefix="/links", tags=["links"])
Reviewer = Annotated[Actor, Depends(Authorised(Action.REVIEW_LINKS))]


@router.get("/{mention_id}", response_model=LinkReviewOut)
def review(mention_id: RecordId, conn: ConnDep, actor: Reviewer) -> LinkReviewOut:
    """The record beside the other records of the person it is linked to."""
    return LinkReviewOut.model_validate(
        asdict(links.review(conn, actor=actor, mention_id=mention_id))
    )


@router.post("/{mention_id}/confirm", response_model=LinkDecisionOut)
def confirm(mention_id: RecordId, conn: ConnDep, actor: Reviewer) -> LinkDecisionOut:
    person_id = links.confirm_link(conn, actor=actor, mention_id=mention_id)
    return LinkDecisionOut(mention_id=mention_id, person_id=person_id, decision="confirmed")


@router.post("/{mention_id}/split", response_model=LinkDecisionOut)
def split(mention_id: RecordId, conn: ConnDep, actor: Reviewer) -> LinkDecisionOut:
    person_id = links.split_link(conn, actor=actor, mention_id=mention_id)
    return LinkDecisionOut(mention_id=mention_id, person_id=person_id, decision="split")
