"""MoPI review, retention and disposal: the review worklist, review decisions (retain with a
rationale and a next review date, or dispose), legal holds, and disposal of a person's
personal data from every table. Every step is audited; the audit log keeps the fact of a
disposal (ids, group, rationale) but none of the data disposed of.

About 470 lines: review, legal hold and disposal share the list of tables a disposal clears and
its audit rules. Review is the part to move out if a second retention policy is added.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from safeguard.adapters.db.accounts import agency_shares, break_glass_grants
from safeguard.adapters.db.assignments import work_assignments
from safeguard.adapters.db.audit import audit_person_index
from safeguard.adapters.db.findings import finding_history, findings, procedure_checks
from safeguard.adapters.db.linkage import link_decisions, link_reviews, link_unlinkable
from safeguard.adapters.db.mash import mash_decisions, mash_requests
from safeguard.adapters.db.people import people, person_links
from safeguard.adapters.db.retention import retention_holds, retention_reviews
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
from safeguard.domain.access import Action, Actor, ensure
from safeguard.domain.audit import AuditCategory
from safeguard.domain.offences import default_classification
from safeguard.domain.retention import (
    Decision,
    RecordFacts,
    RetentionPolicy,
    ReviewDue,
    check_decision,
    parse_policy,
    review_due,
    worklist,
)
from safeguard.errors import NotFound, ValidationFailed
from safeguard.services.access import person_resource
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


def load_policy(path: Path | None = None) -> RetentionPolicy:
    """The package defaults (``retention.yaml``), overlaid by the force's file if given.

    Raises:
        ValidationFailed: naming the file and the field.
    """
    text = resources.files("safeguard").joinpath("retention.yaml").read_text(encoding="utf-8")
    base = yaml.safe_load(text)
    if path is None:
        return parse_policy(base, "retention.yaml (package defaults)")
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such retention settings file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path}: not YAML ({exc.__class__.__name__})") from None
    return parse_policy(raw, str(path), base)


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def record_facts(conn: Connection, person_ids: list[int] | None = None) -> list[RecordFacts]:
    """Dates and suspected offence groups of every person (or of ``person_ids``)."""
    classes = default_classification()
    where = [] if person_ids is None else [person_links.c.person_id.in_(person_ids)]
    latest: dict[int, date] = {}
    first: dict[int, date] = {}
    dob: dict[int, date] = {}
    groups: dict[int, set[str]] = defaultdict(set)

    def seen(pid: int, d: date | None) -> None:
        if d is None:
            return
        latest[pid] = max(latest.get(pid, d), d)
        first[pid] = min(first.get(pid, d), d)

    rows = conn.execute(
        sa.select(
            person_links.c.person_id,
            person_mentions.c.mention_date,
            person_mentions.c.recorded_at,
            person_mentions.c.date_of_birth,
        )
        .join(person_mentions, person_mentions.c.id == person_links.c.mention_id)
        .where(*where)
    ).all()
    for pid, mention_date, recorded, birth in rows:
        seen(pid, _day(mention_date) or _day(recorded))
        if birth is not None:
            dob.setdefault(pid, birth)
    for pid, occurred, role, code in conn.execute(
        sa.select(
            person_links.c.person_id,
            events.c.occurred_at,
            involvements.c.role,
            events.c.offence_code,
        )
        .join(involvements, involvements.c.mention_id == person_links.c.mention_id)
        .join(events, events.c.id == involvements.c.event_id)
        .where(*where)
    ).all():
        seen(pid, _day(occurred))
        if role == "suspect" and code:
            groups[pid].add(str(classes.group(str(code))))
    reviews: dict[int, tuple[date, date | None]] = {}
    for pid, decided, next_on in conn.execute(
        sa.select(
            retention_reviews.c.person_id,
            retention_reviews.c.decided_at,
            retention_reviews.c.next_review_on,
        ).order_by(retention_reviews.c.id)
    ).all():
        reviews[pid] = (decided.date(), next_on)
    ids = sorted(set(latest) | set(dob)) if person_ids is None else person_ids
    return [
        RecordFacts(
            person_id=pid,
            latest_record=latest.get(pid),
            first_record=first.get(pid),
            suspected_offence_groups=frozenset(groups.get(pid, ())),
            date_of_birth=dob.get(pid),
            last_review=reviews[pid][0] if pid in reviews else None,
            next_review_set=reviews[pid][1] if pid in reviews else None,
        )
        for pid in ids
    ]


@dataclass(frozen=True, slots=True)
class WorklistItem:
    due: ReviewDue
    restricted: bool
    hold_reason: str | None


def review_worklist(
    uow: UnitOfWork,
    *,
    policy: RetentionPolicy,
    today: date,
    horizon_days: int = 0,
    limit: int = 500,
) -> list[WorklistItem]:
    """People whose records are due for review by ``today`` (+ horizon), most overdue first.
    Ids, groups and dates only (no names): the list itself is audited as a consultation."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.MANAGE_RETENTION)
    dues = worklist(
        (review_due(f, policy) for f in record_facts(conn)), today, horizon_days=horizon_days
    )[:limit]
    ids = [d.person_id for d in dues]
    restricted = set(
        conn.execute(sa.select(people.c.id).where(people.c.id.in_(ids), people.c.restricted))
        .scalars()
        .all()
    )
    holds: dict[int, str] = {
        int(pid): str(reason)
        for pid, reason in conn.execute(
            sa.select(retention_holds.c.person_id, retention_holds.c.reason).where(
                retention_holds.c.person_id.in_(ids)
            )
        ).all()
    }
    uow.audit(
        "retention.worklist",
        AuditCategory.CONSULTATION,
        "person",
        record_ids=ids,
        person_ids=ids,
        justification="MoPI review of records due for review",
        detail={"today": today.isoformat(), "horizon_days": horizon_days},
    )
    return [WorklistItem(d, d.person_id in restricted, holds.get(d.person_id)) for d in dues]


def _reachable(conn: Connection, actor: Actor, person_id: int) -> None:
    if conn.execute(sa.select(people.c.id).where(people.c.id == person_id)).first() is None:
        raise NotFound(f"person_id: no person {person_id}")
    ensure(actor, Action.MANAGE_RETENTION, person_resource(conn, actor, person_id))


def decide(
    uow: UnitOfWork,
    *,
    person_id: int,
    decision: Decision,
    rationale: str,
    policy: RetentionPolicy,
    today: date,
    next_review: date | None = None,
) -> int:
    """Record a review decision (retain, or dispose, which then disposes of the records).

    Raises:
        NotFound: no such person.
        BreakGlassRequired: the person is restricted and no break-glass reason is recorded.
        ValidationFailed: no rationale, no next review for a retain, a legal hold or the
            minimum period for a disposal.
    """
    conn, actor = uow.conn, uow.user
    _reachable(conn, actor, person_id)
    [facts] = record_facts(conn, [person_id])
    due = review_due(facts, policy)
    hold = conn.execute(
        sa.select(retention_holds.c.person_id).where(retention_holds.c.person_id == person_id)
    ).first()
    try:
        check_decision(
            decision,
            due=due,
            today=today,
            rationale=rationale,
            next_review=next_review,
            on_hold=hold is not None,
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    now = datetime.now(UTC)
    review_id = int(
        conn.execute(
            sa.insert(retention_reviews)
            .values(
                person_id=person_id,
                decided_at=now,
                decided_by=actor.audit_name,
                decision=str(decision),
                retention_group=due.group,
                rationale=rationale.strip(),
                next_review_on=next_review if decision is Decision.RETAIN else None,
            )
            .returning(retention_reviews.c.id)
        ).scalar_one()
    )
    removed = dispose_of(conn, person_id) if decision is Decision.DISPOSE else {}
    uow.audit(
        f"retention.{decision}",
        AuditCategory.ERASURE if decision is Decision.DISPOSE else AuditCategory.ALTERATION,
        "person",
        record_ids=[person_id],
        # Not in person_ids: a disposed person's audit-index entries are removed too, and
        # the entry recording the disposal must not re-create one.
        person_ids=[] if decision is Decision.DISPOSE else [person_id],
        justification=rationale.strip(),
        detail={
            "review_id": review_id,
            "group": due.group,
            "next_review": next_review.isoformat() if next_review else None,
            "rows_removed": removed,
        },
    )
    logger.info("retention decision %s for person %d (review %d)", decision, person_id, review_id)
    return review_id


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


def place_hold(uow: UnitOfWork, *, person_id: int, reason: str) -> None:
    """Put a legal hold on a person's records (no disposal while it stands); audited."""
    conn, actor = uow.conn, uow.user
    _reachable(conn, actor, person_id)
    if len(reason.strip()) < 10:
        raise ValidationFailed("reason: say why, in at least 10 characters")
    conn.execute(sa.delete(retention_holds).where(retention_holds.c.person_id == person_id))
    conn.execute(
        sa.insert(retention_holds).values(
            person_id=person_id,
            reason=reason.strip(),
            placed_by=actor.audit_name,
            placed_at=datetime.now(UTC),
        )
    )
    _audit_hold(uow, person_id, "retention.hold", reason)


def lift_hold(uow: UnitOfWork, *, person_id: int, reason: str) -> None:
    """Lift a legal hold; audited with why."""
    conn, actor = uow.conn, uow.user
    _reachable(conn, actor, person_id)
    if not _delete(conn, retention_holds, retention_holds.c.person_id == person_id):
        raise NotFound(f"person_id: no legal hold on person {person_id}")
    _audit_hold(uow, person_id, "retention.hold_lifted", reason)


def _audit_hold(uow: UnitOfWork, person_id: int, action: str, why: str) -> None:
    uow.audit(
        action,
        AuditCategory.ALTERATION,
        "person",
        record_ids=[person_id],
        person_ids=[person_id],
        justification=why.strip() or None,
    )
