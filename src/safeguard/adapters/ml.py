"""scikit-learn at the edge: the model families the risk model compares, their fitting, their
probabilities and (for the glass-box family) each prediction's exact contributions.

* ``spline_logistic``: an L2-regularised logistic regression on cubic B-splines of each count
  and number (yes/no features enter linearly). It is additive on the log-odds scale, so a
  prediction is exactly the baseline plus one contribution per feature. It may carry a Platt
  recalibration fitted on a later, held-out year (:func:`platt`): a slope and an intercept on
  the log-odds, so the recalibrated prediction is still exactly a baseline plus one (scaled)
  contribution per feature.
* ``gradient_boosting``: histogram gradient boosting, the flexible comparison. Not glass-box:
  it is fitted to measure what the additive model leaves on the table, never to go live.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import SplineTransformer

from safeguard.domain.risk.features import FLAG

SPLINE_LOGISTIC = "spline_logistic"
GRADIENT_BOOSTING = "gradient_boosting"
FAMILIES = (SPLINE_LOGISTIC, GRADIENT_BOOSTING)
GLASS_BOX = frozenset({SPLINE_LOGISTIC})


@dataclass
class Fitted:
    """A fitted model: the family, the feature names (in column order), and the estimator."""

    family: str
    features: tuple[str, ...]
    estimator: Any
    design: Any | None = None  # ColumnTransformer of the glass-box family
    centre: np.ndarray | None = None  # mean contribution per feature over the training rows
    #: Platt recalibration (slope, intercept) on the log-odds, or None (glass-box family only).
    calibration: tuple[float, float] | None = None

    def probability(self, x: np.ndarray) -> np.ndarray:
        if self.design is not None:
            return _logistic(self.estimator, design_matrix(self.design, x), self.calibration)
        return np.asarray(self.estimator.predict_proba(x)[:, 1])

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        """The glass-box family's log-odds before any recalibration."""
        if self.design is None:
            raise ValueError(f"{self.family} is not glass-box: no additive log-odds")
        xt = design_matrix(self.design, x)
        return np.asarray(xt @ self.estimator.coef_[0] + self.estimator.intercept_[0])

    def recalibrated(self, slope: float, intercept: float) -> Fitted:
        """The same model with a Platt recalibration (slope, intercept) on its log-odds."""
        if self.design is None:
            raise ValueError(f"{self.family} is not glass-box: not recalibrated here")
        return Fitted(
            self.family, self.features, self.estimator, self.design, self.centre,
            (float(slope), float(intercept)),
        )  # fmt: skip

    def contributions(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """(baseline, n x features): log-odds = baseline + the row's sum, exactly."""
        _, baseline, contrib = self.explained(x)
        return baseline, contrib

    def explained(self, x: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """(probabilities, baseline, n x features contributions) from one pass over the design
        (a re-score of one person costs one transform, not two)."""
        if self.design is None or self.centre is None:
            raise ValueError(f"{self.family} is not glass-box: no exact contributions")
        xt = design_matrix(self.design, x)
        p = _logistic(self.estimator, xt, self.calibration)
        raw = _contributions_of(self.design, self.estimator, self.features, xt)
        baseline = float(self.estimator.intercept_[0] + self.centre.sum())
        contrib = raw - self.centre
        if self.calibration is not None:
            slope, intercept = self.calibration
            return p, slope * baseline + intercept, slope * contrib
        return p, baseline, contrib

    def to_state(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "features": list(self.features),
            "estimator": self.estimator,
            "design": self.design,
            "centre": self.centre,
            "calibration": None if self.calibration is None else list(self.calibration),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Fitted:
        return cls(
            str(state["family"]),
            tuple(str(f) for f in state["features"]),
            state["estimator"],
            state.get("design"),
            None if state.get("centre") is None else np.asarray(state["centre"], dtype=float),
            None
            if state.get("calibration") is None
            else (float(state["calibration"][0]), float(state["calibration"][1])),
        )


def _logistic(
    lr: Any, xt: np.ndarray, calibration: tuple[float, float] | None = None
) -> np.ndarray:
    """``lr.predict_proba(xt)[:, 1]`` of a fitted binary LogisticRegression, as it computes it
    (the logistic of the decision function) without its per-call validation, which costs more
    than the arithmetic for the few rows of one person; a test checks they agree. With a
    ``calibration`` (slope, intercept) the log-odds are recalibrated first."""
    z = xt @ lr.coef_[0] + lr.intercept_[0]
    if calibration is not None:
        z = calibration[0] * z + calibration[1]
    return np.asarray(expit(z))


def platt(log_odds: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: (slope, intercept) of an unpenalised logistic regression of the outcomes
    ``y`` on the model's log-odds, fitted on rows the model was not trained on."""
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit(np.asarray(log_odds, dtype=float).reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def design_matrix(design: Any, x: np.ndarray) -> np.ndarray:
    """``design.transform(x)`` without the ColumnTransformer's per-call checks: each fitted
    spline on its own column, yes/no columns as they are, in the same column order. For one
    row it is several times faster (scoring one person after a new record is on the hot path);
    a test checks it equals ``design.transform``."""
    blocks = []
    for _, part, cols in design.transformers_:
        if part == "drop":
            continue
        block = x[:, cols]
        blocks.append(block if part == "passthrough" else _splines(part, block))
    return np.hstack(blocks) if blocks else np.zeros((x.shape[0], 0))


#: Re-scoring one person evaluates each spline on a few rows whose values recur (counts, ages):
#: the basis row of each value is kept per fitted spline, for blocks of at most this many rows.
MEMO_ROWS = 8
#: Values kept per fitted spline (later values are computed, not kept).
MEMO_SIZE = 4096
_MEMO: weakref.WeakKeyDictionary[Any, dict[float, np.ndarray]] = weakref.WeakKeyDictionary()


def _splines(part: Any, block: np.ndarray) -> np.ndarray:
    """One fitted column's B-spline basis, as ``SplineTransformer.transform`` computes it for
    ``extrapolation="constant"`` (the basis at the boundary knot beyond it), without its
    per-call validation; anything else goes through ``transform`` itself. Each row's basis
    depends on its own value only, so for a few rows the basis of a value seen before is
    reused (the same numbers: a test checks it)."""
    if (
        not isinstance(part, SplineTransformer)
        or part.extrapolation != "constant"
        or part.sparse_output
        or block.shape[1] != 1
        or np.isnan(block).any()
    ):
        return np.asarray(part.transform(block))
    if block.shape[0] > MEMO_ROWS:
        return _basis(part, block)
    memo = _MEMO.get(part)
    if memo is None:
        memo = _MEMO[part] = {}
    values = block[:, 0].tolist()
    known = [memo.get(v) for v in values]
    if all(b is not None for b in known):
        return np.vstack(known)  # type: ignore[arg-type]
    out = _basis(part, block)
    if len(memo) < MEMO_SIZE:
        for v, b in zip(values, out, strict=True):
            memo[v] = b.copy()
    return out


def _basis(part: SplineTransformer, block: np.ndarray) -> np.ndarray:
    spl, degree = part.bsplines_[0], part.degree
    col = block[:, 0]
    out = np.zeros((col.shape[0], spl.c.shape[1]))
    xmin, xmax = spl.t[degree], spl.t[-degree - 1]
    inside = (xmin <= col) & (col <= xmax)
    if inside.any():
        out[inside] = spl(col[inside])
    below, above = col < xmin, col > xmax
    if below.any():
        out[below, :degree] = spl(xmin)[:degree]
    if above.any():
        out[above, -degree:] = spl(xmax)[-degree:]
    return out if part.include_bias else out[:, :-1]


def _raw_contributions(
    design: Any, estimator: Any, features: Sequence[str], x: np.ndarray
) -> np.ndarray:
    return _contributions_of(design, estimator, features, design_matrix(design, x))


def _contributions_of(
    design: Any, estimator: Any, features: Sequence[str], xt: np.ndarray
) -> np.ndarray:
    w = estimator.coef_[0]
    out = np.zeros((xt.shape[0], len(features)))
    for j, name in enumerate(features):
        cols = design.output_indices_[name]
        out[:, j] = xt[:, cols] @ w[cols]
    return out


def fit(
    family: str,
    features: tuple[str, ...],
    kinds: Mapping[str, str],
    x: np.ndarray,
    y: np.ndarray,
    *,
    c: float = 1.0,
) -> Fitted:
    """Fit one family on ``x`` (columns in ``features`` order) and the 0/1 outcomes ``y``."""
    if family == GRADIENT_BOOSTING:
        gbm = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0,
            random_state=0,
        )  # fmt: skip
        gbm.fit(x, y)
        return Fitted(family, features, gbm)
    if family != SPLINE_LOGISTIC:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    parts: list[tuple[str, Any, list[int]]] = []
    for j, name in enumerate(features):
        if kinds[name] == FLAG or len(np.unique(x[:, j])) < 4:
            parts.append((name, "passthrough", [j]))
        else:
            spline = SplineTransformer(
                n_knots=5, degree=3, knots="quantile", extrapolation="constant",
                include_bias=False,
            )  # fmt: skip
            parts.append((name, spline, [j]))
    design = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
    xt = design.fit_transform(x)
    lr = LogisticRegression(C=c, max_iter=3000)
    lr.fit(xt, y)
    centre = _raw_contributions(design, lr, features, x).mean(axis=0)
    return Fitted(family, features, lr, design, centre)


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """Area under the ROC curve; None when only one outcome occurs (or no rows)."""
    keep = ~np.isnan(score)
    y, score = y[keep], score[keep]
    if len(y) == 0 or y.min() == y.max():
        return None
    return float(roc_auc_score(y, score))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed - predicted| over ten equal-width probability bins, weighted by count."""
    if len(y) == 0:
        return 0.0
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += float(mask.sum() * abs(y[mask].mean() - p[mask].mean()))
    return total / len(y)


def weighted_aucs(score: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The AUC of ``score`` for each row of ``weights`` (draws x rows: how many times each row
    is taken, as in a bootstrap resample), with ties counted half.

    ``y`` may be the 0/1 outcomes (the AUC itself) or probabilities: then it is the AUC
    *expected* if each taken row's outcome were drawn from its probability (ratio of the
    expected pair counts), which is the AUC a model whose probabilities are the truth would
    show on these rows. NaN for a draw with no pair of a positive and a negative.
    """
    score = np.asarray(score, dtype=float)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    if score.size == 0:
        return np.full(w.shape[0], np.nan)
    order = np.argsort(score, kind="stable")
    sorted_score, yy, w = score[order], np.asarray(y, dtype=float)[order], w[:, order]
    pos, neg = w * yy, w * (1.0 - yy)
    upto = np.cumsum(neg, axis=1)  # negative weight at or below each row, in score order
    # Each row's tie block [first, last]: negatives strictly below, and tied with it.
    new = np.r_[True, sorted_score[1:] != sorted_score[:-1]]
    first = np.maximum.accumulate(np.where(new, np.arange(score.size), 0))
    last = np.r_[np.flatnonzero(new)[1:] - 1, score.size - 1][np.cumsum(new) - 1]
    below = upto[:, first] - neg[:, first] if not new.all() else upto - neg
    tied = upto[:, last] - below if not new.all() else neg
    same = (pos * (1.0 - yy)).sum(axis=1)  # a row paired with itself is no pair
    num = (pos * (below + 0.5 * tied)).sum(axis=1) - 0.5 * same
    den = pos.sum(axis=1) * neg.sum(axis=1) - same
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def ece_floor(p: np.ndarray, draws: int = 200, seed: int = 0) -> tuple[float, float]:
    """(mean, 95th percentile) of the ECE of ``p`` against outcomes drawn from ``p`` itself on
    these rows: what a model whose probabilities were the truth would score from the outcomes'
    sampling noise alone. Truth-free (the force can compute it for its own model); a measured
    ECE near it is noise, not miscalibration. Seeded, so a card is reproducible."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    got = [
        expected_calibration_error((rng.random(p.size) < p).astype(int), p) for _ in range(draws)
    ]
    return float(np.mean(got)), float(np.percentile(got, 95))
