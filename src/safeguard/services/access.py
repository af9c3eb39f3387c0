"""The facts the access policy needs about people, read in one batch: restricted or not, shared
with which agencies and which record kinds, glass broken by this viewer or not; and what a
viewer may see of each (``Sight``), for the one projection (``safeguard.domain.projection``).

A partner agency reaches a person in two ways: a share made to it (scoped to record kinds, until
it expires or is revoked), or a referral made to it about the person (identity and that
referral). Nobody else's view depends on shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import agency_shares, break_glass_grants
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.tables import referrals
from safeguard.domain.access import (
    Action,
    Actor,
    RecordKind,
    Resource,
    Scope,
    Sight,
    scope_of,
    sight,
)
from safeguard.services import partners


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _kinds(text: str | None) -> frozenset[RecordKind]:
    out = set()
    for part in (text or "").split(","):
        try:
            out.add(RecordKind(part.strip()))
        except ValueError:
            continue  # a kind this version does not know is not shown
    return frozenset(out)


def active_share(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        agency_shares.c.revoked_at.is_(None),
        sa.or_(agency_shares.c.expires_at.is_(None), agency_shares.c.expires_at > now),
    )


def restricted_people(conn: Connection, person_ids: Iterable[int]) -> set[int]:
    positive = sorted({p for p in person_ids if p > 0})
    if not positive:
        return set()
    rows = conn.execute(
        sa.select(people.c.id).where(people.c.id.in_(positive)).where(people.c.restricted)
    ).scalars()
    return {int(r) for r in rows}


def _glass_broken(conn: Connection, actor: Actor, ids: set[int], now: datetime) -> set[int]:
    if not ids:
        return set()
    rows = conn.execute(
        sa.select(break_glass_grants.c.person_id)
        .where(break_glass_grants.c.user_id == actor.user_id)
        .where(break_glass_grants.c.person_id.in_(sorted(ids)))
        .where(break_glass_grants.c.expires_at > now)
    ).scalars()
    return {int(r) for r in rows}


def _shares(
    conn: Connection, ids: list[int], now: datetime
) -> dict[int, dict[str, frozenset[RecordKind]]]:
    out: dict[int, dict[str, frozenset[RecordKind]]] = {}
    rows = conn.execute(
        sa.select(agency_shares.c.person_id, agency_shares.c.agency, agency_shares.c.record_kinds)
        .where(agency_shares.c.person_id.in_(ids))
        .where(active_share(now))
    ).all()
    for pid, agency, kinds in rows:
        mine = out.setdefault(int(pid), {})
        mine[str(agency)] = mine.get(str(agency), frozenset()) | _kinds(kinds)
    return out


def _referred_to(conn: Connection, agency: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` have a referral made to ``agency`` (under any of its names)."""
    key = sa.func.coalesce(person_links.c.person_id, -referrals.c.subject_id)
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
        sa.select(key)
        .select_from(referrals)
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .where(sa.or_(*where))
        .where(sa.func.lower(referrals.c.agency).in_(partners.names_of(agency)))
    ).scalars()
    return {int(r) for r in rows}


def _partner(actor: Actor) -> bool:
    return scope_of(actor.role, Action.VIEW_PERSON) is Scope.SHARED


def person_access(
    conn: Connection, actor: Actor, person_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Resource]:
    """The access-control view of each person, in a few queries whatever their number."""
    now = _now(now)
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    restricted = restricted_people(conn, ids)
    glass = _glass_broken(conn, actor, restricted, now)
    shares = _shares(conn, ids, now)
    if _partner(actor) and actor.agency:
        for pid in _referred_to(conn, actor.agency, ids):
            mine = shares.setdefault(pid, {})
            mine.setdefault(actor.agency, frozenset())
    return {
        pid: Resource(
            "person",
            restricted=pid in restricted,
            shared_with=frozenset(shares.get(pid, {})),
            break_glass=pid in glass,
            person_id=pid,
            shared_kinds=shares.get(pid, {}),
        )
        for pid in ids
    }


def person_resource(
    conn: Connection, actor: Actor, person_id: int, now: datetime | None = None
) -> Resource:
    """The access-control view of one person."""
    return person_access(conn, actor, [person_id], now)[person_id]


def sights(
    conn: Connection, actor: Actor, person_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Sight]:
    """What ``actor`` may see of each person."""
    return {pid: sight(actor, r) for pid, r in person_access(conn, actor, person_ids, now).items()}


def visible_to_agency(agency: str, now: datetime | None = None) -> sa.CompoundSelect[tuple[int]]:
    """Person ids a partner agency may reach: shared with it (active) or referred to it."""
    now = _now(now)
    shared = (
        sa.select(agency_shares.c.person_id)
        .where(agency_shares.c.agency == agency)
        .where(active_share(now))
    )
    referred = (
        sa.select(sa.func.coalesce(person_links.c.person_id, -referrals.c.subject_id))
        .select_from(referrals)
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .where(sa.func.lower(referrals.c.agency).in_(partners.names_of(agency)))
    )
    return sa.union(shared, referred)
