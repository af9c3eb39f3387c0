"""Who am I, and a bare health endpoint (also the benchmark's static baseline)."""

from __future__ import annotations

from fastapi import APIRouter

from safeguard.domain.access import Action, can
from safeguard.web.api.models import MeOut
from safeguard.web.deps import ActorDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health() -> dict[str, str]:
    """Always ``{"status": "ok"}``: no database, no authentication."""
    return {"status": "ok"}


@router.get("/me", response_model=MeOut)
def me(actor: ActorDep) -> MeOut:
    """The signed-in user and the actions the policy allows them."""
    return MeOut(
        user_id=actor.user_id,
        username=actor.username,
        role=str(actor.role),
        agency=actor.agency,
        allowed_actions=[str(a) for a in Action if can(actor, a)],
    )
