"""The link review queue for analysts: each item two records side by side; confirm or split.

The queue, the decisions and their audit belong to the linking capability
(``safeguard.services.linking.decisions``: ``review_queue``, ``confirm_link``,
``split_link``); this module adds the access check and the audited, side-by-side view of a pair.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import linkage as store
from safeguard.adapters.db import review_queue as queue
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
    return tuple(
        LinkEvent(
            r.id, r.kind, r.actor, r.created_at, r.review_id, r.revoked_at, r.revoked_by, r.reason
        )
        for r in queue.decisions_about(conn, mention_ids, limit=50)
    )


def _card(r: queue.PairedMention) -> MentionCard:
    return MentionCard(
        mention_id=r.id,
        person_id=r.person_id,
        source_system=r.source_system,
        name=f"{r.forenames or ''} {r.surname or ''}".strip(),
        date_of_birth=r.date_of_birth,
        sex=r.sex,
        postcode=r.postcode,
        pnc_id=r.pnc_id,
    )


def mention_cards(conn: Connection, mention_ids: Iterable[int], *, limit: int) -> list[MentionCard]:
    """These records, each with its person, by id (at most ``limit``)."""
    return [_card(r) for r in queue.mentions(conn, mention_ids, limit=limit)]


def _others(conn: Connection, card: MentionCard, exclude: set[int]) -> list[MentionCard]:
    if card.person_id is None:
        return []
    found = queue.person_mentions_besides(conn, card.person_id, exclude, limit=MAX_OTHERS)
    return [_card(r) for r in found]


def review_pair(uow: UnitOfWork, *, review_id: int) -> PairReview:
    """The two records of a review item side by side, with each one's person's other records.

    Showing them consults both people: audited, with the review as the justification.
    """
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.REVIEW_LINKS)
    item = queue.item(conn, review_id)
    if item is None:
        raise NotFound(f"review item {review_id} not found")
    pair = {item.mention_id_l, item.mention_id_r}
    by_id = {c.mention_id: c for c in mention_cards(conn, pair, limit=2)}
    left, right = by_id[item.mention_id_l], by_id[item.mention_id_r]
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
        status=item.status,
        reason=item.reason,
        match_probability=item.match_probability,
        left=left,
        right=right,
        left_others=left_others,
        right_others=right_others,
        conflicts=warnings,
        decision_id=item.decision_id,
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
        decision_id = queue.decision_of(conn, review_id)
    if decision_id is None:
        raise InvalidTransition(f"review item {review_id} has no decision to undo")
    from safeguard.services.linking import decisions

    decisions.undo_decision(engine, actor=actor, decision_id=decision_id, reason=reason)
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
    item = queue.item(conn, review_id)
    if item is None:
        raise NotFound(f"review item {review_id} not found")
    ids = store.people_of(conn, [item.mention_id_l, item.mention_id_r]).values()
    for resource in access.person_access(conn, actor, list(ids)).values():
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
