"""Board report timing: one year of the default simulated force, beside its queries alone.

Simulates the default force (500,000 people, 5 years to 1 January 2026) unless a prepared
database is given, ingests it into SQLite, then times, best of --repeat runs each:
  queries:  the report's database reads alone (``gather_facts``: the rows the figures need,
            procedure checks counted in the database);
  figures:  queries + computing and publishing every figure for the year and 4 previous years;
  html:     figures + charts (vl-convert) + the HTML page;
  pdf:      figures + charts + HTML + WeasyPrint A4 PDF (what `safeguard report --format pdf` does).
Wall-clock and process CPU seconds are both printed: on a shared machine the CPU time is the
steadier figure. Target: pdf under 10 s.

    python bench/report.py [--db /tmp/force/sg.db] [--from 2025-01-01 --to 2025-12-31] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.reports import render
from safeguard.adapters.reports.charts import warm_up
from safeguard.services import reports
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN
from safeguard.simulation import SimulationConfig, simulate


def prepare(folder: Path) -> Path:
    db = folder / "sg.db"
    print(f"simulating the default force into {folder} ...", flush=True)
    t = time.perf_counter()
    result = simulate(SimulationConfig(), folder)
    print(f"  {sum(result.counts.values()):,} rows in {time.perf_counter() - t:.0f} s", flush=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    t = time.perf_counter()
    ingest_paths(engine, [folder / "interchange"], actor=OPERATOR_RUN)
    print(f"  ingested in {time.perf_counter() - t:.0f} s", flush=True)
    engine.dispose()
    return db


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an ingested SQLite database (else simulate one)")
    ap.add_argument("--from", dest="start", default="2025-01-01")
    ap.add_argument("--to", dest="end", default="2025-12-31")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    db = args.db or prepare(Path(tempfile.mkdtemp(prefix="sg-bench-report-")))
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)  # a database prepared by an older safeguard gets the newer tables
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    periods = reports.report_periods(start, end)
    catalogue = reports.instrument_catalogue()
    warm_up()  # the chart renderer's one-off start (about 1 s per process) is not per report

    def queries() -> None:
        facts = reports.gather_facts(engine, periods, catalogue)
        sizes.update(
            incidents=len(facts.incidents),
            assessments=len(facts.assessments),
            referrals=len(facts.referrals),
            missing=len(facts.missing),
            contacts=len(facts.contacts),
            responses=len(facts.responses),
        )

    sizes: dict[str, int] = {}
    out = Path(tempfile.mkdtemp(prefix="sg-bench-out-"))
    steps: list[tuple[str, Callable[[], object]]] = [
        ("queries", queries),
        ("figures", lambda: reports.build_report(engine, start, end)),
        (
            "html",
            lambda: (out / "r.html").write_text(
                render.html(reports.build_report(engine, start, end), medium="web")
            ),
        ),
        (
            "pdf",
            lambda: (out / "r.pdf").write_bytes(
                render.pdf(reports.build_report(engine, start, end))
            ),
        ),
    ]
    print(f"report {start} to {end} with 4 previous years; database {db}")
    results = {name: timed(fn, args.repeat) for name, fn in steps}
    print("rows read: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    print(f"{'step':<10}{'wall s':>10}{'cpu s':>10}")
    for name, (wall, cpu) in results.items():
        print(f"{name:<10}{wall:>10.2f}{cpu:>10.2f}")
    wall, cpu = results["pdf"]
    print(
        f"pdf {'meets' if wall < 10 else 'misses'} the 10 s target (wall {wall:.2f} s, "
        f"cpu {cpu:.2f} s); pdf {(out / 'r.pdf').stat().st_size:,} bytes at {out / 'r.pdf'}"
    )


if __name__ == "__main__":
    main()
