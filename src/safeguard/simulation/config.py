"""What to simulate: size, period, seed, output format, and every rate the generator uses.

Each rate names its source in ``docs/simulation.md``; rates with no published figure are marked
there as illustrative. All of them are plain fields so a test or a force can change one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from safeguard.errors import ValidationFailed

OutputFormat = Literal["csv", "parquet", "jsonl"]
FORMATS: tuple[OutputFormat, ...] = ("csv", "parquet", "jsonl")

DEFAULT_POPULATION = 500_000
SMALL_POPULATION = 4_000


@dataclass(frozen=True, slots=True)
class Rates:
    """Generative rates. Per-year rates are per head of the whole population."""

    # Population (ONS mid-year estimates for Cumbria: an old, rural county).
    share_under_18: float = 0.18
    share_over_65: float = 0.25
    children_in_care_per_10k: float = 70.0
    # Domestic abuse: abusive relationships started per adult per year, and the process.
    da_relationships_per_adult_year: float = 0.0095
    da_escalating_share: float = 0.15
    da_separation_share: float = 0.30
    da_second_abuser_share: float = 0.12
    da_serial_abuser_share: float = 0.15
    dash_not_completed: float = 0.08
    marac_missed: float = 0.12
    officer_grade_disagrees: float = 0.18
    supervisor_review: float = 0.6
    # Missing people: children going missing per child per year, adults per adult per year.
    missing_child_rate: float = 0.0065
    missing_child_in_care_rate: float = 0.16
    missing_adult_rate: float = 0.0012
    exploitation_flag_share: float = 0.09
    rhi_offered: float = 0.9
    rhi_completed_of_offered: float = 0.8
    rhi_within_72h: float = 0.63
    # Exploitation, sexual and other crime (per head per year).
    cse_concern_rate_girls: float = 0.0012
    sexual_offence_rate: float = 0.0022
    sarc_referral_share: float = 0.6
    other_crime_rate: float = 0.045
    other_crime_suspect_known: float = 0.45
    criminal_share_of_adults: float = 0.08
    # Procedures (illustrative; no published national rate).
    victim_update_late: float = 0.12
    victim_update_missing: float = 0.05
    encompass_late: float = 0.10
    encompass_missing: float = 0.06
    mash_decision_late: float = 0.15
    satisfaction_survey_share: float = 0.15
    # Record noise per mention.
    noise_typo: float = 0.04
    noise_nickname: float = 0.08
    noise_day_month_swap: float = 0.02
    noise_dob_missing: float = 0.10
    noise_age_only: float = 0.05
    noise_name_swap: float = 0.01
    noise_maiden_name: float = 0.35
    noise_hyphen_variant: float = 0.5
    noise_uppercase: float = 0.15
    noise_middle_name_dropped: float = 0.4
    # Hard negatives: raised share so the linking tests always find them.
    twin_share_of_births: float = 0.016
    father_son_same_name: float = 0.03


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One simulated force: ``simulate(SimulationConfig.small(seed=3), out)``."""

    population: int = DEFAULT_POPULATION
    years: int = 5
    seed: int = 1
    end: date = date(2026, 1, 1)
    output_format: OutputFormat = "csv"
    police_system: str = "NICHE"
    social_care_system: str = "LCS"
    chunk_people: int = 25_000
    workers: int = 1
    rates: Rates = field(default_factory=Rates)

    def __post_init__(self) -> None:
        if not 100 <= self.population <= 20_000_000:
            raise ValidationFailed(f"population: {self.population} is outside 100..20,000,000")
        if not 1 <= self.years <= 20:
            raise ValidationFailed(f"years: {self.years} is outside 1..20")
        if self.output_format not in FORMATS:
            raise ValidationFailed(
                f"format: {self.output_format!r} is not one of {', '.join(FORMATS)}"
            )
        if self.chunk_people < 1_000:
            raise ValidationFailed(f"chunk_people: {self.chunk_people} is below 1,000")
        if not 1 <= self.workers <= 64:
            raise ValidationFailed(f"workers: {self.workers} is outside 1..64")
        if self.seed < 0:
            raise ValidationFailed(f"seed: {self.seed} must not be negative")

    @property
    def start(self) -> date:
        """First day of the simulated period (``years`` whole years before ``end``)."""
        return date(self.end.year - self.years, self.end.month, self.end.day)

    @classmethod
    def small(cls, **overrides: object) -> SimulationConfig:
        """A few thousand people over five years: fast enough for unit tests."""
        base = cls(population=SMALL_POPULATION)
        return replace(base, **overrides)  # type: ignore[arg-type]
