"""How many ingest, link and assessment runs there have been, and how long the last took: read
from the runs tables, so that every process (CLI runs, web workers) reports the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.findings import assessment_runs
from safeguard.adapters.db.linkage import link_runs
from safeguard.adapters.db.tables import ingest_runs


@dataclass(frozen=True, slots=True)
class RunStats:
    kind: str  # ingest | link | assess
    by_status: dict[str, int]
    last_seconds: float | None
    last_finished: datetime | None


def _status(table: sa.Table) -> sa.ColumnElement[str]:
    if "status" in table.c:
        return table.c.status
    return sa.case((table.c.finished_at.is_(None), "running"), else_="done")


def run_stats(conn: Connection) -> list[RunStats]:
    """Runs of each kind by status, and the duration and end of the last finished one."""
    out: list[RunStats] = []
    for kind, table in (("ingest", ingest_runs), ("link", link_runs), ("assess", assessment_runs)):
        status = _status(table).label("status")
        counts = conn.execute(sa.select(status, sa.func.count()).group_by(status)).all()
        last = conn.execute(
            sa.select(table.c.started_at, table.c.finished_at)
            .where(table.c.finished_at.is_not(None))
            .order_by(table.c.id.desc())
            .limit(1)
        ).first()
        seconds = (last.finished_at - last.started_at).total_seconds() if last else None
        out.append(
            RunStats(
                kind,
                {str(s): int(n) for s, n in counts},
                seconds,
                last.finished_at if last else None,
            )
        )
    return out
