"""The counts behind the force's dashboard: whole-table aggregates, no person read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.people import people
from safeguard.adapters.db.tables import (
    events,
    missing_episodes,
    person_mentions,
    referrals,
    risk_assessments,
)


@dataclass(frozen=True, slots=True)
class FormGraded:
    """What a completed form needs for its final grade (the one definition is in the domain)."""

    subject_id: int | None
    instrument_id: str
    instrument_version: str | None
    answers: dict[str, Any]
    officer_grade: str | None
    reviewed_grade: str | None
    rationale: str | None
    completed_at: datetime


class ForceCounts:
    """Counts over the caller's connection (and transaction)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _count(self, q: sa.Select[tuple[int]]) -> int:
        return int(self._conn.execute(q).scalar_one())

    def people(self) -> int:
        """People known (rows of ``people``: the result of linking)."""
        return self._count(sa.select(sa.func.count()).select_from(people))

    def mentions(self) -> int:
        """Records of people (person mentions)."""
        return self._count(sa.select(sa.func.count()).select_from(person_mentions))

    def incidents_since(self, event_type: str, since: datetime) -> int:
        """Incidents of ``event_type`` that occurred at or after ``since``."""
        e = events.c
        q = sa.select(sa.func.count()).where(e.event_type == event_type, e.occurred_at >= since)
        return self._count(q)

    def referrals_since(self, referral_type: str, since: datetime) -> int:
        """Referrals of ``referral_type`` made at or after ``since``."""
        r = referrals.c
        q = sa.select(sa.func.count()).where(r.referral_type == referral_type, r.made_at >= since)
        return self._count(q)

    def open_missing_episodes(self) -> int:
        """Missing episodes with no found time yet."""
        q = sa.select(sa.func.count()).where(missing_episodes.c.found_at.is_(None))
        return self._count(q)

    def open_link_reviews(self) -> int:
        """Record links waiting for an analyst."""
        return self._count(sa.select(sa.func.count()).where(link_reviews.c.status == "open"))

    def forms_completed_since(self, since: datetime) -> list[FormGraded]:
        """Every risk assessment completed at or after ``since``, with what grades it."""
        ra = risk_assessments.c
        rows = self._conn.execute(
            sa.select(
                ra.subject_id, ra.instrument_id, ra.instrument_version, ra.answers,
                ra.officer_grade, ra.reviewed_grade, ra.rationale, ra.completed_at,
            ).where(ra.completed_at >= since)
        ).all()  # fmt: skip
        return [
            FormGraded(
                None if subject is None else int(subject),
                str(iid),
                version,
                answers if isinstance(answers, dict) else {},
                officer,
                reviewed,
                rationale,
                completed,
            )
            for subject, iid, version, answers, officer, reviewed, rationale, completed in rows
        ]
