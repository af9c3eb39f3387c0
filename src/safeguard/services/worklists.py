"""Worklists that say what to do next, built from the stored records.

Each list is a query over the records (and the linking output); the people shown on a worklist
are consulted, so showing a list is audited with the list as its justification.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.audit import append_audit
from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import (
    missing_episodes,
    person_mentions,
    referrals,
    risk_assessments,
)
from safeguard.domain.access import Action, Actor, can, ensure
from safeguard.domain.audit import AuditCategory, AuditEntry
from safeguard.errors import NotFound

RHI_HOURS = 72
DASH = ("dash-police", "dash-ric")


@dataclass(frozen=True, slots=True)
class Worklist:
    code: str
    title: str
    what_to_do: str


WORKLISTS: tuple[Worklist, ...] = (
    Worklist("new-high-risk", "New high risk", "Review the safety plan and MARAC referral."),
    Worklist("marac-due", "MARAC referral due", "Refer to MARAC: high risk with no referral."),
    Worklist("repeat-missing", "Repeat-missing children", "Plan with partners; consider CSE."),
    Worklist("cse-screening-due", "CSE screening due", "Complete a CSE screening (SERAF)."),
    Worklist("overdue-procedures", "Overdue procedures", "Return-home interview overdue (72 h)."),
    Worklist("uncertain-links", "Uncertain links", "Confirm or split the record link."),
)
BY_CODE = {w.code: w for w in WORKLISTS}


@dataclass(frozen=True, slots=True)
class WorkItem:
    person_id: int
    name: str
    at: datetime
    detail: str
    record_id: int


_key = sa.func.coalesce(person_links.c.person_id, -person_mentions.c.id)
_name = (
    sa.func.coalesce(person_mentions.c.forenames, "")
    + " "
    + sa.func.coalesce(person_mentions.c.surname, "")
)


def _grade() -> sa.ColumnElement[str]:
    return sa.func.coalesce(risk_assessments.c.reviewed_grade, risk_assessments.c.officer_grade)


def _rows(conn: Connection, code: str, now: datetime, limit: int) -> list[WorkItem]:
    subject = person_mentions.c.id == risk_assessments.c.subject_id
    if code in ("new-high-risk", "marac-due"):
        since = now - timedelta(days=14 if code == "new-high-risk" else 90)
        q = (
            sa.select(
                _key,
                _name,
                risk_assessments.c.completed_at,
                risk_assessments.c.id,
                risk_assessments.c.instrument_id,
            )
            .select_from(risk_assessments)
            .join(person_mentions, subject)
            .outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
            .where(_grade() == "high", risk_assessments.c.completed_at >= since)
            .where(risk_assessments.c.instrument_id.in_(DASH))
        )
        if code == "marac-due":
            referred = (
                sa.select(referrals.c.id)
                .where(referrals.c.subject_id == risk_assessments.c.subject_id)
                .where(referrals.c.referral_type == "marac")
                .where(referrals.c.made_at >= risk_assessments.c.completed_at)
            )
            q = q.where(~sa.exists(referred))
        q = q.order_by(risk_assessments.c.completed_at.desc()).limit(limit)
        return [
            WorkItem(int(r[0]), r[1].strip(), r[2], f"{r[4]} graded high", int(r[3]))
            for r in conn.execute(q).all()
        ]
    if code == "repeat-missing":
        since = now - timedelta(days=365)
        q = (
            sa.select(
                _key,
                sa.func.max(_name),
                sa.func.max(missing_episodes.c.reported_missing_at),
                sa.func.count(),
                sa.func.max(missing_episodes.c.id),
            )
            .select_from(missing_episodes)
            .join(person_mentions, person_mentions.c.id == missing_episodes.c.mention_id)
            .outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
            .where(missing_episodes.c.reported_missing_at >= since)
            .group_by(_key)
            .having(sa.func.count() >= 3)
            .order_by(sa.func.count().desc())
            .limit(limit)
        )
        return [
            WorkItem(int(r[0]), r[1].strip(), r[2], f"{r[3]} episodes in 12 months", int(r[4]))
            for r in conn.execute(q).all()
        ]
    if code == "cse-screening-due":
        screened = (
            sa.select(risk_assessments.c.id)
            .where(risk_assessments.c.subject_id == missing_episodes.c.mention_id)
            .where(risk_assessments.c.instrument_id == "cse-seraf")
            .where(risk_assessments.c.completed_at >= missing_episodes.c.reported_missing_at)
        )
        base: sa.ColumnElement[bool] = missing_episodes.c.exploitation_flag.is_(True)
        detail = "exploitation concern on a missing episode, no screening since"
    elif code == "overdue-procedures":
        screened = None
        base = sa.and_(
            missing_episodes.c.found_at.is_not(None),
            missing_episodes.c.found_at < now - timedelta(hours=RHI_HOURS),
            missing_episodes.c.found_at >= now - timedelta(days=90),
            missing_episodes.c.rhi_completed_at.is_(None),
            sa.func.coalesce(missing_episodes.c.rhi_declined, False).is_(False),
        )
        detail = "return-home interview not done within 72 hours of being found"
    elif code == "uncertain-links":
        q = (
            sa.select(
                person_links.c.person_id,
                _name,
                link_reviews.c.created_at,
                link_reviews.c.match_probability,
                link_reviews.c.id,
            )
            .select_from(link_reviews)
            .join(person_mentions, person_mentions.c.id == link_reviews.c.mention_id_l)
            .outerjoin(person_links, person_links.c.mention_id == link_reviews.c.mention_id_l)
            .where(link_reviews.c.status == "open")
            .order_by(link_reviews.c.priority.desc(), link_reviews.c.id)
            .limit(limit)
        )
        return [
            WorkItem(int(r[0] or 0), r[1].strip(), r[2], f"match probability {r[3]:.2f}", int(r[4]))
            for r in conn.execute(q).all()
        ]
    else:
        raise NotFound(f"no worklist {code!r}")
    q = (
        sa.select(_key, _name, missing_episodes.c.reported_missing_at, missing_episodes.c.id)
        .select_from(missing_episodes)
        .join(person_mentions, person_mentions.c.id == missing_episodes.c.mention_id)
        .outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
        .where(base)
        .where(missing_episodes.c.reported_missing_at >= now - timedelta(days=180))
    )
    if screened is not None:
        q = q.where(~sa.exists(screened))
    q = q.order_by(missing_episodes.c.reported_missing_at.desc()).limit(limit)
    return [WorkItem(int(r[0]), r[1].strip(), r[2], detail, int(r[3])) for r in conn.execute(q)]


def worklist(
    conn: Connection, *, actor: Actor, code: str, now: datetime | None = None, limit: int = 50
) -> tuple[Worklist, list[WorkItem]]:
    """One worklist's items; the people shown are audited as consulted for that worklist."""
    ensure(actor, Action.VIEW_WORKLISTS)
    if code not in BY_CODE:
        raise NotFound(f"no worklist {code!r}")
    if code == "uncertain-links":
        ensure(actor, Action.REVIEW_LINKS)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    items = _rows(conn, code, now, limit)
    person_ids = list(dict.fromkeys(i.person_id for i in items))
    if person_ids:
        append_audit(
            conn,
            AuditEntry(
                actor=actor.audit_name,
                actor_role=str(actor.role),
                action="worklist.view",
                category=AuditCategory.CONSULTATION,
                record_type="person",
                record_ids=[str(p) for p in person_ids],
                person_ids=person_ids,
                justification=f"Worklist: {BY_CODE[code].title}",
                detail={"worklist": code},
            ),
        )
    return BY_CODE[code], items


def worklist_counts(
    conn: Connection, *, actor: Actor, now: datetime | None = None
) -> list[tuple[Worklist, int]]:
    """How many items each worklist has (counts only: nobody is consulted)."""
    ensure(actor, Action.VIEW_WORKLISTS)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    out = []
    for w in WORKLISTS:
        if w.code == "uncertain-links" and not can(actor, Action.REVIEW_LINKS):
            continue
        out.append((w, len(_rows(conn, w.code, now, 500))))
    return out
