"""Run a whole simulation: chunk by chunk, each chunk's rows streamed to disk, then dropped.

Each chunk of households has its own random stream (spawned from the seed with the chunk's
number) and its own id block, so chunks are independent: the same configuration writes the same
bytes whether one process or several generate them, and memory stays flat however large the
county (at most ``workers + 1`` chunks are in flight).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safeguard.interchange.schema import record_types
from safeguard.simulation.config import SimulationConfig
from safeguard.simulation.crime import simulate_crime
from safeguard.simulation.domestic import plan_domestic_abuse, simulate_domestic_abuse
from safeguard.simulation.missing import simulate_missing
from safeguard.simulation.population import build_population
from safeguard.simulation.records import ChunkRecords, Clock, Ids
from safeguard.simulation.truth import TRUTH_FILES, truth_rows, write_readme
from safeguard.simulation.writer import InterchangeWriter, TruthWriter

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

#: Person keys of chunk ``c`` start at ``c * stride + 1``; a chunk may overshoot its size by
#: one household, so the stride leaves room and keys stay unique (not contiguous).
_KEY_SLACK = 1_000


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


@dataclass(frozen=True, slots=True)
class _ChunkOutput:
    people: int
    rows: dict[str, list[dict[str, Any]]]
    truth: dict[str, dict[str, list[Any]]]


def _chunk_sizes(config: SimulationConfig) -> list[int]:
    full, rest = divmod(config.population, config.chunk_people)
    return [config.chunk_people] * full + ([rest] if rest else [])


def _run_chunk(config: SimulationConfig, chunk: int, size: int) -> _ChunkOutput:
    """Generate one chunk completely: people, events and everything that follows them."""
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(chunk,)))
    clock = Clock(config.start, config.end)
    stride = config.chunk_people + _KEY_SLACK
    pop = build_population(
        rng,
        size,
        key_offset=chunk * stride + 1,
        household_offset=chunk * stride + 1,
        days=clock.days,
        rates=config.rates,
    )
    rec = ChunkRecords(config, rng, pop, Ids(chunk), clock)
    # Abusers' offending propensity is set first so their criminal records exist before
    # their relationships' incidents, whose risk reads those records, are simulated.
    plan = plan_domestic_abuse(rec)
    simulate_missing(rec)
    simulate_crime(rec)
    simulate_domestic_abuse(rec, plan)
    return _ChunkOutput(len(pop), dict(rec.rows), truth_rows(rec, config.start))


class _InProcess(Executor):
    """Runs submitted work at once, in this process (``workers=1``)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut


def simulate(
    config: SimulationConfig, out_dir: Path, progress: Progress | None = None
) -> SimulationResult:
    """Simulate ``config`` into ``out_dir``/interchange and ``out_dir``/truth.

    Args:
        config: size, period, seed, format, rates and worker processes.
        out_dir: created if missing; files of the same names are overwritten.
        progress: called with (people done, people total) after each chunk is written.

    Returns:
        Rows written per record type, and the people simulated.

    Examples:
        >>> simulate(SimulationConfig.small(seed=7), Path("demo"))  # doctest: +SKIP
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    inter_dir = out_dir / "interchange"
    if inter_dir.exists():
        for old in inter_dir.iterdir():
            if old.stem in record_types() and old.suffix in (".csv", ".parquet", ".jsonl"):
                old.unlink()
    interchange = InterchangeWriter(inter_dir, config.output_format)
    truth = TruthWriter(out_dir / "truth")
    for name, header in TRUTH_FILES.items():
        truth.write(name, header, [])
    sizes = _chunk_sizes(config)
    executor: Executor = (
        ProcessPoolExecutor(config.workers, mp_context=multiprocessing.get_context("fork"))
        if config.workers > 1
        else _InProcess()
    )
    done = 0
    pending: deque[Future[_ChunkOutput]] = deque()
    try:
        with executor:
            for chunk, size in enumerate(sizes):
                pending.append(executor.submit(_run_chunk, config, chunk, size))
                if len(pending) > config.workers:
                    done += _write(pending.popleft().result(), interchange, truth)
                    _report(progress, done, config, len(sizes))
            while pending:
                done += _write(pending.popleft().result(), interchange, truth)
                _report(progress, done, config, len(sizes))
    finally:
        interchange.close()
        truth.close()
    write_readme(out_dir / "truth" / "README.md", config)
    return SimulationResult(out_dir, interchange.counts(), done, time.perf_counter() - began)


def _write(out: _ChunkOutput, interchange: InterchangeWriter, truth: TruthWriter) -> int:
    for rtype in record_types():
        interchange.write(rtype, out.rows.get(rtype, []))
    for name, columns in out.truth.items():
        truth.write_columns(name, columns)
    return out.people


def _report(progress: Progress | None, done: int, config: SimulationConfig, chunks: int) -> None:
    logger.info("simulated %d people in %d chunks", done, chunks)
    if progress is not None:
        progress(min(done, config.population), config.population)
