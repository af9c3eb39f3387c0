"""The temporal split: the final model learns from every row whose follow-up was over before
the test year (for a 90-day target, most of the validation year), and only the validation rows
it did not learn from are left to calibrate it; the test year is never in either."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from safeguard.domain.risk.features import FeatureRow
from safeguard.domain.risk.targets import Label, Target
from safeguard.services import risk_model
from safeguard.services.risk_model_data import IndexRow

START = datetime(2021, 1, 1, tzinfo=UTC)
END = datetime(2025, 6, 30, tzinfo=UTC)


def _rows(kind: str, target: Target) -> list[IndexRow]:
    out = []
    for i in range(0, (END - START).days, 5):
        when = START + timedelta(days=i)
        label = Label(i % 2 == 0) if when + timedelta(days=target.window_days) <= END else None
        out.append(
            IndexRow(kind, f"s{i}", f"P{i}", None, i, i, when, FeatureRow({}, {}), {target: label})
        )
    return out


def test_missing_trains_on_the_validation_year_up_to_its_last_window() -> None:
    target = Target.MISSING_REPEAT
    rows = _rows("missing", target)
    year, train, test = risk_model.split(rows, target, END)
    assert year == 2024
    assert {r.occurred_at.year for r in test} == {2024}
    cut = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(days=target.window_days)
    last = max(r.occurred_at for r in train)
    assert last <= cut < last + timedelta(days=5)
    validation = risk_model.held_out(rows, target, year)
    _, info = risk_model._recalibrate(
        None,  # type: ignore[arg-type]  # not reached: too few rows for the given need
        train, validation, target, np.zeros((0, 0)), np.zeros(0), need=10_000,
    )  # fmt: skip
    later = [r for r in validation if r.occurred_at > cut]
    assert info["rows"] == len(later) > 0
    assert info["validation_rows_trained_on"] == len(validation) - len(later) > 0
    assert info["window"][0] > cut.date().isoformat()
    assert info["method"] == "none"


def test_a_twelve_month_target_keeps_the_whole_validation_year_out_of_training() -> None:
    target = Target.DA_REPEAT
    rows = _rows("da", target)
    year, train, _ = risk_model.split(rows, target, END)
    assert year == 2023
    assert max(r.occurred_at for r in train) < datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=1)
    validation = risk_model.held_out(rows, target, year)
    _, info = risk_model._recalibrate(
        None,  # type: ignore[arg-type]
        train, validation, target, np.zeros((0, 0)), np.zeros(0), need=10_000,
    )  # fmt: skip
    assert info["validation_rows_trained_on"] <= 1
    assert info["rows"] >= len(validation) - 1
