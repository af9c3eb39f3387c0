"""How a prediction explains itself: the model is additive on the log-odds scale, so each
feature's contribution is exact (they sum, with the baseline, to the prediction's log-odds),
and the history items behind the largest ones are named in plain words with their records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from safeguard.domain.risk.features import FeatureRow
from safeguard.domain.risk.wording import PLAIN_WORDS


@dataclass(frozen=True, slots=True)
class Driver:
    feature: str
    words: str
    contribution: float  # log-odds, against the average incident
    records: tuple[int, ...]  # event ids


def probability(baseline: float, contributions: Mapping[str, float]) -> float:
    """The probability the contributions add up to (before calibration)."""
    z = baseline + sum(contributions.values())
    return 1.0 / (1.0 + math.exp(-z))


def drivers(
    row: FeatureRow, contributions: Mapping[str, float], *, top: int = 4, floor: float = 0.05
) -> list[Driver]:
    """The features that raised the probability most (at least ``floor`` log-odds), largest
    first, each in plain words with the records behind it."""
    ranked = sorted(((f, c) for f, c in contributions.items() if c >= floor), key=lambda fc: -fc[1])
    return [
        Driver(f, PLAIN_WORDS.get(f, f), round(c, 4), tuple(row.evidence.get(f, ())))
        for f, c in ranked[:top]
    ]
