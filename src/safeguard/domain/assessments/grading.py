"""An assessment's final grade: the one definition the rules, the board, the dashboard, the
profile and the risk view all use.

DOMAIN.md A3: the instrument's grade is "suggested risk levels only - other factors may increase
risk level, but will not reduce it", and "professional judgement should not be used to
'downgrade' an actuarial risk assessment". So the professional judgement scored with the answers
is the higher of the officer's grade and a supervisor's or specialist's regrade (a review can
raise the grade, never lower it), and :func:`~safeguard.domain.assessments.scoring.score` never
lets a judgement lower the actuarial grade; floors (e.g. SERAF: a child under 13 is never rated
low) need the person's age on the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from safeguard.domain.assessments.model import Instrument
from safeguard.domain.assessments.scoring import ScoreResult, score


def judgement(instrument: Instrument, officer: str | None, reviewed: str | None) -> str | None:
    """The professional judgement to score with: the higher of the officer's and the reviewed
    grade, ignoring grades the instrument does not have.

    Examples:
        >>> from safeguard.instruments import default_catalogue
        >>> dash = default_catalogue().get("dash-ric", "2009")
        >>> judgement(dash, "high", "medium"), judgement(dash, "standard", "medium")
        ('high', 'medium')
    """
    known = [g for g in (officer, reviewed) if g is not None and g in instrument.grades]
    if not known:
        return None
    return max(known, key=instrument.rank)


def grade(
    instrument: Instrument,
    answers: Mapping[str, object],
    officer_grade: str | None,
    reviewed_grade: str | None,
    rationale: str | None,
    *,
    subject_age: int | None,
    assessed_on: date,
) -> ScoreResult:
    """Score a recorded assessment: its answers, the judgement (see :func:`judgement`) and the
    person's age on the day. ``result.grade`` is the final grade (None when incomplete)."""
    return score(
        instrument,
        answers,
        judgement(instrument, officer_grade, reviewed_grade),
        rationale,
        subject_age=subject_age,
        assessed_on=assessed_on,
    )


def recorded_grade(
    officer_grade: str | None, reviewed_grade: str | None, grades: tuple[str, ...] = ()
) -> str | None:
    """The final grade when the instrument is not known here (cannot be scored): the higher of
    the recorded grades by the order in ``grades`` (lowest first), else the reviewed grade.

    Examples:
        >>> recorded_grade("high", "medium", ("standard", "medium", "high"))
        'high'
    """
    known = [g for g in (officer_grade, reviewed_grade) if g is not None]
    if not known:
        return None
    ranked = [g for g in known if g in grades]
    if ranked:
        return max(ranked, key=grades.index)
    return reviewed_grade or officer_grade
