"""The force's current numbers: aggregates only, small numbers suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.people import people
from safeguard.adapters.db.tables import (
    events,
    missing_episodes,
    person_mentions,
    referrals,
    risk_assessments,
)
from safeguard.domain.access import Action, Actor, ensure
from safeguard.domain.assessments import grade, recorded_grade
from safeguard.domain.history import age_from
from safeguard.errors import ValidationFailed
from safeguard.services.assessment import default_assessor

SUPPRESS_BELOW = 5


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: int | None  # None = suppressed (1 to 4)

    @property
    def shown(self) -> str:
        return "fewer than 5" if self.value is None else f"{self.value:,}"


def _fig(label: str, n: int) -> Figure:
    return Figure(label, None if 0 < n < SUPPRESS_BELOW else n)


def force_figures(conn: Connection, *, actor: Actor, now: datetime | None = None) -> list[Figure]:
    """Headline counts for the last 12 months (no person is consulted)."""
    ensure(actor, Action.VIEW_DASHBOARD)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    since = now - timedelta(days=365)

    def count(q: sa.Select[tuple[int]]) -> int:
        return int(conn.execute(q).scalar_one())

    n = sa.func.count()
    figures = [
        _fig("People known (linked)", count(sa.select(n).select_from(people))),
        _fig("Records of people", count(sa.select(n).select_from(person_mentions))),
    ]
    for etype, label in (
        ("domestic_abuse", "Domestic abuse incidents, last 12 months"),
        ("missing_person", "Missing person reports, last 12 months"),
        ("child_sexual_exploitation", "Child sexual exploitation reports, last 12 months"),
    ):
        figures.append(
            _fig(
                label,
                count(
                    sa.select(n)
                    .select_from(events)
                    .where(events.c.event_type == etype, events.c.occurred_at >= since)
                ),
            )
        )
    figures += [
        _fig("High-risk assessments, last 12 months", _high_risk_since(conn, since)),
        _fig(
            "MARAC referrals, last 12 months",
            count(
                sa.select(n)
                .select_from(referrals)
                .where(referrals.c.referral_type == "marac", referrals.c.made_at >= since)
            ),
        ),
        _fig(
            "Missing episodes still open",
            count(
                sa.select(n)
                .select_from(missing_episodes)
                .where(missing_episodes.c.found_at.is_(None))
            ),
        ),
        _fig(
            "Record links awaiting review",
            count(sa.select(n).select_from(link_reviews).where(link_reviews.c.status == "open")),
        ),
    ]
    return figures


def _high_risk_since(conn: Connection, since: datetime) -> int:
    """Assessments completed since ``since`` whose final grade is high: the one definition
    (:mod:`safeguard.domain.assessments.grading`), with the force's instruments and the
    person's age on the day."""
    ra = risk_assessments.c
    rows = conn.execute(
        sa.select(
            ra.subject_id, ra.instrument_id, ra.instrument_version, ra.answers,
            ra.officer_grade, ra.reviewed_grade, ra.rationale, ra.completed_at,
        ).where(ra.completed_at >= since)
    ).all()  # fmt: skip
    births = HistoryRepository(conn).births_of([int(r[0]) for r in rows if r[0] is not None])
    assessor = default_assessor()
    catalogue, clock = assessor.catalogue, assessor.config.local_time
    high = 0
    for subject, iid, version, answers, officer, reviewed, rationale, completed in rows:
        inst = catalogue.find(iid, version)
        if inst is None:
            final = recorded_grade(officer, reviewed)
        else:
            dob, hint = births.get(subject, (None, None))
            on = clock.local_date(completed)  # the local day the form was completed
            try:
                final = grade(
                    inst,
                    answers if isinstance(answers, dict) else {},
                    officer,
                    reviewed,
                    rationale,
                    subject_age=age_from(dob, hint, on),
                    assessed_on=on,
                ).grade
            except ValidationFailed:
                final = None
        high += final == "high"
    return high
