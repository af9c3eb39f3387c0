"""The force's current numbers: aggregates only, small numbers suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from safeguard.adapters.db.force_counts import ForceCounts
from safeguard.adapters.db.history_repository import HistoryRepository
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

    counts = ForceCounts(conn)
    figures = [
        _fig("People known (linked)", counts.people()),
        _fig("Records of people", counts.mentions()),
    ]
    for etype, label in (
        ("domestic_abuse", "Domestic abuse incidents, last 12 months"),
        ("missing_person", "Missing person reports, last 12 months"),
        ("child_sexual_exploitation", "Child sexual exploitation reports, last 12 months"),
    ):
        figures.append(_fig(label, counts.incidents_since(etype, since)))
    figures += [
        _fig("High-risk assessments, last 12 months", _high_risk_since(conn, counts, since)),
        _fig("MARAC referrals, last 12 months", counts.referrals_since("marac", since)),
        _fig("Missing episodes still open", counts.open_missing_episodes()),
        _fig("Record links awaiting review", counts.open_link_reviews()),
    ]
    return figures


def _high_risk_since(conn: Connection, counts: ForceCounts, since: datetime) -> int:
    """Assessments completed since ``since`` whose final grade is high: the one definition
    (:mod:`safeguard.domain.assessments.grading`), with the force's instruments and the
    person's age on the day."""
    forms = counts.forms_completed_since(since)
    births = HistoryRepository(conn).births_of(
        [f.subject_id for f in forms if f.subject_id is not None]
    )
    assessor = default_assessor()
    catalogue, clock = assessor.catalogue, assessor.config.local_time
    high = 0
    for f in forms:
        version = f.instrument_version
        inst = None if version is None else catalogue.find(f.instrument_id, version)
        if inst is None:
            final = recorded_grade(f.officer_grade, f.reviewed_grade)
        else:
            born = None if f.subject_id is None else births.get(f.subject_id)
            dob, hint = born or (None, None)
            on = clock.local_date(f.completed_at)  # the local day the form was completed
            try:
                final = grade(
                    inst,
                    f.answers,
                    f.officer_grade,
                    f.reviewed_grade,
                    f.rationale,
                    subject_age=age_from(dob, hint, on),
                    assessed_on=on,
                ).grade
            except ValidationFailed:
                final = None
        high += final == "high"
    return high
