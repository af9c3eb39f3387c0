"""Who is who: mention ids to person keys, people's mentions in batches, and the mentions whose
records changed (what a targeted re-assessment must read)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.raw_reads import base_sql, column_name, raw_rows, where_in
from safeguard.adapters.db.tables import (
    events,
    involvements,
    missing_episodes,
    person_mentions,
    referral_status_changes,
    referrals,
    risk_assessments,
    victim_contacts,
)
from safeguard.domain.history import person_key_text as person_key


def mention_people(conn: Connection, mention_ids: Sequence[int] | None = None) -> dict[int, str]:
    """Mention id -> person key, for the given mentions (or all)."""
    q = sa.select(person_mentions.c.id, person_links.c.person_id).select_from(
        person_mentions.outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
    )
    out: dict[int, str] = {}
    for clause in where_in(person_mentions.c.id, mention_ids):
        for mid, pid in conn.execute(q.where(clause)):
            out[int(mid)] = person_key(pid, int(mid))
    return out


def mention_batches(conn: Connection, people_per_batch: int) -> tuple[int, list[list[int]]]:
    """The number of people, and every mention id grouped by person (in person-key order) into
    batches of at most ``people_per_batch`` people. Each batch holds all the mentions of its
    people, so it can be passed to :func:`load_histories` with ``expand=False``."""
    sql = base_sql(
        conn,
        sa.select(person_mentions.c.id, person_links.c.person_id).select_from(
            person_mentions.outerjoin(
                person_links, person_links.c.mention_id == person_mentions.c.id
            )
        ),
        "mention_batches",
    )
    by_key: dict[str, list[int]] = defaultdict(list)
    for mid, pid in raw_rows(conn, sql, column_name(person_mentions.c.id), None):
        by_key[person_key(pid, mid)].append(int(mid))
    keys = sorted(by_key)
    return len(keys), [
        sorted(m for k in keys[i : i + people_per_batch] for m in by_key[k])
        for i in range(0, len(keys), people_per_batch)
    ]


def mentions_of(conn: Connection, keys: Iterable[str]) -> list[int]:
    """Every mention id belonging to the given person keys (straight through the cursor: it is
    on the path of re-scoring one person)."""
    keys = list(keys)  # read twice below: a generator would be spent by the first read
    person_ids = sorted({int(k[1:]) for k in keys if k.startswith("P")})
    mention_ids = {int(k[1:]) for k in keys if k.startswith("M")}
    if person_ids:
        sql = base_sql(conn, sa.select(person_links.c.mention_id), "mentions of people")
        column = column_name(person_links.c.person_id)
        mention_ids.update(int(m) for (m,) in raw_rows(conn, sql, column, person_ids))
    return sorted(mention_ids)


def touched_mentions(conn: Connection, since: datetime) -> list[int]:
    """Mentions whose own record, or any record attached to them, changed at or after ``since``."""
    found: set[int] = set()
    for table, column in (
        (person_mentions, person_mentions.c.id),
        (involvements, involvements.c.mention_id),
        (risk_assessments, risk_assessments.c.subject_id),
        (referrals, referrals.c.subject_id),
        (missing_episodes, missing_episodes.c.mention_id),
        (victim_contacts, victim_contacts.c.mention_id),
    ):
        found.update(
            int(m)
            for (m,) in conn.execute(sa.select(column).where(table.c.last_changed_at >= since))
            if m is not None
        )
    changed_events = sa.select(events.c.id).where(events.c.last_changed_at >= since)
    found.update(
        int(m)
        for (m,) in conn.execute(
            sa.select(involvements.c.mention_id).where(involvements.c.event_id.in_(changed_events))
        )
        if m is not None
    )
    changed_refs = sa.select(referral_status_changes.c.referral_id).where(
        referral_status_changes.c.last_changed_at >= since
    )
    found.update(
        int(m)
        for (m,) in conn.execute(
            sa.select(referrals.c.subject_id).where(referrals.c.id.in_(changed_refs))
        )
        if m is not None
    )
    linked = sa.select(person_links.c.mention_id).where(person_links.c.linked_at >= since)
    found.update(int(m) for (m,) in conn.execute(linked))
    return sorted(found)
