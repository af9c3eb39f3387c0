"""Why two records were joined into one person or kept apart, for an analyst.

For any two mentions: both records (projected for the viewer, as the review queue shows them),
whether they are one person now, any analyst decision in force for the pair, the model's score
broken down field by field (Splink's waterfall: each comparison's level and match weight) and
every guard that keeps them apart. Consulting it is audited. A restricted person's record is
withheld, and so is the breakdown (it says how their details compare), until break glass.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import pyarrow as pa
from sqlalchemy.engine import Connection

from safeguard.adapters.db import link_evidence as evidence
from safeguard.adapters.db import linkage as store
from safeguard.domain.access import Action, ensure, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.projection import project
from safeguard.errors import NotFound, ValidationFailed
from safeguard.services import access
from safeguard.services.links import MentionCard, mention_cards
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)
MAX_CONTEXT = 200  # mentions of the two people the guards are judged on, at most


@dataclass(frozen=True, slots=True)
class FieldWhy:
    field: str
    level: str
    match_weight: float
    m_probability: float | None
    u_probability: float | None


@dataclass(frozen=True, slots=True)
class GuardWhy:
    guard: str
    description: str


@dataclass(frozen=True, slots=True)
class PairWhy:
    left: MentionCard
    right: MentionCard
    same_person: bool
    decision: str | None  # an analyst's decision in force: must_link or cannot_link
    model_version: str | None
    prior_weight: float | None
    match_weight: float | None
    match_probability: float | None
    fields: list[FieldWhy]
    guards: list[GuardWhy]
    unlinkable: list[str]
    withheld: bool  # a restricted record: the breakdown is withheld until break glass


def _raw(conn: Connection, ids: list[int]) -> pa.Table:
    from safeguard.adapters.linkage.features import RAW_COLUMNS, raw_from_records

    return raw_from_records(evidence.mention_rows(conn, ids, RAW_COLUMNS))


def _context(conn: Connection, left: MentionCard, right: MentionCard) -> list[int]:
    """The two mentions and (up to ``MAX_CONTEXT``) the other mentions of their people."""
    people = [c.person_id for c in (left, right) if c.person_id is not None]
    ids = {left.mention_id, right.mention_id}
    ids |= set(evidence.mentions_of_people(conn, people, MAX_CONTEXT))
    return sorted(ids)


def why_pair(
    uow: UnitOfWork,
    *,
    left: int,
    right: int,
    today: date | None = None,
    guards_off: frozenset[str] | None = None,
) -> PairWhy:
    """Why mentions ``left`` and ``right`` are one person, or two (audited)."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.REVIEW_LINKS)
    if left == right:
        raise ValidationFailed("give two different records")
    a, b = min(left, right), max(left, right)
    by_id = {c.mention_id: c for c in mention_cards(conn, [a, b], limit=2)}
    if len(by_id) != 2:
        raise NotFound(f"records {a} and {b}")
    card_l, card_r = by_id[a], by_id[b]
    seen = access.person_access(
        conn, actor, [c.person_id for c in (card_l, card_r) if c.person_id is not None]
    )
    withheld = False

    def shown(card: MentionCard) -> MentionCard:
        nonlocal withheld
        resource = seen.get(card.person_id) if card.person_id is not None else None
        if resource is None:
            return card
        if resource.restricted and not resource.break_glass:
            withheld = True
        return project(replace(card, restricted=resource.restricted), sight(actor, resource))

    shown_l, shown_r = shown(card_l), shown(card_r)
    decision = evidence.decision_in_force(conn, a, b)
    saved = store.latest_model(conn)
    fields: list[FieldWhy] = []
    guards: list[GuardWhy] = []
    unlinkable: list[str] = []
    prior = weight = probability = None
    if not withheld:
        from safeguard.adapters.linkage.explain import explain_pair
        from safeguard.adapters.linkage.guards import GUARD_LABELS
        from safeguard.adapters.linkage.model import guards_of

        ids = _context(conn, card_l, card_r)
        events = evidence.events_of_mentions(conn, ids)
        model = json.loads(saved[1]) if saved is not None else None
        found = explain_pair(
            _raw(conn, ids),
            a,
            b,
            model_json=model,
            mention_events=pa.table(
                {
                    "mention_id": pa.array([m for m, _ in events], pa.int64()),
                    "event_id": pa.array([e for _, e in events], pa.int64()),
                }
            ),
            today=today or datetime.now(UTC).date(),
            sibling_guard=bool(guards_of(model or {}).get("sibling_guard", True)),
            dob_guard=bool(guards_of(model or {}).get("dob_guard", True)),
        )
        prior, weight, probability = found.prior_weight, found.match_weight, found.match_probability
        fields = [
            FieldWhy(f.field, f.level, f.match_weight, f.m_probability, f.u_probability)
            for f in found.fields
        ]
        # a guard the force turns off (or off by default) keeps nobody apart in its runs
        if guards_off is None:
            from safeguard.services.linking.config import force_policy

            guards_off = force_policy().guards_off
        guards = [GuardWhy(g, GUARD_LABELS.get(g, g)) for g in found.guards if g not in guards_off]
        unlinkable = sorted(set(found.unlinkable.values()))
    people = sorted(
        {
            c.person_id
            for c in (card_l, card_r)
            if c.person_id is not None
            and not (seen.get(c.person_id) and seen[c.person_id].restricted)
        }
        | {p for p, r in seen.items() if r.restricted and r.break_glass}
    )
    uow.audit(
        "link.why",
        AuditCategory.CONSULTATION,
        "person_mention",
        record_ids=[a, b],
        person_ids=people,
        justification="Explaining why two records are linked or kept apart",
        detail={"withheld": withheld},
    )
    logger.info("link why %s/%s shown to user %s", a, b, actor.user_id)
    return PairWhy(
        left=shown_l,
        right=shown_r,
        same_person=card_l.person_id is not None and card_l.person_id == card_r.person_id,
        decision=decision,
        model_version=None if saved is None else saved[0],
        prior_weight=prior,
        match_weight=weight,
        match_probability=probability,
        fields=fields,
        guards=guards,
        unlinkable=unlinkable,
        withheld=withheld,
    )
