"""MASH triage records made in the app: information requests to partner agencies and the
decision on a contact (with the strategy discussion for section 47).

The contact itself is a referral (``referral_type`` mash, with its RAG rating) and its decision
is also a referral status change (``decision_made``): the rules engine's MASH-RAG-DECISION and
the board read those, so the app's clocks feed the findings and the board's figures.

Below the tables, the repository the MASH use cases (``safeguard.services.mash``) read and
write them with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import events, metadata, referral_status_changes, referrals
from safeguard.adapters.db.types import UTCDateTime

mash_requests = sa.Table(
    "mash_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("referral_id", sa.Integer, nullable=False, index=True),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("asked_by", sa.String(64), nullable=False),
    sa.Column("asked_at", UTCDateTime(), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("answered_at", UTCDateTime(), nullable=True),
    sa.Column("answer", sa.Text, nullable=True),
)

mash_decisions = sa.Table(
    "mash_decisions",
    metadata,
    sa.Column("referral_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=False),
    sa.Column("strategy_held_at", UTCDateTime(), nullable=True),
    sa.Column("strategy_outcome", sa.String(32), nullable=True),
    sa.Column("strategy_attendees", sa.Text, nullable=True),
    sa.Column("strategy_recorded_by", sa.String(64), nullable=True),
)


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A stored MASH contact (a referral of type mash) and its person (an unlinked mention's
    person id is minus its mention id)."""

    id: int
    rag: str | None
    made_at: datetime
    agency: str | None
    reason: str | None
    person_id: int


@dataclass(frozen=True, slots=True)
class RequestRecord:
    id: int
    referral_id: int
    agency: str
    question: str
    asked_by: str
    asked_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer: str | None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    referral_id: int
    decision: str
    rationale: str
    decided_by: str
    decided_at: datetime
    strategy_held_at: datetime | None
    strategy_outcome: str | None
    strategy_attendees: str | None
    strategy_recorded_by: str | None


def _contact_person() -> sa.ColumnElement[int]:
    return sa.func.coalesce(person_links.c.person_id, -referrals.c.subject_id)


def _contact_query() -> sa.Select[tuple[object, ...]]:
    return (
        sa.select(
            referrals.c.id,
            referrals.c.rag,
            referrals.c.made_at,
            referrals.c.agency,
            referrals.c.reason,
            _contact_person().label("pid"),
        )
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .where(referrals.c.referral_type == "mash")
        .where(referrals.c.made_at.is_not(None))
    )


def _contact(m: sa.RowMapping) -> ContactRecord:
    return ContactRecord(
        id=int(m["id"]),
        rag=m["rag"],
        made_at=m["made_at"],
        agency=m["agency"],
        reason=m["reason"],
        person_id=int(m["pid"]),
    )


def open_contacts(
    conn: Connection, *, decision_statuses: Iterable[str], awaiting_decision: str, limit: int
) -> list[ContactRecord]:
    """Contacts, newest first, with no status change in ``decision_statuses`` yet, or decided
    ``awaiting_decision`` (a strategy discussion) and not held yet."""
    decided = sa.select(referral_status_changes.c.referral_id).where(
        referral_status_changes.c.status.in_(sorted(decision_statuses))
    )
    awaiting = sa.select(mash_decisions.c.referral_id).where(
        mash_decisions.c.decision == awaiting_decision,
        mash_decisions.c.strategy_held_at.is_(None),
    )
    q = _contact_query().where(sa.or_(referrals.c.id.not_in(decided), referrals.c.id.in_(awaiting)))
    rows = conn.execute(q.order_by(referrals.c.made_at.desc()).limit(limit)).all()
    return [_contact(r._mapping) for r in rows]


def contact(conn: Connection, referral_id: int) -> ContactRecord | None:
    row = conn.execute(_contact_query().where(referrals.c.id == referral_id)).first()
    return None if row is None else _contact(row._mapping)


def referral_person(conn: Connection, referral_id: int) -> int | None:
    """The person a referral (of any type) is about, None if there is no such referral."""
    pid = conn.execute(
        sa.select(_contact_person())
        .select_from(referrals)
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .where(referrals.c.id == referral_id)
    ).scalar()
    return None if pid is None else int(pid)


def incident_exists(conn: Connection, event_id: int) -> bool:
    return conn.execute(sa.select(events.c.id).where(events.c.id == event_id)).first() is not None


def decisions(conn: Connection, referral_ids: Iterable[int]) -> dict[int, DecisionRecord]:
    """The decision on each of the contacts that has one."""
    ids = sorted(set(referral_ids))
    if not ids:
        return {}
    rows = conn.execute(sa.select(mash_decisions).where(mash_decisions.c.referral_id.in_(ids)))
    return {int(r.referral_id): DecisionRecord(**dict(r._mapping)) for r in rows}


def requests(conn: Connection, referral_id: int) -> list[RequestRecord]:
    """The information requests on a contact, in the order they were asked."""
    rows = conn.execute(
        sa.select(mash_requests)
        .where(mash_requests.c.referral_id == referral_id)
        .order_by(mash_requests.c.id)
    )
    return [RequestRecord(**dict(r._mapping)) for r in rows]


def request(conn: Connection, referral_id: int, request_id: int) -> RequestRecord | None:
    row = conn.execute(
        sa.select(mash_requests).where(
            mash_requests.c.id == request_id, mash_requests.c.referral_id == referral_id
        )
    ).first()
    return None if row is None else RequestRecord(**dict(row._mapping))


def insert_request(
    conn: Connection,
    *,
    referral_id: int,
    agency: str,
    question: str,
    asked_by: str,
    asked_at: datetime,
    due_at: datetime,
) -> int:
    """Store an information request; returns its id."""
    request_id = conn.execute(
        sa.insert(mash_requests)
        .values(
            referral_id=referral_id, agency=agency, question=question, asked_by=asked_by,
            asked_at=asked_at, due_at=due_at,
        )
        .returning(mash_requests.c.id)
    ).scalar_one()  # fmt: skip
    return int(request_id)


def record_answer(conn: Connection, request_id: int, *, at: datetime, answer: str) -> None:
    conn.execute(
        sa.update(mash_requests)
        .where(mash_requests.c.id == request_id)
        .values(answered_at=at, answer=answer)
    )


def insert_decision(
    conn: Connection,
    *,
    referral_id: int,
    decision: str,
    rationale: str,
    decided_by: str,
    decided_at: datetime,
) -> None:
    conn.execute(
        sa.insert(mash_decisions).values(
            referral_id=referral_id, decision=decision, rationale=rationale,
            decided_by=decided_by, decided_at=decided_at,
        )
    )  # fmt: skip


def record_strategy(
    conn: Connection,
    referral_id: int,
    *,
    held_at: datetime,
    outcome: str,
    attendees: str,
    recorded_by: str,
) -> None:
    """The strategy discussion a decision called for: when it was held, who, what it decided."""
    conn.execute(
        sa.update(mash_decisions)
        .where(mash_decisions.c.referral_id == referral_id)
        .values(
            strategy_held_at=held_at, strategy_outcome=outcome, strategy_attendees=attendees,
            strategy_recorded_by=recorded_by,
        )
    )  # fmt: skip
