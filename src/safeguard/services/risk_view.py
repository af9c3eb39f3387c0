"""A person's current risk, explained: the latest assessment on each instrument, re-scored.

Scoring is the rules engine's: the force's instruments (packaged and its own), the final grade of
:mod:`safeguard.domain.assessments.grading` (a review can raise the grade, nothing lowers the
instrument's) and the person's age on the day (SERAF: a child under 13 is never rated low). The
web layer never computes a grade itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.domain.access import RecordKind
from safeguard.domain.assessments import Catalogue, Instrument, ScoreResult, score
from safeguard.domain.assessments import recorded_grade as _recorded_grade
from safeguard.domain.history import AssessmentFact, PersonHistory
from safeguard.domain.projection import shown_if
from safeguard.errors import NotFound, ValidationFailed
from safeguard.rules.context import score_fact
from safeguard.services.assessment import default_assessor

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


def _catalogue() -> Catalogue:
    """The force's instruments: the packaged ones and its own (SAFEGUARD_INSTRUMENTS_DIR)."""
    return default_assessor().catalogue


def instrument(instrument_id: str, version: str) -> Instrument:
    found = _catalogue().find(instrument_id, version)
    if found is None:
        raise NotFound(f"no instrument {instrument_id}/{version}")
    return found


def instruments() -> list[Instrument]:
    return sorted(_catalogue(), key=lambda i: (i.id, i.version))


def subject_age(conn: Connection, mention_ids: list[int], on: date) -> int | None:
    """The age on ``on`` of the person these mentions make up (their linked history)."""
    found = HistoryRepository(conn).histories(mention_ids, parties=False)
    return found[0].age_at(on) if found else None


def final_grade(fact: AssessmentFact, history: PersonHistory, catalogue: Catalogue) -> str | None:
    """The assessment's final grade (see :mod:`safeguard.domain.assessments.grading`)."""
    inst = catalogue.find(fact.instrument_id, fact.instrument_version)
    if inst is None:
        return _recorded_grade(fact.officer_grade, fact.reviewed_grade)
    try:
        return _score_fact(inst, fact, history).grade
    except ValidationFailed:
        return None


def _score_fact(inst: Instrument, fact: AssessmentFact, history: PersonHistory) -> ScoreResult:
    """The engine's own scoring (:func:`safeguard.rules.context.score_fact`), with the force's
    instruments and local dates; ValidationFailed when the stored answers cannot be scored."""
    assessor = default_assessor()
    catalogue = Catalogue({inst.key: inst})
    scored = score_fact(fact, history, assessor.config, catalogue)
    if scored.result is None:
        raise ValidationFailed(scored.error or "cannot be scored")
    return scored.result


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


def current_risk(history: PersonHistory, catalogue: Catalogue | None = None) -> list[RiskSummary]:
    """The latest assessment per instrument in the person's history, scored and explained."""
    cat = catalogue or _catalogue()
    # Newest first; ties keep the stored order.
    rows = sorted(history.assessments, key=lambda a: a.completed_at, reverse=True)
    latest: dict[str, AssessmentFact] = {}
    for r in rows:
        latest.setdefault(r.instrument_id, r)
    out = []
    for r in latest.values():
        recorded = _recorded_grade(r.officer_grade, r.reviewed_grade)
        inst = cat.find(r.instrument_id, r.instrument_version)
        result: ScoreResult | None = None
        reasons: tuple[str, ...]
        if inst is None:
            reasons = (f"instrument {r.instrument_id}/{r.instrument_version} is not known here",)
        else:
            recorded = _recorded_grade(r.officer_grade, r.reviewed_grade, inst.grades)
            try:
                result = _score_fact(inst, r, history)
                reasons = result.reasons
            except ValidationFailed as exc:
                reasons = (f"stored answers cannot be scored: {exc}",)
        yes = (
            tuple(f"{q.id}: {q.text}" for q in inst.questions if _observed(r.answers.get(q.id)))
            if inst is not None
            else ()
        )
        out.append(
            RiskSummary(
                instrument_id=r.instrument_id,
                instrument_version=r.instrument_version,
                title=inst.title if inst is not None else r.instrument_id,
                completed_at=r.completed_at,
                # The engine's grade, only: an incomplete assessment has none (it is not shown
                # as the officer's grade, which could be below a floor the engine applies).
                grade=result.grade if result is not None else (recorded if inst is None else None),
                recorded_grade=recorded,
                score=result.score if result is not None else None,
                reasons=reasons,
                yes_questions=yes,
                marac_route=result.marac_route if result is not None else None,
                assessment_id=r.assessment_id,
            )
        )
    out.sort(key=lambda s: s.completed_at, reverse=True)
    return out


def _observed(value: object) -> bool:
    return isinstance(value, str) and value not in ("no", "not_known", "")
