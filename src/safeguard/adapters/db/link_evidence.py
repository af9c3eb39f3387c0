"""What explaining a pair of records reads: their people's other mentions, the analyst decision
in force for the pair, and the incidents each mention is a party to."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.linkage import link_decisions
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import involvements, person_mentions


def mention_rows(
    conn: Connection, ids: Sequence[int], columns: Sequence[str]
) -> list[dict[str, object]]:
    """The named columns of each mention in ``ids``."""
    rows = conn.execute(
        sa.select(*(person_mentions.c[c] for c in columns)).where(person_mentions.c.id.in_(ids))
    ).all()
    return [dict(r._mapping) for r in rows]


def mentions_of_people(conn: Connection, person_ids: Sequence[int], most: int) -> list[int]:
    """Up to ``most`` mention ids of the given people, lowest first."""
    if not person_ids:
        return []
    q = (
        sa.select(person_links.c.mention_id)
        .where(person_links.c.person_id.in_(person_ids))
        .order_by(person_links.c.mention_id)
        .limit(most)
    )
    return [int(i) for i in conn.execute(q).scalars()]


def decision_in_force(conn: Connection, left: int, right: int) -> str | None:
    """The analyst's decision in force for a pair (``left`` < ``right``): must_link,
    cannot_link, or None."""
    d = link_decisions.c
    kind = conn.execute(
        sa.select(d.kind)
        .where(d.mention_id_l == left, d.mention_id_r == right)
        .where(d.revoked_at.is_(None))
    ).scalar()
    return None if kind is None else str(kind)


def events_of_mentions(conn: Connection, ids: Sequence[int]) -> list[tuple[int, int]]:
    """(mention id, event id) for every incident each mention is a party to."""
    q = sa.select(involvements.c.mention_id, involvements.c.event_id).where(
        involvements.c.mention_id.in_(ids)
    )
    return [(int(m), int(e)) for m, e in conn.execute(q)]
