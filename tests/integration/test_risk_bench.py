"""bench/risk.py on a small force: every target and signal gets a row, the truth ranks best."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench import risk

from safeguard.simulation import SimulationConfig, simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> risk.Force:
    out = tmp_path_factory.mktemp("risk-force")
    simulate(SimulationConfig(population=30_000, seed=4), out)
    return risk.Force.load(out)


def test_each_target_is_measured_on_the_latest_year_with_complete_follow_up(
    force: risk.Force,
) -> None:
    splits = risk.splits(force)
    assert set(splits) == set(risk.SIGNALS)
    for split in splits.values():
        assert split.year == 2024
        assert len(split.test) > 40
        # Training outcomes were all known before the test year began.
        assert (split.train["when"] + split.window_days * risk.DAY).max() <= np.datetime64(
            "2024-01-01T00:00:00"
        )


def test_every_signal_gets_a_row_and_the_true_probability_ranks_best(force: risk.Force) -> None:
    rows = risk.measure(force)
    assert {(r.target, r.signal) for r in rows} == {
        (t, s.name) for t, signals in risk.SIGNALS.items() for s in signals
    }
    for target in risk.SIGNALS:
        mine = {r.signal: r for r in rows if r.target == target}
        truth = mine["true probability (the limit)"]
        # Calibration of the truth itself is checked in test_simulation_realism.py.
        assert all((r.ece is not None) == (r.kind in ("truth", "reference")) for r in mine.values())
        others = [r.auc for r in mine.values() if r is not truth and not math.isnan(r.auc)]
        assert truth.auc > max(others) - 0.02, (target, truth.auc, others)


def test_the_calibration_error_is_zero_for_a_calibrated_forecast() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(200_000)
    y = (rng.random(200_000) < p).astype(float)
    assert risk.expected_calibration_error(y, p) < 0.01
    assert risk.expected_calibration_error(y, np.clip(p + 0.2, 0, 1)) > 0.1
