"""The break-glass grants repository: a viewer's recorded reason to see a restricted person, and
its supervisor's review (the table is ``accounts.break_glass_grants``; the use cases are
``safeguard.services.break_glass``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import break_glass_grants, users

UNREVIEWED = "unreviewed"  # the ``review_status`` filter for grants nobody has reviewed yet


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """One stored grant, with the viewer's username (the purpose as its code)."""

    id: int
    user_id: int
    username: str
    person_id: int
    purpose: str | None  # None before migration 0006 recorded purposes
    reference: str | None
    reason: str
    granted_at: datetime
    expires_at: datetime
    review_status: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    review_note: str | None


def insert_grant(
    conn: Connection,
    *,
    user_id: int,
    person_id: int,
    reason: str,
    purpose: str,
    reference: str | None,
    granted_at: datetime,
    expires_at: datetime,
) -> int:
    """Store a grant; returns its id."""
    grant_id = conn.execute(
        sa.insert(break_glass_grants)
        .values(
            user_id=user_id,
            person_id=person_id,
            reason=reason,
            purpose=purpose,
            reference=reference,
            granted_at=granted_at,
            expires_at=expires_at,
        )
        .returning(break_glass_grants.c.id)
    ).scalar_one()
    return int(grant_id)


def _query() -> sa.Select[tuple[object, ...]]:
    return sa.select(break_glass_grants, users.c.username).join(
        users, users.c.id == break_glass_grants.c.user_id
    )


def _grant(m: sa.RowMapping) -> GrantRecord:
    return GrantRecord(
        id=int(m["id"]),
        user_id=int(m["user_id"]),
        username=str(m["username"]),
        person_id=int(m["person_id"]),
        purpose=m["purpose"] or None,
        reference=m["reference"],
        reason=str(m["reason"]),
        granted_at=m["granted_at"],
        expires_at=m["expires_at"],
        review_status=m["review_status"],
        reviewed_by=m["reviewed_by"],
        reviewed_at=m["reviewed_at"],
        review_note=m["review_note"],
    )


def grants(conn: Connection, *, review_status: str | None, limit: int) -> list[GrantRecord]:
    """Grants newest first: all (None), those not reviewed (``UNREVIEWED``), or of one status."""
    q = _query().order_by(break_glass_grants.c.granted_at.desc(), break_glass_grants.c.id.desc())
    if review_status == UNREVIEWED:
        q = q.where(break_glass_grants.c.review_status.is_(None))
    elif review_status is not None:
        q = q.where(break_glass_grants.c.review_status == review_status)
    return [_grant(r._mapping) for r in conn.execute(q.limit(limit)).all()]


def grant(conn: Connection, grant_id: int) -> GrantRecord | None:
    row = conn.execute(_query().where(break_glass_grants.c.id == grant_id)).first()
    return None if row is None else _grant(row._mapping)


def record_review(
    conn: Connection,
    grant_id: int,
    *,
    status: str,
    reviewed_by: int,
    at: datetime,
    note: str | None,
) -> None:
    conn.execute(
        sa.update(break_glass_grants)
        .where(break_glass_grants.c.id == grant_id)
        .values(review_status=status, reviewed_by=reviewed_by, reviewed_at=at, review_note=note)
    )


def glass_broken(
    conn: Connection, user_id: int, person_ids: Iterable[int], now: datetime
) -> set[int]:
    """Which of ``person_ids`` the account holds an unexpired grant for."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    rows = conn.execute(
        sa.select(break_glass_grants.c.person_id)
        .where(break_glass_grants.c.user_id == user_id)
        .where(break_glass_grants.c.person_id.in_(ids))
        .where(break_glass_grants.c.expires_at > now)
    ).scalars()
    return {int(r) for r in rows}
