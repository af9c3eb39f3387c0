"""The glass-box model's fast design matrix is the ColumnTransformer's, column for column, and a
prediction is exactly its baseline plus its contributions."""

from __future__ import annotations

import numpy as np

from safeguard.adapters import ml, model_store
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


def test_a_platt_recalibration_keeps_each_prediction_exactly_explained_and_is_stored() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    x = np.column_stack([rng.poisson(2.0, n), rng.integers(0, 2, n)]).astype(float)
    names = ("count", "flag")
    kinds = {"count": COUNT, "flag": FLAG}
    y = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] - 2 + x[:, 1])))).astype(int)
    fitted = ml.fit(ml.SPLINE_LOGISTIC, names, kinds, x[:1000], y[:1000])
    # A later year whose outcomes run higher: Platt on it moves the intercept up.
    later = (rng.random(1000) < 1 / (1 + np.exp(-(x[1000:, 0] - 1.2 + x[1000:, 1])))).astype(int)
    slope, intercept = ml.platt(fitted.log_odds(x[1000:]), later)
    assert 0.7 < slope < 1.3 and intercept > 0.4
    cal = fitted.recalibrated(slope, intercept)
    p, baseline, contrib = cal.explained(x[1000:])
    assert np.allclose(np.log(p / (1 - p)), baseline + contrib.sum(axis=1))
    assert np.allclose(p, 1 / (1 + np.exp(-(slope * fitted.log_odds(x[1000:]) + intercept))))
    assert abs(p.mean() - later.mean()) < abs(fitted.probability(x[1000:]).mean() - later.mean())
    stored = model_store.load(model_store.dump("t", cal), target="t", features=names)
    assert stored.fitted.calibration == (slope, intercept)
    assert np.allclose(stored.fitted.probability(x[1000:]), p)
    assert fitted.calibration is None  # the uncalibrated model is left as it was
