"""The glass-box model's fast design matrix is the ColumnTransformer's, column for column, and a
prediction is exactly its baseline plus its contributions."""

from __future__ import annotations

import numpy as np

from safeguard.adapters import ml
from safeguard.domain.risk.features import COUNT, FLAG, NUMBER


def test_the_fast_design_matrix_equals_the_column_transformer_and_explains_exactly() -> None:
    rng = np.random.default_rng(3)
    n = 600
    x = np.column_stack(
        [
            rng.poisson(2.0, n),  # a count: splines
            rng.normal(40, 12, n),  # a number: splines
            rng.integers(0, 2, n),  # a flag: as it is
            rng.integers(0, 3, n),  # under four distinct values: as it is
        ]
    ).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] - 2 + x[:, 2])))).astype(int)
    names = ("count", "number", "flag", "few")
    kinds = {"count": COUNT, "number": NUMBER, "flag": FLAG, "few": COUNT}
    fitted = ml.fit(ml.SPLINE_LOGISTIC, names, kinds, x, y)
    assert fitted.design is not None
    # Inside the knots, and beyond them on either side (the basis is held constant there).
    fresh = np.column_stack(
        [[1.0, 7.0, -1.0, 30.0], [30.0, 95.0, -10.0, 41.5], [0.0, 1.0, 1.0, 0.0], [2, 0, 1, 9]]
    ).astype(float)
    assert np.allclose(ml.design_matrix(fitted.design, fresh), fitted.design.transform(fresh))
    p, baseline, contrib = fitted.explained(fresh)
    assert np.allclose(p, fitted.estimator.predict_proba(fitted.design.transform(fresh))[:, 1])
    log_odds = np.log(p / (1 - p))
    assert np.allclose(log_odds, baseline + contrib.sum(axis=1))
    assert np.allclose(fitted.probability(fresh), p)
