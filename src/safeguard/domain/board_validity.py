"""Predictive validity for the board: how well the force's risk grading ranked who was harmed
again. For domestic-abuse incidents whose 12-month follow-up is complete, the AUC (the chance
that a victim who suffered another incident in the pair was graded above one who did not) of
the DASH yes-count, the officer's grade and the risk model's probability, overall and by area
and team. Groups with fewer than the disclosure threshold of either outcome are withheld.

The model's AUC is shown only on incidents after its training window (on the incidents it was
fitted on it would flatter itself).

Examples:
    >>> auc([(1, True), (0, False), (2, True), (0, False)])
    1.0
    >>> auc([(1, True), (1, False)])
    0.5
    >>> auc([(1, True)]) is None
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

GRADE_RANK = {"standard": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class ValidityItem:
    """One incident with complete follow-up: the outcome and each signal (None: not recorded)."""

    outcome: bool
    dash_count: float | None
    officer_grade: str | None
    model_probability: float | None  # None: inside the model's training window
    area: str | None
    team: str | None


@dataclass(frozen=True, slots=True)
class ValidityRow:
    group: str
    n: int | None
    repeats: int | None
    dash: float | None
    officer: float | None
    model: float | None


@dataclass(frozen=True, slots=True)
class PredictiveValidity:
    first_day: date
    last_day: date
    model_version: int | None
    overall: ValidityRow
    by_area: tuple[ValidityRow, ...]
    by_team: tuple[ValidityRow, ...]


def auc(pairs: Iterable[tuple[float, bool]]) -> float | None:
    """Mann-Whitney AUC with ties counted half; None without both outcomes."""
    items = sorted(pairs, key=lambda p: p[0])
    pos = sum(1 for _, y in items if y)
    neg = len(items) - pos
    if not pos or not neg:
        return None
    rank_sum, i = 0.0, 0
    while i < len(items):
        j = i
        while j < len(items) and items[j][0] == items[i][0]:
            j += 1
        mid = (i + j + 1) / 2  # the average 1-based rank of the tie group
        rank_sum += mid * sum(1 for k in range(i, j) if items[k][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def _row(group: str, items: Sequence[ValidityItem], threshold: int) -> ValidityRow:
    repeats = sum(1 for i in items if i.outcome)
    if repeats < threshold or len(items) - repeats < threshold:
        return ValidityRow(group, None, None, None, None, None)
    dash = [(i.dash_count, i.outcome) for i in items if i.dash_count is not None]
    officer = [
        (float(GRADE_RANK[i.officer_grade]), i.outcome)
        for i in items
        if i.officer_grade in GRADE_RANK
    ]
    model = [(i.model_probability, i.outcome) for i in items if i.model_probability is not None]
    return ValidityRow(
        group,
        len(items),
        repeats,
        auc(dash),
        auc(officer),
        auc(model) if len(model) >= 2 * threshold else None,
    )


def predictive_validity(
    items: Sequence[ValidityItem],
    first_day: date,
    last_day: date,
    *,
    threshold: int,
    model_version: int | None,
) -> PredictiveValidity:
    def by(attr: str) -> tuple[ValidityRow, ...]:
        groups: dict[str, list[ValidityItem]] = {}
        for i in items:
            groups.setdefault(getattr(i, attr) or "not recorded", []).append(i)
        return tuple(_row(g, groups[g], threshold) for g in sorted(groups))

    return PredictiveValidity(
        first_day, last_day, model_version, _row("All", items, threshold), by("area"), by("team")
    )
