"""MoPI review, retention and disposal: the review worklist, review decisions (retain with a
rationale and a next review date, or dispose), legal holds, and disposal of a person's
personal data from every table. Every step is audited; the audit log keeps the fact of a
disposal (ids, group, rationale) but none of the data disposed of. The removal itself, and
the list of tables it clears, are ``safeguard.adapters.db.disposal``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy.engine import Connection

from safeguard.adapters.db import retention as store
from safeguard.adapters.db.disposal import dispose_of
from safeguard.adapters.db.people import person_exists, restricted_among
from safeguard.domain.access import Action, Actor, ensure, recorded_as
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
    latest: dict[int, date] = {}
    first: dict[int, date] = {}
    dob: dict[int, date] = {}
    groups: dict[int, set[str]] = defaultdict(set)

    def seen(pid: int, d: date | None) -> None:
        if d is None:
            return
        latest[pid] = max(latest.get(pid, d), d)
        first[pid] = min(first.get(pid, d), d)

    for m in store.mention_dates(conn, person_ids):
        seen(m.person_id, _day(m.mention_date) or _day(m.recorded_at))
        if m.date_of_birth is not None:
            dob.setdefault(m.person_id, m.date_of_birth)
    for i in store.involvement_dates(conn, person_ids):
        seen(i.person_id, _day(i.occurred_at))
        if i.role == "suspect" and i.offence_code:
            groups[i.person_id].add(str(classes.group(i.offence_code)))
    reviews = store.latest_reviews(conn)
    ids = sorted(set(latest) | set(dob)) if person_ids is None else person_ids
    return [
        RecordFacts(
            person_id=pid,
            latest_record=latest.get(pid),
            first_record=first.get(pid),
            suspected_offence_groups=frozenset(groups.get(pid, ())),
            date_of_birth=dob.get(pid),
            last_review=reviews[pid].decided_on if pid in reviews else None,
            next_review_set=reviews[pid].next_review_on if pid in reviews else None,
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
    restricted = restricted_among(conn, ids)
    holds = store.hold_reasons(conn, ids)
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
    if not person_exists(conn, person_id):
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
    try:
        check_decision(
            decision,
            due=due,
            today=today,
            rationale=rationale,
            next_review=next_review,
            on_hold=bool(store.hold_reasons(conn, [person_id])),
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    now = datetime.now(UTC)
    review_id = store.insert_review(
        conn,
        person_id=person_id,
        decided_at=now,
        decided_by=recorded_as(actor),
        decision=str(decision),
        retention_group=due.group,
        rationale=rationale.strip(),
        next_review_on=next_review if decision is Decision.RETAIN else None,
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


def place_hold(uow: UnitOfWork, *, person_id: int, reason: str) -> None:
    """Put a legal hold on a person's records (no disposal while it stands); audited."""
    conn, actor = uow.conn, uow.user
    _reachable(conn, actor, person_id)
    if len(reason.strip()) < 10:
        raise ValidationFailed("reason: say why, in at least 10 characters")
    store.put_hold(
        conn, person_id, reason=reason.strip(), placed_by=recorded_as(actor), at=datetime.now(UTC)
    )
    _audit_hold(uow, person_id, "retention.hold", reason)


def lift_hold(uow: UnitOfWork, *, person_id: int, reason: str) -> None:
    """Lift a legal hold; audited with why."""
    conn, actor = uow.conn, uow.user
    _reachable(conn, actor, person_id)
    if not store.remove_hold(conn, person_id):
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
