"""Simulation settings: presets, the period, and clear errors for bad values."""

from __future__ import annotations

from datetime import date

import pytest

from safeguard.errors import ValidationFailed
from safeguard.simulation import SimulationConfig
from safeguard.simulation.config import SMALL_POPULATION
from safeguard.simulation.records import Clock


def test_the_default_force_is_the_size_of_cumbria_over_five_years() -> None:
    config = SimulationConfig()
    assert config.population == 500_000
    assert config.years == 5
    assert config.start == date(2021, 1, 1)


def test_the_small_preset_has_a_few_thousand_people_and_keeps_overrides() -> None:
    config = SimulationConfig.small(seed=4, output_format="jsonl")
    assert config.population == SMALL_POPULATION
    assert (config.seed, config.output_format) == (4, "jsonl")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"population": 10}, "population"),
        ({"years": 0}, "years"),
        ({"output_format": "xlsx"}, "format"),
        ({"workers": 0}, "workers"),
        ({"seed": -1}, "seed"),
        ({"chunk_people": 10}, "chunk_people"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(
    overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed, match=field):
        SimulationConfig(**overrides)  # type: ignore[arg-type]


def test_times_are_written_in_utc_with_a_z() -> None:
    clock = Clock(date(2024, 3, 1), date(2025, 1, 1))
    assert clock.iso(0.885416667) == "2024-03-01T21:15:00Z"
    assert clock.date_iso(31) == "2024-04-01"


def test_working_days_skip_weekends_and_english_bank_holidays() -> None:
    clock = Clock(date(2025, 12, 1), date(2026, 1, 1))
    christmas_eve = (date(2025, 12, 24) - date(2025, 12, 1)).days
    # 25 and 26 December are bank holidays, 27-28 a weekend: the next working day is the 29th.
    assert clock.working_day_offset(christmas_eve, 1) == christmas_eve + 5
    saturday = (date(2025, 12, 6) - date(2025, 12, 1)).days
    assert clock.working_day_offset(saturday, 0) == saturday + 2
    assert not clock.is_working_day(saturday)
