"""The agency shares repository: what is shared with which partner agency, until when, and who
a partner may reach (the table is ``accounts.agency_shares``; the use cases are
``safeguard.services.sharing`` and ``safeguard.services.access``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import agency_shares
from safeguard.adapters.db.partners import name_keys_of
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import referrals

# The person ids a partner agency may reach, as a subquery for a search to filter by.
AgencyReach = sa.CompoundSelect[tuple[int]]


@dataclass(frozen=True, slots=True)
class ShareRecord:
    """One stored share (the record kinds as stored: codes, comma-separated)."""

    id: int
    person_id: int
    agency: str
    reason: str
    purpose: str | None  # None before migration 0006 recorded purposes
    reference: str | None
    record_kinds: tuple[str, ...]
    shared_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def _share(m: sa.RowMapping) -> ShareRecord:
    return ShareRecord(
        id=int(m["id"]),
        person_id=int(m["person_id"]),
        agency=str(m["agency"]),
        reason=str(m["reason"]),
        purpose=m["purpose"] or None,
        reference=m["reference"],
        record_kinds=tuple(k for k in str(m["record_kinds"] or "").split(",") if k),
        shared_at=m["shared_at"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
    )


def insert_share(
    conn: Connection,
    *,
    person_id: int,
    agency: str,
    shared_by: int,
    shared_at: datetime,
    reason: str,
    purpose: str,
    reference: str | None,
    record_kinds: Iterable[str],
    expires_at: datetime,
) -> int:
    """Store a share; returns its id."""
    share_id = conn.execute(
        sa.insert(agency_shares)
        .values(
            person_id=person_id,
            agency=agency,
            shared_by=shared_by,
            shared_at=shared_at,
            reason=reason,
            purpose=purpose,
            reference=reference,
            record_kinds=",".join(record_kinds),
            expires_at=expires_at,
        )
        .returning(agency_shares.c.id)
    ).scalar_one()
    return int(share_id)


def share(conn: Connection, share_id: int) -> ShareRecord | None:
    row = conn.execute(sa.select(agency_shares).where(agency_shares.c.id == share_id)).first()
    return None if row is None else _share(row._mapping)


def shares_of_person(conn: Connection, person_id: int) -> list[ShareRecord]:
    """Every share of a person, newest first."""
    rows = conn.execute(
        sa.select(agency_shares)
        .where(agency_shares.c.person_id == person_id)
        .order_by(agency_shares.c.shared_at.desc(), agency_shares.c.id.desc())
    ).all()
    return [_share(r._mapping) for r in rows]


def revoke(conn: Connection, share_id: int, *, by: int, at: datetime, reason: str) -> None:
    conn.execute(
        sa.update(agency_shares)
        .where(agency_shares.c.id == share_id)
        .values(revoked_at=at, revoked_by=by, revoke_reason=reason)
    )


def active_share(now: datetime) -> sa.ColumnElement[bool]:
    """A share neither revoked nor expired at ``now``."""
    return sa.and_(
        agency_shares.c.revoked_at.is_(None),
        sa.or_(agency_shares.c.expires_at.is_(None), agency_shares.c.expires_at > now),
    )


def active_shares(
    conn: Connection, person_ids: Iterable[int], now: datetime
) -> list[tuple[int, str, str | None]]:
    """(person id, agency code, record kinds as stored) of every active share of the people."""
    rows = conn.execute(
        sa.select(agency_shares.c.person_id, agency_shares.c.agency, agency_shares.c.record_kinds)
        .where(agency_shares.c.person_id.in_(sorted(set(person_ids))))
        .where(active_share(now))
    ).all()
    return [(int(pid), str(agency), kinds) for pid, agency, kinds in rows]


def _referral_person() -> sa.ColumnElement[int]:
    return sa.func.coalesce(person_links.c.person_id, -referrals.c.subject_id)


def referred_to(conn: Connection, agency: str, person_ids: Iterable[int]) -> set[int]:
    """Which of ``person_ids`` have a referral made to ``agency`` (under any of its names); an
    unlinked mention's person id is minus its mention id."""
    ids = sorted(set(person_ids))
    linked = [p for p in ids if p > 0]
    unlinked = [-p for p in ids if p < 0]
    where: list[sa.ColumnElement[bool]] = []
    if linked:
        where.append(person_links.c.person_id.in_(linked))
    if unlinked:
        where.append(
            sa.and_(person_links.c.person_id.is_(None), referrals.c.subject_id.in_(unlinked))
        )
    if not where:
        return set()
    rows = conn.execute(
        sa.select(_referral_person())
        .select_from(referrals)
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .where(sa.or_(*where))
        .where(sa.func.lower(referrals.c.agency).in_(name_keys_of(agency)))
    ).scalars()
    return {int(r) for r in rows}


def visible_to_agency(agency: str, now: datetime) -> AgencyReach:
    """Person ids a partner agency may reach, as a subquery: shared with it (active) or
    referred to it."""
    shared = (
        sa.select(agency_shares.c.person_id)
        .where(agency_shares.c.agency == agency)
        .where(active_share(now))
    )
    referred = (
        sa.select(_referral_person())
        .select_from(referrals)
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .where(sa.func.lower(referrals.c.agency).in_(name_keys_of(agency)))
    )
    return sa.union(shared, referred)
