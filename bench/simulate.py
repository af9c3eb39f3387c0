"""Benchmark: simulate five years of the default force (500,000 people) and report records per
second and peak memory.

    .venv/bin/python bench/simulate.py [--population N] [--years Y] [--workers W] [--format F]

Peak memory is the maximum resident set size of this process (and, with --workers > 1, of the
largest worker process), read from getrusage after the run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from safeguard.simulation import SimulationConfig, simulate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=500_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--format", default="csv", choices=["csv", "parquet", "jsonl"])
    parser.add_argument("--out", type=Path, default=None, help="keep the output here")
    args = parser.parse_args()
    config = SimulationConfig(
        population=args.population,
        years=args.years,
        seed=args.seed,
        workers=args.workers,
        output_format=args.format,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        began = time.perf_counter()
        result = simulate(config, out)
        seconds = time.perf_counter() - began
        size = sum(p.stat().st_size for p in (out / "interchange").iterdir())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"population      {result.people:,} people, {args.years} years, seed {args.seed}")
    print(f"format          {args.format}, workers {args.workers}")
    print(f"rows written    {result.total_rows:,} ({size / 1e6:,.0f} MB of interchange files)")
    for rtype, n in result.counts.items():
        print(f"  {rtype:<22}{n:>12,}")
    print(f"wall time       {seconds:.1f} s (target < 120 s)")
    print(f"records/second  {result.total_rows / seconds:,.0f}")
    print(f"peak memory     {max(own, kids):,.0f} MB (main {own:,.0f} MB, workers {kids:,.0f} MB)")
    print(f"load average    {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    return 0 if seconds < 120 else 1


if __name__ == "__main__":
    sys.exit(main())
