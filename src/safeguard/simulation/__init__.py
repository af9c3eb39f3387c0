"""A synthetic force with known truth: interchange files for the product, truth for the tests.

from safeguard.simulation import SimulationConfig, simulate
result = simulate(SimulationConfig.small(seed=3), Path("out"))
"""

from __future__ import annotations

from safeguard.simulation.config import SimulationConfig
from safeguard.simulation.engine import SimulationResult, simulate

__all__ = ["SimulationConfig", "SimulationResult", "simulate"]
