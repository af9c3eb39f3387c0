"""MoPI review: the records manager's worklist, review decisions and legal holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from safeguard.domain.access import Action, Actor
from safeguard.domain.retention import Decision, RetentionPolicy
from safeguard.services import retention
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import (
    RetentionDecisionIn,
    RetentionDecisionOut,
    RetentionHoldIn,
    RetentionItemOut,
)
from safeguard.web.deps import Authorised, ConnDep, RecordId

router = APIRouter(prefix="/retention", tags=["retention"])
Manager = Annotated[Actor, Depends(Authorised(Action.MANAGE_RETENTION))]


def policy_of(request: Request) -> RetentionPolicy:
    policy: RetentionPolicy = request.app.state.retention
    return policy


PolicyDep = Annotated[RetentionPolicy, Depends(policy_of)]


def items(
    conn: ConnDep, actor: Actor, policy: RetentionPolicy, horizon_days: int
) -> list[RetentionItemOut]:
    found = retention.review_worklist(
        UnitOfWork(conn, actor),
        policy=policy,
        today=datetime.now(UTC).date(),
        horizon_days=horizon_days,
    )
    return [
        RetentionItemOut(
            person_id=i.due.person_id,
            group=i.due.group,
            review_on=i.due.review_on,
            earliest_disposal=i.due.earliest_disposal,
            reason=i.due.reason,
            restricted=i.restricted,
            legal_hold=i.hold_reason is not None,
        )
        for i in found
    ]


@router.get("", response_model=list[RetentionItemOut])
def worklist(
    conn: ConnDep, actor: Manager, policy: PolicyDep, horizon_days: int = 0
) -> list[RetentionItemOut]:
    """People whose records are due for review, most overdue first (ids only; audited)."""
    return items(conn, actor, policy, max(0, min(horizon_days, 3650)))


@router.post("/{person_id}/review", response_model=RetentionDecisionOut, status_code=201)
def review(
    person_id: RecordId,
    body: RetentionDecisionIn,
    conn: ConnDep,
    actor: Manager,
    policy: PolicyDep,
) -> RetentionDecisionOut:
    """Retain (with a rationale and the next review date) or dispose of a person's records.
    A restricted person needs a break-glass reason first; a legal hold blocks disposal."""
    decision = Decision(body.decision)
    rid = retention.decide(
        UnitOfWork(conn, actor),
        person_id=person_id,
        decision=decision,
        rationale=body.rationale,
        policy=policy,
        today=datetime.now(UTC).date(),
        next_review=body.next_review,
    )
    return RetentionDecisionOut(review_id=rid, person_id=person_id, decision=str(decision))


@router.post("/{person_id}/hold", status_code=204)
def hold(person_id: RecordId, body: RetentionHoldIn, conn: ConnDep, actor: Manager) -> None:
    """Place (or, with ``lift``, lift) a legal hold on a person's records; audited."""
    act = retention.lift_hold if body.lift else retention.place_hold
    act(UnitOfWork(conn, actor), person_id=person_id, reason=body.reason)
