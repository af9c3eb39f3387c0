"""A person's current risk, explained: the latest assessment on each instrument, re-scored.

Scoring is the rules engine's (``safeguard.domain.assessments.score`` over the versioned
instrument files): the web layer never computes a grade itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import risk_assessments
from safeguard.domain.access import RecordKind
from safeguard.domain.assessments import Instrument, ScoreResult, score
from safeguard.domain.projection import shown_if
from safeguard.errors import NotFound, ValidationFailed
from safeguard.instruments import default_catalogue

logger = logging.getLogger(__name__)

_DOMAINS = {
    "dash-police": "domestic_abuse",
    "dash-ric": "domestic_abuse",
    "s-dash": "domestic_abuse",
    "missing-app": "missing",
    "cse-seraf": "exploitation",
}


def instrument_domain(instrument_id: str) -> str:
    return _DOMAINS.get(instrument_id, "other")


@dataclass(frozen=True, slots=True)
class RiskSummary:
    instrument_id: str
    instrument_version: str
    title: str
    completed_at: datetime
    grade: str | None
    recorded_grade: str | None
    score: int | None
    reasons: tuple[str, ...]
    # The answers themselves are the full assessment, not its summary (what a share may hold).
    yes_questions: tuple[str, ...] = field(metadata=shown_if(RecordKind.ASSESSMENTS, withheld=()))
    marac_route: str | None = None
    assessment_id: int = 0


def instrument(instrument_id: str, version: str) -> Instrument:
    found = default_catalogue().find(instrument_id, version)
    if found is None:
        raise NotFound(f"no instrument {instrument_id}/{version}")
    return found


def instruments() -> list[Instrument]:
    return sorted(default_catalogue(), key=lambda i: (i.id, i.version))


def grade_answers(
    instrument_id: str,
    version: str,
    answers: Mapping[str, object],
    officer_grade: str | None,
    rationale: str | None,
    *,
    subject_age: int | None = None,
    assessed_on: date | None = None,
) -> ScoreResult:
    """Score answers exactly as the rules engine does (used by the live DASH form and the API)."""
    return score(
        instrument(instrument_id, version),
        answers,
        officer_grade or None,
        rationale,
        subject_age=subject_age,
        assessed_on=assessed_on,
    )


def current_risk(
    conn: Connection,
    mention_ids: list[int],
    assessments: Sequence[sa.Row[tuple[object, ...]]] | None = None,
) -> list[RiskSummary]:
    """The latest assessment per instrument about these mentions, scored and explained.

    ``assessments``: the mentions' ``risk_assessments`` rows, when the caller already has them.
    """
    if assessments is None:
        assessments = conn.execute(
            sa.select(risk_assessments).where(risk_assessments.c.subject_id.in_(mention_ids))
        ).all()
    # Newest first; ties keep the database's order, as the ORDER BY this replaces did not fix.
    rows = sorted(assessments, key=lambda r: r.completed_at, reverse=True)
    latest: dict[str, sa.Row[tuple[object, ...]]] = {}
    for r in rows:
        latest.setdefault(str(r.instrument_id), r)
    out = []
    for r in latest.values():
        recorded = r.reviewed_grade or r.officer_grade
        inst = default_catalogue().find(str(r.instrument_id), str(r.instrument_version))
        result: ScoreResult | None = None
        reasons: tuple[str, ...]
        if inst is None:
            reasons = (f"instrument {r.instrument_id}/{r.instrument_version} is not known here",)
        else:
            try:
                result = score(
                    inst,
                    r.answers if isinstance(r.answers, Mapping) else {},
                    r.officer_grade if r.officer_grade in inst.grades else None,
                    r.rationale,
                    assessed_on=r.completed_at.date(),
                )
                reasons = result.reasons
            except ValidationFailed as exc:
                reasons = (f"stored answers cannot be scored: {exc}",)
        yes = (
            tuple(
                f"{q.id}: {q.text}"
                for q in inst.questions
                if isinstance(r.answers, Mapping) and _observed(r.answers.get(q.id))
            )
            if inst is not None
            else ()
        )
        out.append(
            RiskSummary(
                instrument_id=str(r.instrument_id),
                instrument_version=str(r.instrument_version),
                title=inst.title if inst is not None else str(r.instrument_id),
                completed_at=r.completed_at,
                grade=(result.grade if result is not None else None) or recorded,
                recorded_grade=recorded,
                score=result.score if result is not None else None,
                reasons=reasons,
                yes_questions=yes,
                marac_route=result.marac_route if result is not None else None,
                assessment_id=int(r.id),
            )
        )
    out.sort(key=lambda s: s.completed_at, reverse=True)
    return out


def _observed(value: object) -> bool:
    return isinstance(value, str) and value not in ("no", "not_known", "")
