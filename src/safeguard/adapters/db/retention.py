"""Retention review decisions and legal holds (MoPI): the decisions are kept as data; and the
repository the review reads and writes them with (the use cases are
``safeguard.services.retention``; disposal is ``disposal``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import events, involvements, metadata, person_mentions
from safeguard.adapters.db.types import UTCDateTime

# Every review decision, retain or dispose. A disposal's row keeps only ids, dates and the
# rationale the records manager wrote (no personal data of the person disposed of).
retention_reviews = sa.Table(
    "retention_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, nullable=False, index=True),
    sa.Column("decided_at", UTCDateTime(), nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("retention_group", sa.String(32), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("next_review_on", sa.Date, nullable=True),
)

# A legal hold (litigation, inquiry, IOPC...): while it stands the records are not disposed of.
retention_holds = sa.Table(
    "retention_holds",
    metadata,
    sa.Column("person_id", sa.Integer, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("placed_by", sa.String(64), nullable=False),
    sa.Column("placed_at", UTCDateTime(), nullable=False),
)


@dataclass(frozen=True, slots=True)
class MentionDates:
    """The dates one mention of a linked person gives the review."""

    person_id: int
    mention_date: date | datetime | None
    recorded_at: datetime | None
    date_of_birth: date | None


@dataclass(frozen=True, slots=True)
class InvolvementDate:
    """One incident a linked person is involved in, as the review reads it."""

    person_id: int
    occurred_at: datetime | None
    role: str | None
    offence_code: str | None


@dataclass(frozen=True, slots=True)
class LastReview:
    decided_on: date
    next_review_on: date | None


def _of(person_ids: Iterable[int] | None) -> list[sa.ColumnElement[bool]]:
    return [] if person_ids is None else [person_links.c.person_id.in_(list(person_ids))]


def mention_dates(conn: Connection, person_ids: Iterable[int] | None) -> list[MentionDates]:
    """The dates of every linked mention (of ``person_ids``, or of everybody for None)."""
    rows = conn.execute(
        sa.select(
            person_links.c.person_id,
            person_mentions.c.mention_date,
            person_mentions.c.recorded_at,
            person_mentions.c.date_of_birth,
        )
        .join(person_mentions, person_mentions.c.id == person_links.c.mention_id)
        .where(*_of(person_ids))
    ).all()
    return [MentionDates(int(p), m, r, b) for p, m, r, b in rows]


def involvement_dates(conn: Connection, person_ids: Iterable[int] | None) -> list[InvolvementDate]:
    """When, in what role and for which offence every linked person was involved in an
    incident (of ``person_ids``, or everybody for None)."""
    rows = conn.execute(
        sa.select(
            person_links.c.person_id,
            events.c.occurred_at,
            involvements.c.role,
            events.c.offence_code,
        )
        .join(involvements, involvements.c.mention_id == person_links.c.mention_id)
        .join(events, events.c.id == involvements.c.event_id)
        .where(*_of(person_ids))
    ).all()
    return [
        InvolvementDate(int(p), at, role, None if code is None else str(code))
        for p, at, role, code in rows
    ]


def latest_reviews(conn: Connection) -> dict[int, LastReview]:
    """The latest review decision of each person reviewed."""
    out: dict[int, LastReview] = {}
    for pid, decided, next_on in conn.execute(
        sa.select(
            retention_reviews.c.person_id,
            retention_reviews.c.decided_at,
            retention_reviews.c.next_review_on,
        ).order_by(retention_reviews.c.id)
    ).all():
        out[int(pid)] = LastReview(decided.date(), next_on)
    return out


def insert_review(
    conn: Connection,
    *,
    person_id: int,
    decided_at: datetime,
    decided_by: str,
    decision: str,
    retention_group: str,
    rationale: str,
    next_review_on: date | None,
) -> int:
    """Store a review decision; returns its id."""
    review_id = conn.execute(
        sa.insert(retention_reviews)
        .values(
            person_id=person_id,
            decided_at=decided_at,
            decided_by=decided_by,
            decision=decision,
            retention_group=retention_group,
            rationale=rationale,
            next_review_on=next_review_on,
        )
        .returning(retention_reviews.c.id)
    ).scalar_one()
    return int(review_id)


def hold_reasons(conn: Connection, person_ids: Iterable[int]) -> dict[int, str]:
    """The reason of the legal hold on each of ``person_ids`` that has one."""
    rows = conn.execute(
        sa.select(retention_holds.c.person_id, retention_holds.c.reason).where(
            retention_holds.c.person_id.in_(list(person_ids))
        )
    ).all()
    return {int(pid): str(reason) for pid, reason in rows}


def put_hold(
    conn: Connection, person_id: int, *, reason: str, placed_by: str, at: datetime
) -> None:
    """Place a legal hold on the person, replacing any there."""
    conn.execute(sa.delete(retention_holds).where(retention_holds.c.person_id == person_id))
    conn.execute(
        sa.insert(retention_holds).values(
            person_id=person_id, reason=reason, placed_by=placed_by, placed_at=at
        )
    )


def remove_hold(conn: Connection, person_id: int) -> bool:
    """Lift the legal hold on the person; False if there was none."""
    result = conn.execute(
        sa.delete(retention_holds).where(retention_holds.c.person_id == person_id)
    )
    return bool(result.rowcount)
