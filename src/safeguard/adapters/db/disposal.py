"""Disposal (MoPI): removing a person's personal data from every table, in one transaction.
The decision to dispose is the retention use case's (``safeguard.services.retention.decide``);
this is the storage half, and the one list of which tables hold a person's data.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import agency_shares, break_glass_grants
from safeguard.adapters.db.assignments import work_assignments
from safeguard.adapters.db.audit import audit_person_index
from safeguard.adapters.db.findings import finding_history, findings, procedure_checks
from safeguard.adapters.db.linkage import link_decisions, link_reviews, link_unlinkable
from safeguard.adapters.db.mash import mash_decisions, mash_requests
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.retention import retention_holds
from safeguard.adapters.db.risk_models import risk_scores
from safeguard.adapters.db.tables import (
    data_quality_flags,
    events,
    involvements,
    missing_episodes,
    objects,
    person_mentions,
    record_history,
    referral_status_changes,
    referrals,
    risk_assessments,
    satisfaction_responses,
    victim_contacts,
)


def _delete(conn: Connection, table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.delete(table).where(condition)).rowcount or 0)


# Every table is either emptied of the person by :func:`dispose_of` or holds no personal data
# of theirs (tests/unit/test_retention_tables.py keeps this complete: a new table must be
# placed in one or the other).
DISPOSED_FROM: frozenset[str] = frozenset(
    {
        "agency_shares", "audit_person_index", "break_glass_grants", "data_quality_flags",
        "events", "finding_history", "findings", "involvements", "link_decisions",
        "link_reviews", "link_unlinkable", "mash_decisions", "mash_requests",
        "missing_episodes", "objects", "people", "person_links", "person_mentions",
        "procedure_checks", "record_history", "referral_status_changes", "referrals",
        "retention_holds", "risk_assessments", "risk_scores", "satisfaction_responses",
        "victim_contacts", "work_assignments",
    }
)  # fmt: skip
HOLDS_NO_PERSON_DATA: dict[str, str] = {
    "assessment_runs": "run counts only",
    "audit_head": "the chain's head: a sequence and a hash",
    "audit_log": "append-only; ids, never names (the person's index entries go)",
    "ingest_runs": "run counts and file names",
    "link_models": "model parameters",
    "link_runs": "run counts",
    "locations": "places, shared by many events",
    "partner_agencies": "the agency registry",
    "partner_agency_names": "the agency registry",
    "quarantine": "rejected input rows, never linked to a person; kept for the data owner",
    "retention_reviews": "the decision itself, by person id, is the record MoPI requires",
    "risk_models": "fitted models and cards (aggregate figures)",
    "users": "staff accounts",
    "api_tokens": "staff credentials",
    "web_sessions": "staff sessions",
}


def dispose_of(conn: Connection, person_id: int) -> dict[str, int]:
    """Remove the person's personal data from every table, in the caller's transaction.

    Removed: their mentions and everything recorded about them (involvements, risk
    assessments, referrals and their status changes, MASH requests and decisions, missing
    episodes, Victims' Code contacts, satisfaction responses, data-quality flags), links, link
    reviews and decisions, unlinkable entries, findings with their history and assignments,
    procedure checks, the risk model's scores, shares, break-glass grants, audit-index
    entries, earlier versions kept
    by the history triggers, and the person. Kept: incidents (events) that other people are
    involved in, and the audit log itself (append-only; it names ids, never names).
    """
    mids = list(
        conn.execute(
            sa.select(person_links.c.mention_id).where(person_links.c.person_id == person_id)
        ).scalars()
    )
    removed: dict[str, int] = {}
    history: dict[str, list[int]] = defaultdict(list)

    def gone(table: sa.Table, condition: sa.ColumnElement[bool], versioned: bool = True) -> None:
        if versioned:
            history[table.name] += list(
                conn.execute(sa.select(table.c.id).where(condition)).scalars()
            )
        n = _delete(conn, table, condition)
        if n:
            removed[table.name] = removed.get(table.name, 0) + n

    ref_ids = list(
        conn.execute(sa.select(referrals.c.id).where(referrals.c.subject_id.in_(mids))).scalars()
    )
    event_ids = set(
        conn.execute(
            sa.select(involvements.c.event_id).where(involvements.c.mention_id.in_(mids))
        ).scalars()
    )
    sources = list(
        conn.execute(
            sa.select(person_mentions.c.source_system, person_mentions.c.source_id).where(
                person_mentions.c.id.in_(mids)
            )
        ).tuples()
    )
    for system, source_id in sources:
        # A flagged field's value is the person's data (a date of birth, an age).
        gone(
            data_quality_flags,
            sa.and_(
                data_quality_flags.c.source_system == system,
                data_quality_flags.c.source_id == source_id,
            ),
            versioned=False,
        )
    for table in (mash_requests, mash_decisions):
        gone(table, table.c.referral_id.in_(ref_ids), versioned=False)
    gone(referral_status_changes, referral_status_changes.c.referral_id.in_(ref_ids))
    gone(referrals, referrals.c.id.in_(ref_ids))
    gone(risk_assessments, risk_assessments.c.subject_id.in_(mids))
    for table in (involvements, missing_episodes, victim_contacts, satisfaction_responses):
        gone(table, table.c.mention_id.in_(mids))
    pair = sa.or_(link_decisions.c.mention_id_l.in_(mids), link_decisions.c.mention_id_r.in_(mids))
    gone(link_decisions, pair, versioned=False)
    review_pair = sa.or_(
        link_reviews.c.mention_id_l.in_(mids), link_reviews.c.mention_id_r.in_(mids)
    )
    gone(link_reviews, review_pair, versioned=False)
    gone(link_unlinkable, link_unlinkable.c.mention_id.in_(mids), versioned=False)
    gone(person_links, person_links.c.person_id == person_id, versioned=False)
    found = list(
        conn.execute(
            sa.select(findings.c.id, findings.c.finding_key, findings.c.person_key).where(
                findings.c.person_id == person_id
            )
        ).tuples()
    )
    gone(work_assignments, work_assignments.c.finding_id.in_([f[0] for f in found]), False)
    gone(finding_history, finding_history.c.finding_key.in_([f[1] for f in found]), False)
    keys = {f[2] for f in found} | {f"P{person_id}"}
    # The risk model's scores of this person go; another person's score keeps its figure but
    # no longer names this person as the other party.
    gone(risk_scores, risk_scores.c.person_key.in_(keys), versioned=False)
    conn.execute(
        sa.update(risk_scores).where(risk_scores.c.other_key.in_(keys)).values(other_key=None)
    )
    for table in (findings, procedure_checks):
        gone(table, table.c.person_id == person_id, versioned=False)
    for table in (agency_shares, break_glass_grants):
        gone(table, table.c.person_id == person_id, versioned=False)
    gone(audit_person_index, audit_person_index.c.person_id == person_id, versioned=False)
    gone(person_mentions, person_mentions.c.id.in_(mids))
    # Incidents nobody else is involved in any more go too (their text is about this person).
    orphans = [
        e
        for e in event_ids
        if conn.execute(
            sa.select(involvements.c.id).where(involvements.c.event_id == e).limit(1)
        ).first()
        is None
    ]
    if orphans:
        for table in (missing_episodes, victim_contacts, satisfaction_responses, risk_assessments):
            gone(table, table.c.event_id.in_(orphans))
        gone(objects, objects.c.event_id.in_(orphans))
        gone(events, events.c.id.in_(orphans))
    for name, ids in history.items():
        if ids:
            n = _delete(
                conn,
                record_history,
                sa.and_(record_history.c.table_name == name, record_history.c.record_id.in_(ids)),
            )
            removed["record_history"] = removed.get("record_history", 0) + n
    gone(retention_holds, retention_holds.c.person_id == person_id, versioned=False)
    gone(people, people.c.id == person_id, versioned=False)
    return removed
