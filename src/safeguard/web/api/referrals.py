"""Referrals and their status changes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import referrals
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import ReferralOut, StatusIn
from safeguard.web.deps import AuditDep, Authorised, ConnDep, RecordId

router = APIRouter(prefix="/referrals", tags=["referrals"])


@router.get("", response_model=list[ReferralOut])
def list_referrals(
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_REFERRALS))],
    open_only: bool = True,
) -> list[ReferralOut]:
    """Referrals, newest first; partner agencies see only those made to them (audited)."""
    return [
        ReferralOut.model_validate(asdict(r))
        for r in referrals.list_referrals(UnitOfWork(conn, actor), open_only=open_only, audit=audit)
    ]


@router.get("/{referral_id}", response_model=ReferralOut)
def get_referral(
    referral_id: RecordId,
    conn: ConnDep,
    audit: AuditDep,
    actor: Annotated[Actor, Depends(Authorised(Action.VIEW_REFERRALS))],
) -> ReferralOut:
    """One referral (audited as a consultation)."""
    return ReferralOut.model_validate(
        asdict(
            referrals.get_referral(UnitOfWork(conn, actor), referral_id=referral_id, audit=audit)
        )
    )


@router.post("/{referral_id}/status", response_model=ReferralOut)
def change_status(
    referral_id: RecordId,
    body: StatusIn,
    conn: ConnDep,
    actor: Annotated[Actor, Depends(Authorised(Action.CHANGE_REFERRAL_STATUS))],
) -> ReferralOut:
    """Move the referral on (e.g. received -> accepted); audited as alteration."""
    view = referrals.change_referral_status(
        UnitOfWork(conn, actor), referral_id=referral_id, status=str(body.status), note=body.note
    )
    return ReferralOut.model_validate(asdict(view))
