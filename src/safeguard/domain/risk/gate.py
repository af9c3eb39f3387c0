"""The activation gate: a model goes live only if it clearly beats the DASH count on the same
test incidents, is calibrated, and ranks every group about as well as its own probabilities
say it should.

The group test (one :class:`GroupTest` per group of victim sex or ethnicity with enough of
both outcomes; the figures are computed with the card, ``services.risk_model_card.fairness``)
compares the group with the rest of its own attribute, never a sex with an ethnicity. Its
``gap`` is the rest's AUC minus the group's; ``reference_gap`` is the gap the model's own
probabilities imply (the AUCs expected if outcomes were drawn from them: a group whose risk is
less spread ranks worse under any model, the truth's own included); ``excess`` is the gap beyond
that reference, with a bootstrap standard error. The gate refuses when the excess is over the
limit **and** its lower confidence bound (family-wise over the groups tested) is over zero: a
real gap refuses, a gap that a tiny group's noise or its case mix explains does not.

Examples:
    >>> m = Measures(auc=0.80, dash_auc=0.56, ece=0.01, group_aucs={"sex=F": 0.80, "sex=M": 0.79})
    >>> refusals(m)
    []
    >>> refusals(Measures(auc=0.58, dash_auc=0.56, ece=0.04, group_aucs={}))[0]
    'AUC 0.580 does not beat the DASH count (0.560) by the margin of 0.050'
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
    """One group against the rest of its attribute, on the test year."""

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


def refusals(m: Measures, t: Thresholds | None = None) -> list[str]:
    """Why the model may not be activated (empty: it passes)."""
    t = t or Thresholds()
    out = []
    if m.dash_auc is not None and m.auc < m.dash_auc + t.margin_over_dash:
        out.append(
            f"AUC {m.auc:.3f} does not beat the DASH count ({m.dash_auc:.3f}) by the margin "
            f"of {t.margin_over_dash:.3f}"
        )
    if m.ece > t.max_ece:
        out.append(f"miscalibrated: ECE {m.ece:.3f} is over {t.max_ece:.3f}")
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
