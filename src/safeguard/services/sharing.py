"""Sharing a person with a partner agency: a disclosure naming the agency (from the registry),
the purpose, the record kinds it covers and when it ends; it can be revoked. The partner then
sees exactly those kinds (``safeguard.domain.projection``), each view audited."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import agency_shares
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


def _view(row: sa.Row[tuple[object, ...]], names: dict[str, str], now: datetime) -> ShareView:
    m = row._mapping
    purpose = BY_CODE.get(str(m["purpose"])) if m["purpose"] else None
    kinds = [k for k in str(m["record_kinds"] or "").split(",") if k]
    return ShareView(
        id=int(m["id"]),
        person_id=int(m["person_id"]),
        agency=str(m["agency"]),
        agency_name=names.get(str(m["agency"]), str(m["agency"])),
        purpose=purpose.label if purpose else str(m["reason"]),
        reference=m["reference"],
        record_kinds=kinds,
        shared_at=m["shared_at"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        active=share_active(revoked_at=m["revoked_at"], expires_at=m["expires_at"], now=now),
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
    share_id = conn.execute(
        sa.insert(agency_shares)
        .values(
            person_id=person_id,
            agency=recipient.code,
            shared_by=actor.user_id,
            shared_at=now,
            reason=justification.text,
            purpose=justification.purpose.code,
            reference=justification.reference,
            record_kinds=",".join(sorted(kinds)),
            expires_at=expires_at,
        )
        .returning(agency_shares.c.id)
    ).scalar_one()
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
            "share": int(share_id),
            "record_kinds": sorted(kinds),
            "expires_at": expires_at.isoformat(),
        },
    )
    logger.info("person %s shared with %s by user %s", person_id, recipient.code, actor.user_id)
    return _get(conn, int(share_id), now)


def _get(conn: Connection, share_id: int, now: datetime) -> ShareView:
    row = conn.execute(sa.select(agency_shares).where(agency_shares.c.id == share_id)).first()
    if row is None:
        raise NotFound(f"share {share_id} not found")
    return _view(row, partners.display_names(conn), now)


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
    conn.execute(
        sa.update(agency_shares)
        .where(agency_shares.c.id == share_id)
        .values(revoked_at=now, revoked_by=actor.user_id, revoke_reason=text)
    )
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
    rows = conn.execute(
        sa.select(agency_shares)
        .where(agency_shares.c.person_id == person_id)
        .order_by(agency_shares.c.shared_at.desc(), agency_shares.c.id.desc())
    ).all()
    names = partners.display_names(conn)
    return [_view(r, names, now) for r in rows]


def kind_choices() -> list[tuple[str, str]]:
    """(code, label) of every kind a share may cover, for forms."""
    from safeguard.domain.access import SHAREABLE

    return [(str(k), RECORD_KIND_LABELS[k]) for k in RecordKind if k in SHAREABLE]
