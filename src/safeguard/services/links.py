"""The link review queue for analysts: each item two records side by side; confirm or split.

The queue, the decisions and their audit belong to the linking capability
(``safeguard.services.linking.decisions``: ``review_queue``, ``confirm_link``,
``split_link``); this module adds the access check and the audited, side-by-side view of a pair.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.linkage import link_decisions, link_reviews
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import person_mentions
from safeguard.domain.access import Action, Actor, RecordKind, ensure, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.linking import GENERATION_GAP_YEARS
from safeguard.domain.projection import WITHHELD_NAME, project, shown_if
from safeguard.errors import InvalidTransition, NotFound
from safeguard.services import access
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)
MAX_OTHERS = 10


K = RecordKind


@dataclass(frozen=True, slots=True)
class MentionCard:
    mention_id: int
    person_id: int | None
    source_system: str
    name: str = field(metadata=shown_if(K.IDENTITY, withheld=WITHHELD_NAME))
    date_of_birth: date | None = field(default=None, metadata=shown_if(K.IDENTITY))
    sex: str | None = field(default=None, metadata=shown_if(K.IDENTITY))
    postcode: str | None = field(default=None, metadata=shown_if(K.CONTACT))
    pnc_id: str | None = field(default=None, metadata=shown_if(K.IDENTITY))
    restricted: bool = False  # shown as "restricted record, reason needed" until break glass


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """One decision about these people's records: who joined or split what, when and why."""

    decision_id: int
    kind: str  # must_link (confirmed) | cannot_link (split)
    actor: str
    at: datetime
    review_id: int | None
    revoked_at: datetime | None
    revoked_by: str | None
    reason: str = ""  # blanked while a restricted person in the pair is not opened


@dataclass(frozen=True, slots=True)
class PairReview:
    review_id: int
    status: str
    reason: str
    match_probability: float
    left: MentionCard
    right: MentionCard
    left_others: list[MentionCard]
    right_others: list[MentionCard]
    # What could make joining them wrong, in words without the values (shown to the reviewer
    # prominently): different dates of birth, sexes, or a generation between them.
    conflicts: tuple[str, ...] = ()
    decision_id: int | None = None  # the decision in force, which can be undone
    history: tuple[LinkEvent, ...] = ()


def conflicts_between(cards: list[MentionCard], others: list[MentionCard]) -> tuple[str, ...]:
    """Warnings for joining ``cards`` (the pair) given all their records (``others`` too).

    Examples:
        >>> a = MentionCard(1, None, "x", "A", date(1980, 1, 1), "female")
        >>> b = MentionCard(2, None, "x", "A", date(2004, 1, 1), "male")
        >>> [w.split(":")[0] for w in conflicts_between([a, b], [])]
        ['Different dates of birth', 'Different sexes', 'A generation apart']
    """
    every = [*cards, *others]
    out = []
    dobs = sorted({c.date_of_birth for c in every if c.date_of_birth is not None})
    if len(dobs) > 1:
        out.append(f"Different dates of birth: {len(dobs)} different dates across the records")
    sexes = {c.sex.strip().lower() for c in every if c.sex and c.sex.strip().lower() != "unknown"}
    if len(sexes) > 1:
        out.append("Different sexes: more than one sex recorded across the records")
    if len(dobs) > 1 and (dobs[-1] - dobs[0]).days >= GENERATION_GAP_YEARS * 365.25:
        out.append(
            f"A generation apart: dates of birth {(dobs[-1] - dobs[0]).days // 365} years apart "
            "(perhaps a parent and child with the same name)"
        )
    return tuple(out)


def _history(conn: Connection, mention_ids: set[int]) -> tuple[LinkEvent, ...]:
    if not mention_ids:
        return ()
    ids = sorted(mention_ids)
    rows = conn.execute(
        sa.select(link_decisions)
        .where(
            sa.or_(link_decisions.c.mention_id_l.in_(ids), link_decisions.c.mention_id_r.in_(ids))
        )
        .order_by(link_decisions.c.created_at.desc(), link_decisions.c.id.desc())
        .limit(50)
    ).all()
    return tuple(
        LinkEvent(
            int(r.id), str(r.kind), str(r.actor), r.created_at, r.review_id, r.revoked_at,
            r.revoked_by, str(r.reason),
        )
        for r in rows
    )  # fmt: skip


def _cards(conn: Connection, where: sa.ColumnElement[bool], limit: int) -> list[MentionCard]:
    rows = conn.execute(
        sa.select(person_mentions, person_links.c.person_id)
        .outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
        .where(where)
        .order_by(person_mentions.c.id)
        .limit(limit)
    ).all()
    return [
        MentionCard(
            mention_id=int(r.id),
            person_id=None if r.person_id is None else int(r.person_id),
            source_system=str(r.source_system),
            name=f"{r.forenames or ''} {r.surname or ''}".strip(),
            date_of_birth=r.date_of_birth,
            sex=r.sex,
            postcode=r.postcode,
            pnc_id=r.pnc_id,
        )
        for r in rows
    ]


def _others(conn: Connection, card: MentionCard, exclude: set[int]) -> list[MentionCard]:
    if card.person_id is None:
        return []
    in_person = sa.select(person_links.c.mention_id).where(
        person_links.c.person_id == card.person_id
    )
    where = sa.and_(person_mentions.c.id.in_(in_person), person_mentions.c.id.not_in(exclude))
    return _cards(conn, where, MAX_OTHERS)


def review_pair(uow: UnitOfWork, *, review_id: int) -> PairReview:
    """The two records of a review item side by side, with each one's person's other records.

    Showing them consults both people: audited, with the review as the justification.
    """
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.REVIEW_LINKS)
    item = conn.execute(sa.select(link_reviews).where(link_reviews.c.id == review_id)).first()
    if item is None:
        raise NotFound(f"review item {review_id} not found")
    pair = {int(item.mention_id_l), int(item.mention_id_r)}
    by_id = {c.mention_id: c for c in _cards(conn, person_mentions.c.id.in_(pair), 2)}
    left, right = by_id[int(item.mention_id_l)], by_id[int(item.mention_id_r)]
    left_others, right_others = _others(conn, left, pair), _others(conn, right, pair)
    seen = access.person_access(
        conn, actor, [c.person_id for c in (left, right) if c.person_id is not None]
    )

    def shown(card: MentionCard) -> MentionCard:
        resource = seen.get(card.person_id) if card.person_id is not None else None
        if resource is None:
            return card
        return project(replace(card, restricted=resource.restricted), sight(actor, resource))

    warnings = conflicts_between([left, right], left_others + right_others)
    mentions = {c.mention_id for c in (left, right, *left_others, *right_others)}
    history = _history(conn, mentions)
    left, right = shown(left), shown(right)
    left_others = [shown(c) for c in left_others]
    right_others = [shown(c) for c in right_others]
    if any(c.restricted for c in (left, right)) and not all(
        seen[c.person_id].break_glass for c in (left, right) if c.restricted and c.person_id
    ):
        history = tuple(replace(h, reason="") for h in history)  # reasons may name the person
    people = sorted(
        {c.person_id for c in (left, right) if c.person_id is not None and not c.restricted}
        | {p for p, r in seen.items() if r.restricted and r.break_glass}
    )
    uow.audit(
        "link.review",
        AuditCategory.CONSULTATION,
        "person_mention",
        record_ids=sorted(pair),
        person_ids=people,
        justification="Reviewing an uncertain record link",
        detail={"review_id": review_id},
    )
    return PairReview(
        review_id=review_id,
        status=str(item.status),
        reason=str(item.reason),
        match_probability=float(item.match_probability),
        left=left,
        right=right,
        left_others=left_others,
        right_others=right_others,
        conflicts=warnings,
        decision_id=None if item.decision_id is None else int(item.decision_id),
        history=history,
    )


def undo(engine: Engine, *, actor: Actor, review_id: int, reason: str) -> None:
    """Undo the decision in force on a review item (confirm or split), with a reason: the
    records go back to the people they had before it and the item is open again.

    Raises:
        InvalidTransition: the item has no decision in force.
    """
    with engine.connect() as conn:
        ensure_pair(conn, actor=actor, review_id=review_id)
        decision_id = conn.execute(
            sa.select(link_reviews.c.decision_id).where(link_reviews.c.id == review_id)
        ).scalar()
    if decision_id is None:
        raise InvalidTransition(f"review item {review_id} has no decision to undo")
    from safeguard.services.linking import decisions

    decisions.undo_decision(engine, actor=actor, decision_id=int(decision_id), reason=reason)
    with UnitOfWork.begin(engine, actor) as uow:
        # The linking capability's audit entry says what was undone; this one says why.
        uow.audit(
            "link.undo_reason",
            AuditCategory.ALTERATION,
            "link_decision",
            record_ids=[decision_id],
            person_ids=[],
            justification=reason,
            detail={"review_id": review_id},
        )
    logger.info("review %s: decision %s undone by user %s", review_id, decision_id, actor.user_id)


def ensure_pair(conn: Connection, *, actor: Actor, review_id: int) -> None:
    """May ``actor`` decide this pair? Both records' people must be open to them: a restricted
    person needs break glass first (BreakGlassRequired)."""
    ensure(actor, Action.REVIEW_LINKS)
    item = conn.execute(sa.select(link_reviews).where(link_reviews.c.id == review_id)).first()
    if item is None:
        raise NotFound(f"review item {review_id} not found")
    ids = conn.execute(
        sa.select(person_links.c.person_id).where(
            person_links.c.mention_id.in_([int(item.mention_id_l), int(item.mention_id_r)])
        )
    ).scalars()
    for resource in access.person_access(conn, actor, [int(i) for i in ids]).values():
        ensure(actor, Action.REVIEW_LINKS, resource)


def confirm(engine: Engine, *, actor: Actor, review_id: int, reason: str) -> int:
    """Confirm the pair are one person (linking merges them and keeps them together)."""
    # Imported here: the linking service pulls in Splink, which the web app needs only now.
    # It checks the account may decide about both records itself (``decisions.may_decide``).
    from safeguard.services.linking import decisions

    decision = decisions.confirm_link(engine, actor=actor, reason=reason, review_id=review_id)
    logger.info("review %s confirmed by user %s (decision %s)", review_id, actor.user_id, decision)
    return decision


def split(engine: Engine, *, actor: Actor, review_id: int, reason: str) -> int:
    """Decide the pair are different people (linking splits them and keeps them apart)."""
    from safeguard.services.linking import decisions

    decision = decisions.split_link(engine, actor=actor, reason=reason, review_id=review_id)
    logger.info("review %s split by user %s (decision %s)", review_id, actor.user_id, decision)
    return decision
