"""The activation gate: a model goes live only if it clearly beats the DASH count on the same
test incidents, is calibrated, and ranks every group about as well.

Examples:
    >>> m = Measures(auc=0.80, dash_auc=0.56, ece=0.01, group_aucs={"sex=F": 0.80, "sex=M": 0.79})
    >>> refusals(m)
    []
    >>> refusals(Measures(auc=0.58, dash_auc=0.56, ece=0.04, group_aucs={}))[0]
    'AUC 0.580 does not beat the DASH count (0.560) by the margin of 0.050'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Thresholds:
    margin_over_dash: float = 0.05
    max_ece: float = 0.03
    max_group_gap: float = 0.05


@dataclass(frozen=True, slots=True)
class Measures:
    """A model's figures on the test year. ``dash_auc`` is None where there is no instrument
    to compare with (a missing child: the missing-person risk grade is used instead)."""

    auc: float
    dash_auc: float | None
    ece: float
    group_aucs: Mapping[str, float] = field(default_factory=dict)

    @property
    def group_gap(self) -> float:
        return (
            max(self.group_aucs.values()) - min(self.group_aucs.values())
            if self.group_aucs
            else 0.0
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
    return out
