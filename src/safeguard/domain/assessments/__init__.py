"""Risk instruments as data (DASH, S-DASH, missing-person risk, CSE screening) and their scoring.

Pure: definitions are parsed from mappings (files are read by :mod:`safeguard.instruments`).
"""

from safeguard.domain.assessments.grading import grade, judgement, recorded_grade
from safeguard.domain.assessments.model import (
    Band,
    Catalogue,
    Floor,
    Instrument,
    PointsRule,
    Question,
    parse_instrument,
)
from safeguard.domain.assessments.scoring import ScoreResult, score

__all__ = [
    "Band",
    "Catalogue",
    "Floor",
    "Instrument",
    "PointsRule",
    "Question",
    "ScoreResult",
    "grade",
    "judgement",
    "recorded_grade",
    "parse_instrument",
    "score",
]
