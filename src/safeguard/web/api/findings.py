"""Findings: acknowledge or resolve (the rules engine finds them; this records what was done)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.services import findings
from safeguard.web.api.models import FindingActIn, FindingOut
from safeguard.web.deps import Authorised, EngineDep, RecordId

router = APIRouter(prefix="/findings", tags=["findings"])
Actioner = Annotated[Actor, Depends(Authorised(Action.ACT_ON_FINDINGS))]


@router.post("/{finding_id}/acknowledge", response_model=FindingOut)
def acknowledge(
    finding_id: RecordId, body: FindingActIn, engine: EngineDep, actor: Actioner
) -> FindingOut:
    """Say you have seen the finding and own it (audited as alteration)."""
    done = findings.act(
        engine, actor=actor, finding_id=finding_id, to="acknowledge", note=body.note
    )
    return FindingOut.model_validate(asdict(done))


@router.post("/{finding_id}/resolve", response_model=FindingOut)
def resolve(
    finding_id: RecordId, body: FindingActIn, engine: EngineDep, actor: Actioner
) -> FindingOut:
    """Close the finding with a note saying what was done (audited as alteration)."""
    done = findings.act(engine, actor=actor, finding_id=finding_id, to="resolve", note=body.note)
    return FindingOut.model_validate(asdict(done))
