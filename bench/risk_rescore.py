"""Benchmark: re-scoring one person after a new record arrives (issue 15's < 20 ms target).

    python bench/risk_rescore.py --db FORCE.db [--samples 200] [--profile OUT.prof]

On a force already ingested and linked into ``--db`` (SQLite), trains ``da_repeat`` and
``missing_repeat`` if no version exists, makes the newest version of each target active
**regardless of the gate** (timing only: the gate's verdict is printed, and the database is a
copy for benchmarking), scores everyone, then for ``--samples`` victims of scored incidents
inserts a new domestic-abuse incident naming them as victim and times ``rescore_people`` for
that one person inside the same transaction (as ingest does). Prints the median, p90, p95
and p99.
Run it with another ``PYTHONPATH`` on a copy of the same database to compare code versions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.risk_models import risk_models
from safeguard.adapters.db.tables import events, involvements
from safeguard.domain.risk.targets import Target
from safeguard.services import risk_model as svc
from safeguard.services import risk_model_data as data
from safeguard.services.unit_of_work import OPERATOR_RUN


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    eng = make_engine(f"sqlite:///{args.db}")
    upgrade(eng)
    began = time.perf_counter()
    with eng.connect() as conn:
        ds = data.build(conn)
    print(f"read every history: {time.perf_counter() - began:.1f} s")
    for target in (Target.DA_REPEAT, Target.MISSING_REPEAT):
        with eng.connect() as conn:
            have = conn.execute(
                sa.select(sa.func.max(risk_models.c.version)).where(
                    risk_models.c.target == target.value
                )
            ).scalar()
        if have is None:
            t = svc.train(eng, target, actor=OPERATOR_RUN, dataset=ds, compare=False)
            print(f"trained {target.value} v{t.version}: gate {t.refusals or 'passes'}")
            have = t.version
        with eng.begin() as conn:  # timing only: active regardless of the gate
            conn.execute(
                sa.update(risk_models)
                .where(risk_models.c.target == target.value)
                .values(active=risk_models.c.version == have)
            )
    began = time.perf_counter()
    print(f"score_all: {svc.score_all(eng, dataset=ds)} in {time.perf_counter() - began:.1f} s")
    victims = sorted({r.person_key for r in ds.of(Target.DA_REPEAT) if r.other_key})
    rng = np.random.default_rng(0)
    chosen = [victims[i] for i in rng.choice(len(victims), args.samples, replace=False)]
    when = ds.data_end - timedelta(hours=2)
    now = datetime.now(UTC)
    stamp = {"content_hash": "0" * 32, "first_ingested_at": now, "last_changed_at": now}
    times: list[float] = []
    cpus: list[float] = []  # CPU seconds of this process: less moved by other jobs' load
    prof = cProfile.Profile() if args.profile else None
    run = f"{os.getpid()}"
    for n, key in enumerate(chosen):
        with eng.begin() as conn:
            mention = HistoryRepository(conn).mentions_of([key])[0]
            ev = conn.execute(
                sa.insert(events).values(
                    source_system="bench", source_id=f"rescore-{run}-e{n}",
                    event_type="domestic_abuse", occurred_at=when, **stamp,
                ).returning(events.c.id)
            ).scalar_one()  # fmt: skip
            conn.execute(
                sa.insert(involvements).values(
                    source_system="bench", source_id=f"rescore-{run}-i{n}", event_id=ev,
                    mention_id=mention, role="victim", **stamp,
                )
            )  # fmt: skip
            if prof is not None:
                prof.enable()
            began, cpu = time.perf_counter(), time.process_time()
            svc.rescore_people(conn, [key])
            times.append(time.perf_counter() - began)
            cpus.append(time.process_time() - cpu)
            if prof is not None:
                prof.disable()
    ms = np.array(times) * 1000
    print(
        f"re-score one person ({len(ms) - 1} people, the first call apart): median "
        f"{np.median(ms[1:]):.1f} ms, p90 {np.percentile(ms[1:], 90):.1f} ms, "
        f"p95 {np.percentile(ms[1:], 95):.1f} ms, p99 {np.percentile(ms[1:], 99):.1f} ms, max "
        f"{ms[1:].max():.1f} ms, first {ms[0]:.1f} ms"
    )
    cpu_ms = np.array(cpus) * 1000
    print(
        f"  CPU time of the process: median {np.median(cpu_ms[1:]):.1f} ms, p90 "
        f"{np.percentile(cpu_ms[1:], 90):.1f} ms, p95 {np.percentile(cpu_ms[1:], 95):.1f} ms, "
        f"p99 {np.percentile(cpu_ms[1:], 99):.1f} ms"
    )
    if prof is not None:
        prof.dump_stats(args.profile)
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    eng.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
