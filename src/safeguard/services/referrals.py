"""Referrals: list them (partner agencies see only those made to them) and change their status."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import referrals as store
from safeguard.adapters.db.audit import AuditAppender
from safeguard.adapters.db.web_records import insert_record
from safeguard.domain.access import Action, Actor, Resource, Scope, ensure, scope_of
from safeguard.domain.audit import AuditCategory
from safeguard.domain.vocabulary import ReferralStatus
from safeguard.errors import InvalidTransition, NotFound, ValidationFailed
from safeguard.services import access, partners
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

S = ReferralStatus
# Allowed next statuses; a referral with no status yet is "made" (awaiting receipt).
TRANSITIONS: dict[str | None, frozenset[ReferralStatus]] = {
    None: frozenset({S.RECEIVED, S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
    S.RECEIVED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.DECISION_MADE, S.CLOSED, S.WITHDRAWN}),
    S.IN_PROGRESS: frozenset({S.DECISION_MADE, S.CLOSED, S.WITHDRAWN}),
    S.DECISION_MADE: frozenset({S.CLOSED}),
    S.DECLINED: frozenset(),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}


@dataclass(frozen=True, slots=True)
class ReferralView:
    id: int
    referral_type: str
    agency: str | None
    made_at: datetime
    route: str | None
    rag: str | None
    status: str | None
    person_id: int
    allowed_next: tuple[str, ...]
    agency_code: str | None = None  # the recipient in the partner-agency registry, if known
    due_at: datetime | None = None  # a MASH contact's decision clock (the force's RAG clocks)
    history: tuple[tuple[str, datetime, str | None], ...] = ()  # (status, when, by)


def _view(r: store.ReferralRecord) -> ReferralView:
    return ReferralView(
        id=r.id,
        referral_type=r.referral_type,
        agency=r.agency,
        made_at=r.made_at,
        route=r.route,
        rag=r.rag,
        status=r.status,
        person_id=r.person_id,
        allowed_next=tuple(sorted(TRANSITIONS.get(r.status, frozenset()))),
    )


def _with_codes(conn: Connection, views: list[ReferralView]) -> list[ReferralView]:
    """Each view with its recipient's registry code, its status history and its clock."""
    from safeguard.services.mash import due_for

    codes = partners.resolve_many(conn, [v.agency for v in views])
    history = store.status_changes(conn, [v.id for v in views])
    return [
        replace(
            v,
            agency_code=codes.get(v.agency or ""),
            history=tuple((c.status, c.changed_at, c.changed_by) for c in history.get(v.id, ())),
            due_at=due_for(v.made_at, v.rag)
            if v.referral_type == "mash" and v.rag and v.made_at
            else None,
        )
        for v in views
    ]


def _audit_views(
    uow: UnitOfWork, views: list[ReferralView], appender: AuditAppender | None
) -> None:
    """Referral views are consultations of the people they are about."""
    if not views:
        return
    people = list(dict.fromkeys(v.person_id for v in views))
    uow.consult(
        appender,
        "referral.view",
        "referral",
        record_ids=[str(v.id) for v in views],
        person_ids=people,
        justification="Handling referrals",
    )


def list_referrals(
    uow: UnitOfWork,
    *,
    open_only: bool = True,
    limit: int = 100,
    audit: AuditAppender | None = None,
) -> list[ReferralView]:
    """Referrals newest first; a partner agency sees only the referrals made to it (under any
    name the registry knows it by). Audited as a consultation of the people concerned."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.VIEW_REFERRALS)
    shared = scope_of(actor.role, Action.VIEW_REFERRALS) is Scope.SHARED
    found = store.latest_referrals(
        conn, limit=limit, open_only=open_only, to_agency=(actor.agency or "") if shared else None
    )
    views = _with_codes(conn, [_view(r) for r in found])
    _audit_views(uow, views, audit)
    return views


def _resource(conn: Connection, actor: Actor, view: ReferralView) -> Resource:
    person = access.person_resource(conn, actor, view.person_id)
    return Resource(
        "referral",
        restricted=person.restricted,
        break_glass=person.break_glass,
        shared_with=frozenset({view.agency_code}) if view.agency_code else frozenset(),
        person_id=view.person_id,
    )


def _get(conn: Connection, referral_id: int) -> ReferralView:
    found = store.referral(conn, referral_id)
    if found is None:
        raise NotFound(f"referral {referral_id} not found")
    [view] = _with_codes(conn, [_view(found)])
    return view


def get_referral(
    uow: UnitOfWork, *, referral_id: int, audit: AuditAppender | None = None
) -> ReferralView:
    """One referral (audited as a consultation). A partner agency sees only its own; a referral
    about a restricted person is shown to those who may break glass (it names nobody)."""
    conn, actor = uow.conn, uow.user
    view = _get(conn, referral_id)
    resource = _resource(conn, actor, view)
    ensure(actor, Action.VIEW_REFERRALS, replace(resource, restricted=False))
    _audit_views(uow, [view], audit)
    return view


def change_referral_status(
    uow: UnitOfWork,
    *,
    referral_id: int,
    status: str,
    note: str | None = None,
    now: datetime | None = None,
) -> ReferralView:
    """Move a referral to its next status, recorded as a status change and audited.

    Raises:
        InvalidTransition: e.g. a closed referral cannot be accepted.
    """
    conn, actor = uow.conn, uow.user
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if not status:
        raise ValidationFailed("status: choose the new status")
    try:
        new = ReferralStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in ReferralStatus)
        raise ValidationFailed(f"status: {status!r} is not one of {allowed}") from None
    if note is not None and len(note) > 4000:
        raise ValidationFailed("note: at most 4000 characters")
    view = _get(conn, referral_id)
    resource = _resource(conn, actor, view)
    ensure(actor, Action.VIEW_REFERRALS, replace(resource, restricted=False))
    ensure(actor, Action.CHANGE_REFERRAL_STATUS, resource)
    if new not in TRANSITIONS.get(view.status, frozenset()):
        raise InvalidTransition(
            f"referral {referral_id}: cannot go from {view.status or 'made'} to {new}"
        )
    change_id = insert_record(
        conn,
        "referral_status",
        {
            "referral_id": referral_id,
            "status": str(new),
            "changed_at": now,
            "changed_by": actor.username,
            "note": note,
        },
        now,
    )
    uow.audit(
        "referral.status",
        AuditCategory.ALTERATION,
        "referral",
        record_ids=[referral_id],
        person_ids=[view.person_id],
        detail={"from": view.status, "to": str(new), "change_id": change_id},
    )
    logger.info("referral %s moved to %s by user %s", referral_id, new, actor.user_id)
    return _get(conn, referral_id)
