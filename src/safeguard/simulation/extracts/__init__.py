"""Realistic police-style extracts for the linking benchmark (``safeguard simulate-extracts``).

Several source systems with their own habits, households with twins and same-named fathers and
sons, heavy-tailed mentions per person, and the truth kept apart:

    from safeguard.simulation.extracts import ExtractConfig, generate_extracts
    generate_extracts(ExtractConfig.for_profile("police", people=40_000, seed=1), Path("out"))
"""

from __future__ import annotations

from safeguard.simulation.extracts.config import ExtractConfig
from safeguard.simulation.extracts.generate import ExtractResult, generate_extracts

__all__ = ["ExtractConfig", "ExtractResult", "generate_extracts"]
