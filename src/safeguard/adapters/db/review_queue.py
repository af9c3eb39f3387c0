"""The review queue's storage: uncertain pairs a linking run queues for an analyst, the records
of a pair shown side by side, and the analysts' confirm and split decisions about them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.linkage import bulk_insert, link_decisions, link_reviews
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import person_mentions

# What a run sets on a queued pair (besides the pair itself).
REVIEW_VALUES = ("match_probability", "priority", "reason", "status", "run_id", "created_at")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """An open review item, with each mention's person (None: not linked yet)."""

    id: int
    mention_id_l: int
    mention_id_r: int
    person_id_l: int | None
    person_id_r: int | None
    match_probability: float
    priority: float
    reason: str
    status: str


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One row of the queue."""

    id: int
    mention_id_l: int
    mention_id_r: int
    match_probability: float
    priority: float
    reason: str
    status: str
    decision_id: int | None


@dataclass(frozen=True, slots=True)
class PairedMention:
    """A record shown in a pair review, with its person (None: not linked yet)."""

    id: int
    person_id: int | None
    source_system: str
    forenames: str | None
    surname: str | None
    date_of_birth: date | None
    sex: str | None
    postcode: str | None
    pnc_id: str | None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """An analyst's confirm (must_link) or split (cannot_link) decision."""

    id: int
    kind: str
    mention_id_l: int
    mention_id_r: int
    actor: str
    reason: str
    created_at: datetime
    review_id: int | None
    before: str  # JSON {mention_id: person_id}
    revoked_at: datetime | None
    revoked_by: str | None


# --- the queue ----------------------------------------------------------------------------------


def open_items(conn: Connection, *, limit: int) -> list[ReviewItem]:
    """Open review items, most important first."""
    l_links = person_links.alias("pl_l")
    r_links = person_links.alias("pl_r")
    rows = conn.execute(
        sa.select(link_reviews, l_links.c.person_id.label("pl"), r_links.c.person_id.label("pr"))
        .outerjoin(l_links, l_links.c.mention_id == link_reviews.c.mention_id_l)
        .outerjoin(r_links, r_links.c.mention_id == link_reviews.c.mention_id_r)
        .where(link_reviews.c.status == "open")
        .order_by(link_reviews.c.priority.desc(), link_reviews.c.id)
        .limit(limit)
    ).all()
    return [
        ReviewItem(
            r.id, r.mention_id_l, r.mention_id_r, r.pl, r.pr, r.match_probability, r.priority,
            r.reason, r.status,
        )
        for r in rows
    ]  # fmt: skip


def item(conn: Connection, review_id: int) -> ReviewRow | None:
    """The review item ``review_id``, or None."""
    r = conn.execute(sa.select(link_reviews).where(link_reviews.c.id == review_id)).first()
    if r is None:
        return None
    return ReviewRow(
        int(r.id), int(r.mention_id_l), int(r.mention_id_r), float(r.match_probability),
        float(r.priority), str(r.reason), str(r.status),
        None if r.decision_id is None else int(r.decision_id),
    )  # fmt: skip


def decision_of(conn: Connection, review_id: int) -> int | None:
    """The decision in force on a review item (None: none, or no such item)."""
    value = conn.execute(
        sa.select(link_reviews.c.decision_id).where(link_reviews.c.id == review_id)
    ).scalar()
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class QueuedPair:
    """What the queue holds about one pair: its row, status and the values a run set on it."""

    id: int
    status: str
    match_probability: float
    priority: float
    reason: str


def supersede_items(conn: Connection, review_ids: Iterable[int]) -> None:
    """These items become superseded (a batch run no longer queues them)."""
    ids = sorted(set(review_ids))
    for i in range(0, len(ids), _CHUNK):
        conn.execute(
            sa.update(link_reviews)
            .where(link_reviews.c.id.in_(ids[i : i + _CHUNK]))
            .values(status="superseded")
        )


def _queued(row: Any) -> QueuedPair:
    return QueuedPair(
        int(row.id), str(row.status), float(row.match_probability), float(row.priority),
        str(row.reason),
    )  # fmt: skip


_QUEUED = (
    link_reviews.c.id, link_reviews.c.mention_id_l, link_reviews.c.mention_id_r,
    link_reviews.c.status, link_reviews.c.match_probability, link_reviews.c.priority,
    link_reviews.c.reason,
)  # fmt: skip
_CHUNK = 5000


def open_pairs(conn: Connection) -> dict[tuple[int, int], QueuedPair]:
    """(mention_id_l, mention_id_r) -> the queue's row, for every open item."""
    rows = conn.execute(sa.select(*_QUEUED).where(link_reviews.c.status == "open"))
    return {(int(r.mention_id_l), int(r.mention_id_r)): _queued(r) for r in rows}


def queued_pairs(
    conn: Connection, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], QueuedPair]:
    """The queue's row of each of these pairs that was ever queued (any status)."""
    wanted = set(pairs)
    lefts = sorted({left for left, _ in wanted})
    out: dict[tuple[int, int], QueuedPair] = {}
    for i in range(0, len(lefts), _CHUNK):
        rows = conn.execute(
            sa.select(*_QUEUED).where(link_reviews.c.mention_id_l.in_(lefts[i : i + _CHUNK]))
        )
        for r in rows:
            key = (int(r.mention_id_l), int(r.mention_id_r))
            if key in wanted:
                out[key] = _queued(r)
    return out


def add_items(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Queue new pairs (rows with mention_id_l, mention_id_r and every REVIEW_VALUES field)."""
    bulk_insert(conn, link_reviews, rows)


def requeue_items(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Set REVIEW_VALUES on pairs already queued (rows as for ``add_items``)."""
    if not rows:
        return
    conn.execute(
        sa.update(link_reviews)
        .where(link_reviews.c.mention_id_l == sa.bindparam("l"))
        .where(link_reviews.c.mention_id_r == sa.bindparam("r"))
        .values({k: sa.bindparam(f"v_{k}") for k in REVIEW_VALUES}),
        [
            {"l": r["mention_id_l"], "r": r["mention_id_r"]}
            | {f"v_{k}": r[k] for k in REVIEW_VALUES}
            for r in rows
        ],
    )


def mark_decided(conn: Connection, review_id: int, *, status: str, decision_id: int) -> None:
    """The item was decided (confirmed or split) by ``decision_id``."""
    conn.execute(
        sa.update(link_reviews)
        .where(link_reviews.c.id == review_id)
        .values(status=status, decision_id=decision_id)
    )


def reopen(conn: Connection, review_id: int) -> None:
    """The item's decision was undone: it is open again, with no decision."""
    conn.execute(
        sa.update(link_reviews)
        .where(link_reviews.c.id == review_id)
        .values(status="open", decision_id=None)
    )


# --- the records of a pair ------------------------------------------------------------------------


def count_mentions(conn: Connection, mention_ids: Iterable[int]) -> int:
    """How many of these mention ids exist."""
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(person_mentions)
            .where(person_mentions.c.id.in_(list(mention_ids)))
        ).scalar_one()
    )


def _paired(conn: Connection, where: sa.ColumnElement[bool], limit: int) -> list[PairedMention]:
    rows = conn.execute(
        sa.select(person_mentions, person_links.c.person_id)
        .outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
        .where(where)
        .order_by(person_mentions.c.id)
        .limit(limit)
    ).all()
    return [
        PairedMention(
            int(r.id), None if r.person_id is None else int(r.person_id), str(r.source_system),
            r.forenames, r.surname, r.date_of_birth, r.sex, r.postcode, r.pnc_id,
        )
        for r in rows
    ]  # fmt: skip


def mentions(conn: Connection, mention_ids: Iterable[int], *, limit: int) -> list[PairedMention]:
    """These mentions with their people, by id."""
    return _paired(conn, person_mentions.c.id.in_(list(mention_ids)), limit)


def person_mentions_besides(
    conn: Connection, person_id: int, exclude: Iterable[int], *, limit: int
) -> list[PairedMention]:
    """The person's other mentions (not in ``exclude``), by id."""
    in_person = sa.select(person_links.c.mention_id).where(person_links.c.person_id == person_id)
    where = sa.and_(person_mentions.c.id.in_(in_person), person_mentions.c.id.not_in(exclude))
    return _paired(conn, where, limit)


# --- analysts' decisions --------------------------------------------------------------------------


def _decision(r: Any) -> DecisionRow:
    return DecisionRow(
        int(r.id), str(r.kind), int(r.mention_id_l), int(r.mention_id_r), str(r.actor),
        str(r.reason), r.created_at, None if r.review_id is None else int(r.review_id),
        str(r.before), r.revoked_at, r.revoked_by,
    )  # fmt: skip


def decision(conn: Connection, decision_id: int) -> DecisionRow | None:
    """The decision ``decision_id``, or None."""
    r = conn.execute(sa.select(link_decisions).where(link_decisions.c.id == decision_id)).first()
    return None if r is None else _decision(r)


def decisions_about(
    conn: Connection, mention_ids: Iterable[int], *, limit: int
) -> list[DecisionRow]:
    """Decisions about any of these mentions, latest first."""
    ids = sorted(mention_ids)
    rows = conn.execute(
        sa.select(link_decisions)
        .where(
            sa.or_(link_decisions.c.mention_id_l.in_(ids), link_decisions.c.mention_id_r.in_(ids))
        )
        .order_by(link_decisions.c.created_at.desc(), link_decisions.c.id.desc())
        .limit(limit)
    ).all()
    return [_decision(r) for r in rows]


def active_kind(conn: Connection, a: int, b: int) -> str | None:
    """The kind of the decision in force about the pair (a, b), if any."""
    value = conn.execute(
        sa.select(link_decisions.c.kind)
        .where(link_decisions.c.mention_id_l == a)
        .where(link_decisions.c.mention_id_r == b)
        .where(link_decisions.c.revoked_at.is_(None))
    ).scalar()
    return None if value is None else str(value)


def add_decision(
    conn: Connection,
    *,
    kind: str,
    a: int,
    b: int,
    actor: str,
    reason: str,
    at: datetime,
    review_id: int | None,
    before: str,
) -> int:
    """Store a decision (``before``: the JSON of the links it changes); returns its id."""
    return int(
        conn.execute(
            sa.insert(link_decisions)
            .values(
                kind=kind,
                mention_id_l=a,
                mention_id_r=b,
                actor=actor,
                reason=reason,
                created_at=at,
                review_id=review_id,
                before=before,
            )
            .returning(link_decisions.c.id)
        ).scalar_one()
    )


def revoke(conn: Connection, decision_id: int, *, at: datetime, by: str) -> None:
    """Mark the decision undone (it stays stored)."""
    conn.execute(
        sa.update(link_decisions)
        .where(link_decisions.c.id == decision_id)
        .values(revoked_at=at, revoked_by=by)
    )
