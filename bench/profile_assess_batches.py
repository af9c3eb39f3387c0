"""Profile a full assessment's path in one process: the first K batches of people read,
evaluated, flattened and written (what each worker and the writer do, without the workers).

Prints the CPU seconds of the reads and rules (``prepare``) and of the writes (``sync``); with
an output file, also a cProfile dump to compare two trees (``pstats``). The database is
modified (its findings are deleted first): pass a copy.

    PYTHONPATH=src python bench/profile_assess_batches.py <copy.db> <K> [out.prof]
"""

from __future__ import annotations

import cProfile
import sys
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from safeguard.adapters.db import finding_sync as sync
from safeguard.adapters.db.engine import make_engine
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.services import assessment as svc

try:  # the baseline before issue 13's principals recorded a plain name
    from safeguard.adapters.db.finding_sync import RULES_ENGINE as ACTOR
except ImportError:  # pragma: no cover - older trees only
    ACTOR = "system:assess"  # type: ignore[assignment]


def main() -> None:
    db, k = sys.argv[1], int(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) > 3 else None
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        for table in ("procedure_checks", "finding_history", "findings", "assessment_runs"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    assessor = svc.Assessor.from_settings()
    review = assessor.config.versions["CORRECTION-REVIEW"]
    with engine.connect() as conn:
        total, batches = HistoryRepository(conn).batches(svc.BATCH_PEOPLE)
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)  # fixed, so two trees' rows can be compared
    spent = {"prepare": 0.0, "sync": 0.0}
    prof = cProfile.Profile() if out else None
    start = time.process_time()
    if prof:
        prof.enable()
    for batch in batches[:k]:
        t = time.process_time()
        prepared = svc._prepare_batch(engine, assessor, batch, now)
        spent["prepare"] += time.process_time() - t
        t = time.process_time()
        with engine.begin() as conn:
            sync.sync_prepared(conn, prepared, now, actor=ACTOR, review_version=review)
        spent["sync"] += time.process_time() - t
    if prof and out:
        prof.disable()
        prof.dump_stats(out)
    with engine.connect() as conn:
        n_findings = conn.execute(sa.text("SELECT count(*) FROM findings")).scalar_one()
    print(
        f"{min(k, len(batches))} batches of {total:,} people: cpu "
        f"{time.process_time() - start:.2f} s (prepare {spent['prepare']:.2f}, "
        f"sync {spent['sync']:.2f}); {n_findings:,} findings"
    )


if __name__ == "__main__":
    main()
