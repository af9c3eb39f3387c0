"""The activation gate: a model goes live only if it clearly beats the DASH count on the same
test incidents, is calibrated, and ranks every group about as well as its own probabilities
say it should.

The group test (one :class:`GroupTest` per group of victim sex or ethnicity with enough of
both outcomes; the figures are computed with the card, ``services.risk_model_card.fairness``)
compares the group with the rest of its own attribute, never a sex with an ethnicity. Its
``gap`` is the rest's AUC minus the group's; ``reference_gap`` is the gap the model's own
probabilities imply (the AUCs expected if outcomes were drawn from them: a group whose risk is
less spread ranks worse under any model, the truth's own included); ``excess`` is the gap beyond
that reference, with a bootstrap standard error (people resampled with all their rows: one
person's incidents are not independent outcomes). The gate refuses when the excess is over the
limit **and** its lower confidence bound (family-wise over the groups tested) is over zero: a
real gap refuses, a gap that a tiny group's noise or its case mix explains does not.

Calibration is judged against its own sampling noise in the same way. The ECE of a finite test
year is biased upwards: a model whose probabilities were the truth still scores an ECE from the
outcomes' noise alone (on 1,035 missing episodes the simulator's true probability scores 0.034).
``ece_floor`` is that noise, truth-free: the ECE of outcomes redrawn from the model's own
probabilities on the test rows (mean and 95th percentile). The gate refuses an ECE over the
limit unless the noise explains it: it refuses when the ECE is over the limit **and** either
over the floor's 95th percentile (a calibrated model would score that little on these rows 95
times in 100, so this much is miscalibration) or over the limit even after the floor's mean is
taken off (an error too large to be noise, however small the year). A card without a floor is
gated on the raw ECE, as before.

Examples:
    >>> m = Measures(auc=0.80, dash_auc=0.56, ece=0.01, group_aucs={"sex=F": 0.80, "sex=M": 0.79})
    >>> refusals(m)
    []
    >>> refusals(Measures(auc=0.58, dash_auc=0.56, ece=0.04, group_aucs={}))[0]
    'AUC 0.580 does not beat the DASH count (0.560) by the margin of 0.050'
    >>> refusals(Measures(0.8, 0.56, 0.039, ece_floor=(0.031, 0.046)))
    []
    >>> refusals(Measures(0.8, 0.56, 0.05, ece_floor=(0.031, 0.046)))[0][:43]
    'miscalibrated: ECE 0.050 is over 0.030 and '
    >>> real = GroupTest("victim sex", "M", 900, 300, 0.70, 0.80, 0.10, 0.01, 0.09, 0.03,
    ...                  (0.04, 0.15), 2)
    >>> refusals(Measures(0.8, 0.56, 0.01, group_tests=(real,)))[0][:58]
    'victim sex=M is ranked worse than the rest of victim sex: '
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Thresholds:
    margin_over_dash: float = 0.05
    max_ece: float = 0.03
    max_group_gap: float = 0.05


@dataclass(frozen=True, slots=True)
class GroupTest:
    """One group against the rest of its attribute, on the validation and test years."""

    attribute: str
    group: str
    n: int
    positives: int
    auc: float
    rest_auc: float
    gap: float  # rest_auc - auc: over zero when the group is ranked worse
    reference_gap: float  # the same gap of the AUCs the model's own probabilities imply
    excess: float  # gap - reference_gap
    lower: float  # lower confidence bound of ``excess``, family-wise over ``tested`` groups
    ci95: tuple[float, float]  # percentile bootstrap interval of ``excess``
    tested: int  # groups tested together (the bound's family)


@dataclass(frozen=True, slots=True)
class Measures:
    """A model's figures on the test year. ``dash_auc`` is None where there is no instrument
    to compare with (a missing child: the missing-person risk grade is used instead).
    ``group_tests`` are the group tests of a card; ``group_aucs`` the raw group AUCs of a card
    written before them (gated on the raw largest gap, as then)."""

    auc: float
    dash_auc: float | None
    ece: float
    group_aucs: Mapping[str, float] = field(default_factory=dict)
    group_tests: Sequence[GroupTest] = ()
    ece_floor: tuple[float, float] | None = None  # (mean, p95) of a calibrated model's ECE

    @property
    def group_gap(self) -> float:
        return (
            max(self.group_aucs.values()) - min(self.group_aucs.values())
            if self.group_aucs
            else 0.0
        )


def group_refusal(t: GroupTest, limit: float) -> str | None:
    """Why this group stops the model, or None: the gap beyond the model's own reference is
    over ``limit`` and its lower bound is over zero."""
    if not (t.excess > limit and t.lower > 0):
        return None
    return (
        f"{t.attribute}={t.group} is ranked worse than the rest of {t.attribute}: AUC "
        f"{t.auc:.3f} against {t.rest_auc:.3f} (gap {t.gap:.3f}; the model's own probabilities "
        f"imply {t.reference_gap:.3f}, so {t.excess:.3f} beyond them, over {limit:.3f}; 95% "
        f"interval {t.ci95[0]:.3f} to {t.ci95[1]:.3f}, lower bound {t.lower:.3f} over zero "
        f"across the {t.tested} groups tested; {t.n:,} rows, {t.positives:,} with the outcome)"
    )


def ece_refusal(ece: float, floor: tuple[float, float] | None, limit: float) -> str | None:
    """Why this ECE stops the model, or None: over ``limit`` and not explained by the noise
    ``floor`` (mean, 95th percentile) of a calibrated model on the same rows; without a floor,
    over ``limit``."""
    if ece <= limit:
        return None
    if floor is None:
        return f"miscalibrated: ECE {ece:.3f} is over {limit:.3f}"
    mean, p95 = floor
    if ece > p95:
        return (
            f"miscalibrated: ECE {ece:.3f} is over {limit:.3f} and over {p95:.3f}, the 95th "
            f"percentile of what a calibrated model scores on these rows from the outcomes' "
            f"noise alone (mean {mean:.3f})"
        )
    if ece - mean > limit:
        return (
            f"miscalibrated: ECE {ece:.3f} is {ece - mean:.3f} beyond the {mean:.3f} a "
            f"calibrated model scores on these rows from noise alone, over {limit:.3f}"
        )
    return None


def refusals(m: Measures, t: Thresholds | None = None) -> list[str]:
    """Why the model may not be activated (empty: it passes)."""
    t = t or Thresholds()
    out = []
    if m.dash_auc is not None and m.auc < m.dash_auc + t.margin_over_dash:
        out.append(
            f"AUC {m.auc:.3f} does not beat the DASH count ({m.dash_auc:.3f}) by the margin "
            f"of {t.margin_over_dash:.3f}"
        )
    why_ece = ece_refusal(m.ece, m.ece_floor, t.max_ece)
    if why_ece:
        out.append(why_ece)
    if m.group_gap > t.max_group_gap:
        lo = min(m.group_aucs, key=lambda g: m.group_aucs[g])
        hi = max(m.group_aucs, key=lambda g: m.group_aucs[g])
        out.append(
            f"AUC gap between groups {m.group_gap:.3f} is over {t.max_group_gap:.3f} "
            f"({lo} {m.group_aucs[lo]:.3f}, {hi} {m.group_aucs[hi]:.3f})"
        )
    for test in m.group_tests:
        why = group_refusal(test, t.max_group_gap)
        if why:
            out.append(why)
    return out
