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


def test_a_few_rows_reuse_the_basis_of_values_seen_before_with_the_same_numbers() -> None:
    """Re-scoring one person: blocks of a few rows keep each value's basis per fitted spline;
    the design is the same, bit for bit, whether the values were seen before or not."""
    rng = np.random.default_rng(4)
    n = 600
    x = np.column_stack([rng.poisson(2.0, n), rng.normal(40, 12, n)]).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] - 2)))).astype(int)
    names = ("count", "number")
    fitted = ml.fit(ml.SPLINE_LOGISTIC, names, {"count": COUNT, "number": NUMBER}, x, y)
    assert fitted.design is not None
    rows = np.array([[1.0, 30.0], [7.0, 95.0], [-1.0, -10.0], [2.0, 41.5]])
    # More than a few rows: computed, not kept (and before any value was kept).
    whole = ml.design_matrix(fitted.design, np.vstack([rows] * 3))[: len(rows)]
    first = [ml.design_matrix(fitted.design, rows[i : i + 1]) for i in range(len(rows))]
    again = [ml.design_matrix(fitted.design, rows[i : i + 1]) for i in range(len(rows))]
    mixed = ml.design_matrix(fitted.design, np.array([[1.0, 30.0], [3.0, 50.0]]))
    for i in range(len(rows)):
        assert np.array_equal(first[i][0], whole[i]) and np.array_equal(again[i][0], whole[i])
    assert np.allclose(whole, fitted.design.transform(rows))
    assert np.array_equal(
        mixed, ml.design_matrix(fitted.design, np.array([[1.0, 30.0], [3.0, 50.0]]))
    )
    assert np.allclose(mixed, fitted.design.transform(np.array([[1.0, 30.0], [3.0, 50.0]])))


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
