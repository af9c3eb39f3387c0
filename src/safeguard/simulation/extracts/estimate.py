"""Mentions per person of a configuration, measured on a sample (for ``--mentions``)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from safeguard.simulation.extracts.config import ExtractConfig


@cache
def mentions_per_person(cfg: ExtractConfig) -> float:
    from safeguard.simulation.extracts.households import HouseholdBuilder
    from safeguard.simulation.extracts.mentions import persons

    sample = replace(cfg, people=20_000)
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(10**6,)))
    builder = HouseholdBuilder(sample, rng)
    people, _ = builder.build(sample.people, 0, 0)
    return float(persons(sample, rng, people, builder.pickers).mentions.mean())
