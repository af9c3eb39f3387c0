"""Scoring an answered instrument: the same answers always give the same grade, with reasons.

Rules (DOMAIN.md A3, C2, B2):

* unanswered questions make the assessment ``incomplete``: no grade is given, never a silent one;
* an answer of the wrong type, an unknown question or an observation dated after the assessment
  is refused with :class:`~safeguard.errors.ValidationFailed` naming the question;
* professional judgement (the officer's grade) may raise the actuarial grade, and must then carry
  a rationale (a missing one is flagged in ``rationale_missing``; the grade stands); nothing ever
  lowers the actuarial grade;
* floors (e.g. "a child under 13 is never rated low") raise the grade to their minimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from safeguard.domain.assessments.model import YES_NO_VALUES, Instrument
from safeguard.domain.working_time import add_months
from safeguard.errors import ValidationFailed

State = Literal["complete", "incomplete"]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The outcome of scoring one assessment.

    ``grade`` is ``None`` exactly when ``state`` is ``incomplete``; ``missing`` then lists what is
    lacking (question ids, ``officer_grade`` or ``rationale``).
    """

    instrument_id: str
    instrument_version: str
    state: State
    score: int | None
    yes_count: int
    actuarial_grade: str | None
    officer_grade: str | None
    grade: str | None
    raised_by_judgement: bool
    reasons: tuple[str, ...]
    missing: tuple[str, ...]
    marac_route: str | None
    yes_tags: frozenset[str]
    rationale_missing: bool = False
    """A rationale was required (a raised grade, or an instrument needing one for every grade)
    and none was recorded. The grade stands (issue 15 item 7): the rules raise a finding asking
    for the rationale instead of leaving the assessment ungraded."""

    @property
    def marac_referral_implied(self) -> bool:
        """True when the result alone makes a MARAC referral due (high risk or judgement)."""
        return self.marac_route is not None


def _observed_on(value: str, question: str, assessed_on: date | None) -> date | None:
    """The date an observation answer refers to; ``None`` for "no"."""
    if value == "no":
        return None
    if value == "yes":
        if assessed_on is None:
            raise ValidationFailed(
                f"answer {question!r}: 'yes' needs the assessment date to place it in a window"
            )
        return assessed_on
    try:
        observed = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"answer {question!r}: expected 'no', 'yes' or a date YYYY-MM-DD, got {value!r}"
        ) from None
    if assessed_on is not None and observed > assessed_on:
        raise ValidationFailed(
            f"answer {question!r}: observed on {observed} is after the assessment on "
            f"{assessed_on} (dates out of order)"
        )
    return observed


def _points(
    instrument: Instrument, section: str | None, observed: date, assessed_on: date | None
) -> int:
    rules = dict(instrument.section_points).get(section or "", ())
    for rule in rules:
        if rule.within_months is None:
            return rule.points
        if assessed_on is None:
            raise ValidationFailed(f"{instrument.id}: windowed indicators need the assessment date")
        if observed >= add_months(assessed_on, -rule.within_months):
            return rule.points
    return 0


def score(
    instrument: Instrument,
    answers: Mapping[str, object],
    officer_grade: str | None = None,
    rationale: str | None = None,
    *,
    subject_age: int | None = None,
    assessed_on: date | None = None,
) -> ScoreResult:
    """Score ``answers`` against ``instrument``.

    Args:
        instrument: the instrument version the answers were given on.
        answers: question id to answer ("yes" | "no" | "not_known"; observations also an ISO date).
        officer_grade: the grade the officer gave (professional judgement), if any.
        rationale: the officer's reasons; required when judgement raises the grade.
        subject_age: age of the person assessed on the assessment day (for age floors).
        assessed_on: the assessment date (for 6- and 12-month windows).

    Returns:
        A :class:`ScoreResult`; ``incomplete`` with ``grade=None`` when anything is missing.

    Examples:
        >>> from safeguard.instruments import default_catalogue
        >>> dash = default_catalogue().get("dash-ric", "2009")
        >>> answers = {f"q{i}": "yes" if i <= 14 else "no" for i in range(1, 25)}
        >>> score(dash, answers).grade
        'high'
    """
    where = f"{instrument.id}/{instrument.version}"
    if not isinstance(answers, Mapping):
        raise ValidationFailed(f"{where}: answers must be an object of question id to answer")
    known = {q.id for q in instrument.questions}
    unknown = sorted(str(k) for k in answers if k not in known)
    if unknown:
        raise ValidationFailed(f"{where}: unknown question(s) {', '.join(unknown)}")
    if officer_grade is not None and officer_grade not in instrument.grades:
        raise ValidationFailed(
            f"{where}: officer_grade {officer_grade!r} is not one of {', '.join(instrument.grades)}"
        )

    missing: list[str] = []
    reasons: list[str] = []
    yes_count, points = 0, 0
    yes_tags: set[str] = set()
    yes_ids: set[str] = set()
    for q in instrument.questions:
        value = answers.get(q.id)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            missing.append(q.id)
            continue
        if not isinstance(value, str):
            raise ValidationFailed(
                f"{where}: answer {q.id!r} must be text, got {type(value).__name__} {value!r}"
            )
        if q.answer_type == "yes_no":
            if value not in YES_NO_VALUES:
                raise ValidationFailed(
                    f"{where}: answer {q.id!r} must be yes, no or not_known, got {value!r}"
                )
            if value == "yes":
                yes_count += 1
                yes_ids.add(q.id)
                yes_tags.update(q.tags)
        else:
            observed = _observed_on(value, f"{where} {q.id}", assessed_on)
            if observed is not None:
                yes_count += 1
                yes_ids.add(q.id)
                yes_tags.update(q.tags)
                gained = _points(instrument, q.section, observed, assessed_on)
                points += gained
                if instrument.method == "points" and gained == 0:
                    reasons.append(f"{q.id} observed {observed} is outside its window: 0 points")

    officer_needed = instrument.method == "judgement" and officer_grade is None
    if officer_needed:
        missing.append("officer_grade")

    actuarial: str | None
    if instrument.method == "yes_count":
        the_score: int | None = yes_count
        actuarial = instrument.band_for(yes_count)
        reasons.append(f"{yes_count} 'yes' answers: {actuarial} (bands {_bands(instrument)})")
    elif instrument.method == "points":
        the_score = points
        actuarial = instrument.band_for(points)
        reasons.append(f"{points} points: {actuarial} (bands {_bands(instrument)})")
    else:
        the_score = None
        actuarial = None

    grade = actuarial
    raised = False
    if officer_grade is not None:
        if grade is None:
            grade = officer_grade
            reasons.append(f"officer graded {officer_grade}")
        elif instrument.rank(officer_grade) > instrument.rank(grade):
            if instrument.judgement_may_raise:
                raised = True
                reasons.append(f"professional judgement raised {grade} to {officer_grade}")
                grade = officer_grade
        elif instrument.rank(officer_grade) < instrument.rank(grade):
            reasons.append(
                f"officer grade {officer_grade} is below the actuarial {grade}; "
                "judgement never lowers the actuarial grade"
            )
    needs_rationale = instrument.rationale_required == "always" or raised
    rationale_missing = needs_rationale and not (rationale or "").strip()
    if rationale_missing:
        reasons.append(
            "a rationale is required "
            + ("for every grade" if not raised else "to raise a grade")
            + "; none is recorded (the grade stands; a finding asks for it)"
        )

    if grade is not None:
        for floor in instrument.floors:
            applies = (
                floor.subject_age_under is not None
                and subject_age is not None
                and subject_age < floor.subject_age_under
            ) or (floor.answer_yes is not None and floor.answer_yes in yes_ids)
            if applies and instrument.rank(grade) < instrument.rank(floor.minimum):
                reasons.append(f"raised {grade} to {floor.minimum}: {floor.reason}")
                grade = floor.minimum

    unanswered = [m for m in missing if m in known]
    if unanswered:
        reasons.append(f"{len(unanswered)} question(s) unanswered: {', '.join(unanswered)}")
    complete = not missing
    route: str | None = None
    if complete and instrument.marac_threshold_grade is not None and grade is not None:
        threshold = instrument.rank(instrument.marac_threshold_grade)
        if actuarial is not None and instrument.rank(actuarial) >= threshold:
            route = "visible_high_risk"
        elif instrument.rank(grade) >= threshold:
            route = "professional_judgement"
    return ScoreResult(
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        state="complete" if complete else "incomplete",
        score=the_score if complete else None,
        yes_count=yes_count,
        actuarial_grade=actuarial if complete else None,
        officer_grade=officer_grade,
        grade=grade if complete else None,
        raised_by_judgement=raised,
        reasons=tuple(reasons),
        missing=tuple(missing),
        marac_route=route,
        yes_tags=frozenset(yes_tags),
        rationale_missing=rationale_missing,
    )


def _bands(instrument: Instrument) -> str:
    parts = []
    for n, band in enumerate(instrument.bands):
        nxt = instrument.bands[n + 1].minimum - 1 if n + 1 < len(instrument.bands) else None
        span = f"{band.minimum}+" if nxt is None else f"{band.minimum}-{nxt}"
        parts.append(f"{span} {band.grade}")
    return ", ".join(parts)
