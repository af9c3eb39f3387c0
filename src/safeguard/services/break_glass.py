"""Break glass: a viewer records why they must see a restricted person (a purpose from the
controlled list and its reference); the grant is for that viewer and that person, for a limited
time, audited; supervisors review every use and may question one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from safeguard.adapters.db import break_glass as store
from safeguard.domain.access import Action, Refused, Resource, ensure
from safeguard.domain.audit import AuditCategory
from safeguard.domain.purposes import BY_CODE, Justification
from safeguard.errors import InvalidTransition, NotFound, ValidationFailed
from safeguard.services import access
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)
REVIEW_STATUSES = ("accepted", "questioned")


@dataclass(frozen=True, slots=True)
class BreakGlassUse:
    """One grant, for the supervisor's review (the person by id only, never by name)."""

    id: int
    user_id: int
    username: str
    person_id: int
    purpose: str  # the purpose's label
    reference: str | None
    reason: str
    granted_at: datetime
    expires_at: datetime
    review_status: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    review_note: str | None


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def grant(
    uow: UnitOfWork,
    *,
    person_id: int,
    justification: Justification,
    valid_for: timedelta,
    now: datetime | None = None,
) -> int:
    """Record a reason to see a restricted person; valid for ``valid_for``, audited.

    Raises:
        Refused: the role may not break glass, or could not see the person even unrestricted
            (a partner agency never may).
        NotFound: no such person.
    """
    conn, actor = uow.conn, uow.user
    from safeguard.services.people import mention_ids_of  # the people service reads persons

    now = _now(now)
    ensure(actor, Action.BREAK_GLASS)
    mention_ids_of(conn, person_id)
    resource = access.person_resource(conn, actor, person_id, now)
    unrestricted = Resource("person", shared_with=resource.shared_with, person_id=person_id)
    ensure(actor, Action.VIEW_PERSON, unrestricted)
    grant_id = store.insert_grant(
        conn,
        user_id=actor.user_id,
        person_id=person_id,
        reason=justification.text,
        purpose=justification.purpose.code,
        reference=justification.reference,
        granted_at=now,
        expires_at=now + valid_for,
    )
    uow.audit(
        "person.break_glass",
        AuditCategory.CONSULTATION,
        "person",
        record_ids=[person_id],
        person_ids=[person_id],
        justification=justification.text,
        detail={
            **justification.detail(),
            "grant": grant_id,
            "minutes": valid_for // timedelta(minutes=1),
        },
    )
    logger.warning("user %s broke glass for person %s", actor.user_id, person_id)
    return grant_id


def _use(g: store.GrantRecord) -> BreakGlassUse:
    purpose = BY_CODE.get(g.purpose) if g.purpose else None
    return BreakGlassUse(
        id=g.id,
        user_id=g.user_id,
        username=g.username,
        person_id=g.person_id,
        purpose=purpose.label if purpose else "(before purposes were recorded)",
        reference=g.reference,
        reason=g.reason,
        granted_at=g.granted_at,
        expires_at=g.expires_at,
        review_status=g.review_status,
        reviewed_by=g.reviewed_by,
        reviewed_at=g.reviewed_at,
        review_note=g.review_note,
    )


def uses(uow: UnitOfWork, *, status: str | None = None, limit: int = 200) -> list[BreakGlassUse]:
    """Break-glass uses to review, newest first. ``status``: ``unreviewed``, ``accepted``,
    ``questioned`` or None for all."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.REVIEW_BREAK_GLASS)
    if status is not None and status != store.UNREVIEWED and status not in REVIEW_STATUSES:
        raise ValidationFailed("status: one of unreviewed, accepted, questioned")
    return [_use(g) for g in store.grants(conn, review_status=status, limit=limit)]


def review(
    uow: UnitOfWork,
    *,
    grant_id: int,
    verdict: str,
    note: str | None,
    now: datetime | None = None,
) -> BreakGlassUse:
    """Accept a use, or question it (with a note saying why); audited as an alteration.

    Raises:
        Refused: not a supervisor, or the supervisor's own use.
        InvalidTransition: already questioned, or accepting one already reviewed.
        ValidationFailed: an unknown verdict, or questioning without a note.
    """
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.REVIEW_BREAK_GLASS)
    if verdict not in REVIEW_STATUSES:
        raise ValidationFailed("verdict: accepted or questioned")
    text = (note or "").strip()
    if verdict == "questioned" and len(text) < 3:
        raise ValidationFailed("note: say what is questioned about this use (3+ characters)")
    if len(text) > 2000:
        raise ValidationFailed("note: at most 2000 characters")
    found = store.grant(conn, grant_id)
    if found is None:
        raise NotFound(f"break-glass use {grant_id} not found")
    use = _use(found)
    if use.user_id == actor.user_id:
        raise Refused(
            "you cannot review your own break-glass use",
            actor=actor,
            action=Action.REVIEW_BREAK_GLASS,
            resource=Resource("person", person_id=use.person_id),
        )
    if use.review_status == "questioned" or (verdict == "accepted" and use.review_status):
        raise InvalidTransition(f"break-glass use {grant_id} is already {use.review_status}")
    now = _now(now)
    store.record_review(
        conn, grant_id, status=verdict, reviewed_by=actor.user_id, at=now, note=text or None
    )
    uow.audit(
        f"break_glass.{verdict}",
        AuditCategory.ALTERATION,
        "break_glass_grant",
        record_ids=[grant_id],
        person_ids=[use.person_id],
        detail={"grant": grant_id, "user": use.user_id},
    )
    logger.info("break-glass use %s %s by user %s", grant_id, verdict, actor.user_id)
    updated = store.grant(conn, grant_id)
    assert updated is not None  # reviewed in this transaction
    return _use(updated)
