"""Sharing a person with a partner agency: a disclosure naming the agency (from the registry),
the purpose, the record kinds it covers and when it ends; it can be revoked. The partner then
sees exactly those kinds (``safeguard.domain.projection``), each view audited."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import shares as store
from safeguard.domain.access import RECORD_KIND_LABELS, Action, RecordKind, ensure
from safeguard.domain.audit import AuditCategory
from safeguard.domain.partners import check_share_expiry, check_share_kinds, share_active
from safeguard.domain.purposes import BY_CODE, Justification
from safeguard.errors import InvalidTransition, NotFound, ValidationFailed
from safeguard.services import access, partners
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ShareView:
    id: int
    person_id: int
    agency: str
    agency_name: str
    purpose: str
    reference: str | None
    record_kinds: list[str]
    shared_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _view(share: store.ShareRecord, names: dict[str, str], now: datetime) -> ShareView:
    purpose = BY_CODE.get(share.purpose) if share.purpose else None
    return ShareView(
        id=share.id,
        person_id=share.person_id,
        agency=share.agency,
        agency_name=names.get(share.agency, share.agency),
        purpose=purpose.label if purpose else share.reason,
        reference=share.reference,
        record_kinds=list(share.record_kinds),
        shared_at=share.shared_at,
        expires_at=share.expires_at,
        revoked_at=share.revoked_at,
        active=share_active(revoked_at=share.revoked_at, expires_at=share.expires_at, now=now),
    )


def share_person(
    uow: UnitOfWork,
    *,
    person_id: int,
    agency: str,
    justification: Justification,
    record_kinds: Iterable[str],
    expires_at: datetime,
    now: datetime | None = None,
) -> ShareView:
    """Share a person's records of ``record_kinds`` with a registered agency until
    ``expires_at``: a disclosure, audited with its recipient in the same transaction.

    Raises:
        ValidationFailed: an unknown agency, kind, or an expiry out of bounds.
        BreakGlassRequired: the person is restricted and the sharer has not broken glass.
    """
    conn, actor = uow.conn, uow.user
    from safeguard.services.people import mention_ids_of

    now = _now(now)
    ensure(actor, Action.SHARE_WITH_AGENCY)
    recipient = partners.require(conn, agency)
    kinds = check_share_kinds(record_kinds)
    check_share_expiry(expires_at, now=now)
    mention_ids_of(conn, person_id)
    ensure(actor, Action.SHARE_WITH_AGENCY, access.person_resource(conn, actor, person_id, now))
    share_id = store.insert_share(
        conn,
        person_id=person_id,
        agency=recipient.code,
        shared_by=actor.user_id,
        shared_at=now,
        reason=justification.text,
        purpose=justification.purpose.code,
        reference=justification.reference,
        record_kinds=sorted(kinds),
        expires_at=expires_at,
    )
    uow.audit(
        "person.share",
        AuditCategory.DISCLOSURE,
        "person",
        record_ids=[person_id],
        person_ids=[person_id],
        justification=justification.text,
        recipient=f"{recipient.display_name} ({recipient.code})",
        detail={
            **justification.detail(),
            "share": share_id,
            "record_kinds": sorted(kinds),
            "expires_at": expires_at.isoformat(),
        },
    )
    logger.info("person %s shared with %s by user %s", person_id, recipient.code, actor.user_id)
    return _get(conn, share_id, now)


def _get(conn: Connection, share_id: int, now: datetime) -> ShareView:
    found = store.share(conn, share_id)
    if found is None:
        raise NotFound(f"share {share_id} not found")
    return _view(found, partners.display_names(conn), now)


def revoke_share(
    uow: UnitOfWork, *, share_id: int, reason: str, now: datetime | None = None
) -> ShareView:
    """End a share now (audited); the partner sees nothing more of it from this moment.

    Raises:
        InvalidTransition: the share is already revoked.
        ValidationFailed: no reason given.
    """
    conn, actor = uow.conn, uow.user
    now = _now(now)
    ensure(actor, Action.SHARE_WITH_AGENCY)
    text = reason.strip()
    if not 3 <= len(text) <= 300:
        raise ValidationFailed("reason: say why the share ends (3 to 300 characters)")
    share = _get(conn, share_id, now)
    ensure(
        actor, Action.SHARE_WITH_AGENCY, access.person_resource(conn, actor, share.person_id, now)
    )
    if share.revoked_at is not None:
        raise InvalidTransition(f"share {share_id} was already revoked")
    store.revoke(conn, share_id, by=actor.user_id, at=now, reason=text)
    uow.audit(
        "person.share_revoked",
        AuditCategory.ALTERATION,
        "agency_share",
        record_ids=[share_id],
        person_ids=[share.person_id],
        detail={"share": share_id, "agency": share.agency},
    )
    return _get(conn, share_id, now)


def shares_of(uow: UnitOfWork, *, person_id: int, now: datetime | None = None) -> list[ShareView]:
    """Every share of a person, newest first (for those who may share)."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.SHARE_WITH_AGENCY)
    now = _now(now)
    found = store.shares_of_person(conn, person_id)
    names = partners.display_names(conn)
    return [_view(s, names, now) for s in found]


def kind_choices() -> list[tuple[str, str]]:
    """(code, label) of every kind a share may cover, for forms."""
    from safeguard.domain.access import SHAREABLE

    return [(str(k), RECORD_KIND_LABELS[k]) for k in RecordKind if k in SHAREABLE]
