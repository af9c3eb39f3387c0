"""The referrals repository: each referral with its latest status and its person, and the
status changes of each (the tables are ``tables.referrals`` and ``referral_status_changes``;
the use cases are ``safeguard.services.referrals``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.partners import name_keys_of
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import referral_status_changes, referrals

ENDED = ("closed", "declined", "withdrawn")  # statuses after which a referral is not open


@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """A stored referral, its latest status (None: made, not yet received) and its person (an
    unlinked mention's person id is minus its mention id)."""

    id: int
    referral_type: str
    agency: str | None
    made_at: datetime
    route: str | None
    rag: str | None
    status: str | None
    person_id: int


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    changed_at: datetime
    changed_by: str | None


def _status_subquery() -> sa.Subquery:
    latest = (
        sa.select(
            referral_status_changes.c.referral_id,
            sa.func.max(referral_status_changes.c.id).label("last_id"),
        )
        .group_by(referral_status_changes.c.referral_id)
        .subquery()
    )
    return (
        sa.select(referral_status_changes.c.referral_id, referral_status_changes.c.status)
        .join(latest, latest.c.last_id == referral_status_changes.c.id)
        .subquery()
    )


def _query() -> sa.Select[tuple[object, ...]]:
    status = _status_subquery()
    return (
        sa.select(
            referrals.c.id,
            referrals.c.referral_type,
            referrals.c.agency,
            referrals.c.made_at,
            referrals.c.route,
            referrals.c.rag,
            status.c.status,
            sa.func.coalesce(person_links.c.person_id, -referrals.c.subject_id).label("person_id"),
        )
        .outerjoin(status, status.c.referral_id == referrals.c.id)
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
    )


def _record(m: sa.RowMapping) -> ReferralRecord:
    return ReferralRecord(
        id=int(m["id"]),
        referral_type=str(m["referral_type"]),
        agency=m["agency"],
        made_at=m["made_at"],
        route=m["route"],
        rag=m["rag"],
        status=m["status"],
        person_id=int(m["person_id"]),
    )


def latest_referrals(
    conn: Connection, *, limit: int, open_only: bool, to_agency: str | None = None
) -> list[ReferralRecord]:
    """Referrals newest first: open ones only or all; only those made to ``to_agency`` (a
    registry code: under any name the registry knows it by) when given."""
    q = _query().order_by(referrals.c.made_at.desc()).limit(limit)
    if to_agency is not None:
        q = q.where(sa.func.lower(referrals.c.agency).in_(name_keys_of(to_agency)))
    if open_only:
        status = q.selected_columns.status
        q = q.where(sa.or_(status.is_(None), status.not_in(ENDED)))
    return [_record(r._mapping) for r in conn.execute(q).all()]


def referral(conn: Connection, referral_id: int) -> ReferralRecord | None:
    row = conn.execute(_query().where(referrals.c.id == referral_id)).first()
    return None if row is None else _record(row._mapping)


def status_changes(conn: Connection, referral_ids: Iterable[int]) -> dict[int, list[StatusChange]]:
    """The status changes of each referral, in order, read 500 referrals at a time."""
    history: dict[int, list[StatusChange]] = {}
    ids = list(referral_ids)
    for start in range(0, len(ids), 500):
        q = (
            sa.select(
                referral_status_changes.c.referral_id,
                referral_status_changes.c.status,
                referral_status_changes.c.changed_at,
                referral_status_changes.c.changed_by,
            )
            .where(referral_status_changes.c.referral_id.in_(ids[start : start + 500]))
            .order_by(referral_status_changes.c.changed_at, referral_status_changes.c.id)
        )
        for rid, status, at, by in conn.execute(q):
            history.setdefault(int(rid), []).append(StatusChange(str(status), at, by))
    return history
