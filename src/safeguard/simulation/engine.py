"""Run a whole simulation: chunk by chunk, each chunk's rows streamed to disk, then dropped.

Each chunk of households gets its own random stream spawned from the seed, so the same
configuration always writes the same bytes, and memory stays flat however large the county.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from safeguard.interchange.schema import record_types
from safeguard.simulation.config import SimulationConfig
from safeguard.simulation.crime import simulate_crime
from safeguard.simulation.domestic import simulate_domestic_abuse
from safeguard.simulation.missing import simulate_missing
from safeguard.simulation.population import build_population
from safeguard.simulation.records import ChunkRecords, Clock, Ids
from safeguard.simulation.truth import TRUTH_FILES, write_readme, write_truth
from safeguard.simulation.writer import InterchangeWriter, TruthWriter

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What a run wrote: rows per record type, people, and where."""

    out_dir: Path
    counts: dict[str, int]
    people: int
    seconds: float

    @property
    def interchange_dir(self) -> Path:
        return self.out_dir / "interchange"

    @property
    def truth_dir(self) -> Path:
        return self.out_dir / "truth"

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


def simulate(
    config: SimulationConfig, out_dir: Path, progress: Progress | None = None
) -> SimulationResult:
    """Simulate ``config`` into ``out_dir``/interchange and ``out_dir``/truth.

    Args:
        config: size, period, seed, format and rates.
        out_dir: created if missing; files of the same names are overwritten.
        progress: called with (people done, people total) after each chunk.

    Returns:
        Rows written per record type, and the people simulated.

    Examples:
        >>> simulate(SimulationConfig.small(seed=7), Path("demo"))  # doctest: +SKIP
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    inter_dir = out_dir / "interchange"
    for old in inter_dir.glob("*.*") if inter_dir.exists() else ():
        if old.stem in record_types():
            old.unlink()
    interchange = InterchangeWriter(inter_dir, config.output_format)
    truth = TruthWriter(out_dir / "truth")
    for name, header in TRUTH_FILES.items():
        truth.write(name, header, [])
    clock = Clock(config.start, config.end)
    ids = Ids()
    n_chunks = -(-config.population // config.chunk_people)
    done, c = 0, 0
    try:
        while done < config.population:
            size = min(config.chunk_people, config.population - done)
            rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(c,)))
            pop = build_population(
                rng, size, key_offset=done + 1, household_offset=c * config.chunk_people + 1,
                days=clock.days, rates=config.rates,
            )
            rec = ChunkRecords(config, rng, pop, ids, clock)
            simulate_domestic_abuse(rec)
            simulate_missing(rec)
            simulate_crime(rec)
            for rtype in record_types():
                interchange.write(rtype, rec.rows.get(rtype, []))
            write_truth(truth, rec, config.start)
            done += len(pop)
            c += 1
            logger.info("chunk %d of about %d: %d people", c, n_chunks, done)
            if progress is not None:
                progress(min(done, config.population), config.population)
    finally:
        interchange.close()
        truth.close()
    write_readme(out_dir / "truth" / "README.md", config)
    seconds = time.perf_counter() - began
    return SimulationResult(out_dir, interchange.counts(), done, seconds)
