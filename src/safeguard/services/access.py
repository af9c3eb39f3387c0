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

from sqlalchemy.engine import Connection

from safeguard.adapters.db import shares as share_store
from safeguard.adapters.db.break_glass import glass_broken
from safeguard.adapters.db.people import restricted_among
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


def _shares(
    conn: Connection, ids: list[int], now: datetime
) -> dict[int, dict[str, frozenset[RecordKind]]]:
    out: dict[int, dict[str, frozenset[RecordKind]]] = {}
    for pid, agency, kinds in share_store.active_shares(conn, ids, now):
        mine = out.setdefault(pid, {})
        mine[agency] = mine.get(agency, frozenset()) | _kinds(kinds)
    return out


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
    restricted = restricted_among(conn, ids)
    glass = glass_broken(conn, actor.user_id, restricted, now)
    shares = _shares(conn, ids, now)
    if _partner(actor) and actor.agency:
        for pid in share_store.referred_to(conn, actor.agency, ids):
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


def visible_to_agency(agency: str, now: datetime | None = None) -> share_store.AgencyReach:
    """Person ids a partner agency may reach (a subquery): shared with it (active) or referred
    to it."""
    return share_store.visible_to_agency(agency, _now(now))
