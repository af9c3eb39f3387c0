"""Probability bands of the risk model: advisory, beside (never instead of) an instrument's
grade. Nothing here changes a grade: where history says high and the form says standard, a
finding asks a supervisor to review it (:func:`needs_grade_review`); the grade stays the
instrument's (and the reviewer's, who may only raise it: ``domain/assessments/grading.py``).
"""

from __future__ import annotations

from safeguard.domain.risk.targets import Target

LOW, MEDIUM, HIGH = "low", "medium", "high"
BAND_ORDER = {LOW: 0, MEDIUM: 1, HIGH: 2}

#: (medium from, high from) probability, per target.
CUTS: dict[Target, tuple[float, float]] = {
    Target.DA_REPEAT: (0.30, 0.55),
    Target.DA_SERIOUS_HARM: (0.05, 0.15),
    Target.MISSING_REPEAT: (0.35, 0.60),
}

_GRADE_RANK = {"standard": 0, "medium": 1, "high": 2}


def band(probability: float, target: Target) -> str:
    """The band of a calibrated probability.

    Examples:
        >>> band(0.6, Target.DA_REPEAT), band(0.31, Target.DA_REPEAT), band(0.1, Target.DA_REPEAT)
        ('high', 'medium', 'low')
    """
    medium, high = CUTS[target]
    return HIGH if probability >= high else MEDIUM if probability >= medium else LOW


def needs_grade_review(model_band: str, instrument_grade: str | None) -> bool:
    """History says high and the form says standard: a supervisor should review the grade.

    Examples:
        >>> needs_grade_review("high", "standard"), needs_grade_review("high", "medium")
        (True, False)
    """
    return model_band == HIGH and instrument_grade == "standard"
