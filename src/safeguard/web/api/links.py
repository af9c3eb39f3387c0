"""The link review queue: two records side by side; confirm or split (linking decides)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import links, worklists
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import (
    LinkDecisionIn,
    LinkDecisionOut,
    PairReviewOut,
    PairWhyOut,
    WorkItemOut,
)
from safeguard.web.deps import Authorised, ConnDep, EngineDep, RecordId

router = APIRouter(prefix="/links", tags=["links"])
Reviewer = Annotated[Actor, Depends(Authorised(Action.REVIEW_LINKS))]


@router.get("", response_model=list[WorkItemOut])
def queue(conn: ConnDep, actor: Reviewer) -> list[WorkItemOut]:
    """Open review items, most important first (``record_id`` is the review item id)."""
    _, items = worklists.worklist(UnitOfWork(conn, actor), code="uncertain-links")
    return [WorkItemOut.model_validate(asdict(i)) for i in items]


@router.get("/pairs/{left}/{right}/why", response_model=PairWhyOut)
def why(left: RecordId, right: RecordId, conn: ConnDep, actor: Reviewer) -> PairWhyOut:
    """Why two records (mention ids) are one person or two: each field's comparison level and
    match weight (Splink's waterfall) and every guard that keeps them apart."""
    from safeguard.services.linkage_why import why_pair

    return PairWhyOut.model_validate(
        asdict(why_pair(UnitOfWork(conn, actor), left=left, right=right))
    )


@router.get("/{review_id}", response_model=PairReviewOut)
def review(review_id: RecordId, conn: ConnDep, actor: Reviewer) -> PairReviewOut:
    """The two records beside each other, with each one's person's other records."""
    found = links.review_pair(UnitOfWork(conn, actor), review_id=review_id)
    return PairReviewOut.model_validate(asdict(found))


@router.post("/{review_id}/confirm", response_model=LinkDecisionOut)
def confirm(
    review_id: RecordId, body: LinkDecisionIn, engine: EngineDep, actor: Reviewer
) -> LinkDecisionOut:
    """The two records are one person: merged now and kept together in every later run."""
    decision = links.confirm(engine, actor=actor, review_id=review_id, reason=body.reason)
    return LinkDecisionOut(review_id=review_id, decision_id=decision, decision="confirmed")


@router.post("/{review_id}/split", response_model=LinkDecisionOut)
def split(
    review_id: RecordId, body: LinkDecisionIn, engine: EngineDep, actor: Reviewer
) -> LinkDecisionOut:
    """The two records are different people: split now and kept apart in every later run."""
    decision = links.split(engine, actor=actor, review_id=review_id, reason=body.reason)
    return LinkDecisionOut(review_id=review_id, decision_id=decision, decision="split")
