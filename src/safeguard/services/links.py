"""The link review queue: an analyst confirms an uncertain link or splits the record off.

Decisions are stored on ``person_links`` (``model_version`` ``analyst:confirmed`` /
``analyst:split``) and audited as combination. When the linking capability's own
confirm/split service is merged, these two functions become calls into it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.audit import append_audit
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.tables import person_mentions
from safeguard.domain.access import Action, Actor, ensure
from safeguard.domain.audit import AuditCategory, AuditEntry
from safeguard.errors import InvalidTransition, NotFound

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MentionCard:
    mention_id: int
    source_system: str
    name: str
    date_of_birth: date | None
    sex: str | None
    postcode: str | None
    pnc_id: str | None


@dataclass(frozen=True, slots=True)
class LinkReview:
    mention: MentionCard
    person_id: int
    match_probability: float | None
    decided: str | None
    others: list[MentionCard]


def _card(row: sa.Row[tuple[object, ...]]) -> MentionCard:
    m = row._mapping
    return MentionCard(
        mention_id=int(m["id"]),
        source_system=str(m["source_system"]),
        name=f"{m['forenames'] or ''} {m['surname'] or ''}".strip(),
        date_of_birth=m["date_of_birth"],
        sex=m["sex"],
        postcode=m["postcode"],
        pnc_id=m["pnc_id"],
    )


def review(conn: Connection, *, actor: Actor, mention_id: int) -> LinkReview:
    """The uncertain mention beside the other records of the person it is linked to."""
    ensure(actor, Action.REVIEW_LINKS)
    link = conn.execute(
        sa.select(person_links).where(person_links.c.mention_id == mention_id)
    ).first()
    if link is None:
        raise NotFound(f"mention {mention_id} has no link to review")
    rows = conn.execute(
        sa.select(person_mentions)
        .join(person_links, person_links.c.mention_id == person_mentions.c.id)
        .where(person_links.c.person_id == link.person_id)
        .order_by(person_mentions.c.id)
        .limit(20)
    ).all()
    cards = [_card(r) for r in rows]
    me = (
        next(c for c in cards if c.mention_id == mention_id)
        if any(c.mention_id == mention_id for c in cards)
        else _card(
            conn.execute(sa.select(person_mentions).where(person_mentions.c.id == mention_id)).one()
        )
    )
    version = str(link.model_version or "")
    append_audit(
        conn,
        AuditEntry(
            actor=actor.audit_name,
            actor_role=str(actor.role),
            action="link.review",
            category=AuditCategory.CONSULTATION,
            record_type="person_mention",
            record_ids=[str(mention_id)],
            person_ids=[int(link.person_id)],
            justification="Reviewing an uncertain record link",
        ),
    )
    return LinkReview(
        mention=me,
        person_id=int(link.person_id),
        match_probability=link.match_probability,
        decided=version.removeprefix("analyst:") if version.startswith("analyst:") else None,
        others=[c for c in cards if c.mention_id != mention_id],
    )


def _decide(conn: Connection, actor: Actor, mention_id: int) -> sa.Row[tuple[object, ...]]:
    ensure(actor, Action.REVIEW_LINKS)
    link = conn.execute(
        sa.select(person_links).where(person_links.c.mention_id == mention_id)
    ).first()
    if link is None:
        raise NotFound(f"mention {mention_id} has no link to review")
    if str(link.model_version or "").startswith("analyst:"):
        raise InvalidTransition(f"mention {mention_id}: already decided ({link.model_version})")
    return link


def confirm_link(
    conn: Connection, *, actor: Actor, mention_id: int, now: datetime | None = None
) -> int:
    """Confirm that the mention belongs to its person; returns the person id."""
    link = _decide(conn, actor, mention_id)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    conn.execute(
        sa.update(person_links)
        .where(person_links.c.mention_id == mention_id)
        .values(match_probability=1.0, model_version="analyst:confirmed", linked_at=now)
    )
    _audit(conn, actor, "link.confirm", mention_id, [int(link.person_id)])
    return int(link.person_id)


def split_link(
    conn: Connection, *, actor: Actor, mention_id: int, now: datetime | None = None
) -> int:
    """Split the mention off into a new person of its own; returns the new person id."""
    link = _decide(conn, actor, mention_id)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    new_id = int(
        conn.execute(
            sa.insert(people).values(created_at=now, restricted=False).returning(people.c.id)
        ).scalar_one()
    )
    conn.execute(
        sa.update(person_links)
        .where(person_links.c.mention_id == mention_id)
        .values(
            person_id=new_id, match_probability=1.0, model_version="analyst:split", linked_at=now
        )
    )
    _audit(conn, actor, "link.split", mention_id, [int(link.person_id), new_id])
    return new_id


def _audit(
    conn: Connection, actor: Actor, action: str, mention_id: int, person_ids: list[int]
) -> None:
    append_audit(
        conn,
        AuditEntry(
            actor=actor.audit_name,
            actor_role=str(actor.role),
            action=action,
            category=AuditCategory.COMBINATION,
            record_type="person_mention",
            record_ids=[str(mention_id)],
            person_ids=person_ids,
        ),
    )
    logger.info("%s of mention %s by user %s", action, mention_id, actor.user_id)
