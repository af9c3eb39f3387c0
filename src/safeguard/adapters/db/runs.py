"""Runs of every kind (ingest, link, assess): who runs them, and the ones whose process is gone.

A run records its process (pid and host). When a run is found "running" but its process on this
host no longer lives, it was killed or crashed: it is marked ``abandoned`` (at the next start of
any run, and by ``safeguard status``). A run on another host cannot be checked from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters import processes
from safeguard.adapters.db.findings import assessment_runs
from safeguard.adapters.db.linkage import link_runs
from safeguard.adapters.db.tables import ingest_runs

RUN_TABLES: dict[str, sa.Table] = {
    "ingest": ingest_runs,
    "link": link_runs,
    "assess": assessment_runs,
}
ABANDONED = "abandoned"


def this_process() -> dict[str, Any]:
    """Column values naming the current process, for a new run row."""
    return {"pid": os.getpid(), "host": processes.host_name()}


@dataclass(frozen=True, slots=True)
class RunRow:
    kind: str
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    actor: str
    pid: int | None
    host: str | None
    detail: str


def mark_abandoned(conn: Connection, *, now: datetime | None = None) -> list[tuple[str, int]]:
    """Mark "running" runs whose process on this host is gone as abandoned; returns them."""
    host = processes.host_name()
    done: list[tuple[str, int]] = []
    at = now or datetime.now(UTC)
    for kind, table in RUN_TABLES.items():
        rows = conn.execute(
            sa.select(table.c.id, table.c.pid, table.c.started_at).where(
                table.c.status == "running", table.c.host == host, table.c.pid.is_not(None)
            )
        ).all()
        for rid, pid, started in rows:
            if processes.alive(int(pid), started):
                continue
            conn.execute(
                sa.update(table)
                .where(table.c.id == rid, table.c.status == "running")
                .values(status=ABANDONED, finished_at=at)
            )
            done.append((kind, int(rid)))
    return done


def reconcile(engine: Engine) -> list[tuple[str, int]]:
    """:func:`mark_abandoned` in its own transaction."""
    with engine.begin() as conn:
        return mark_abandoned(conn)


def running(conn: Connection, kind: str) -> list[RunRow]:
    """Runs of ``kind`` still marked running."""
    return [r for r in recent(conn, kind, limit=1000) if r.status == "running"]


def recent(conn: Connection, kind: str, *, limit: int = 5) -> list[RunRow]:
    """The latest runs of ``kind``, newest first."""
    table = RUN_TABLES[kind]
    out: list[RunRow] = []
    for r in conn.execute(sa.select(table).order_by(table.c.id.desc()).limit(limit)):
        m = r._mapping
        out.append(
            RunRow(
                kind,
                int(m["id"]),
                str(m["status"]),
                m["started_at"],
                m["finished_at"],
                str(m["actor"]),
                m["pid"],
                m["host"],
                _detail(kind, m),
            )
        )
    return out


def _detail(kind: str, m: Any) -> str:
    if kind == "ingest":
        return (
            f"{m['files']:,} files, {m['rows_read']:,} rows read, {m['inserted']:,} new, "
            f"{m['updated']:,} changed, {m['quarantined']:,} quarantined, "
            f"{m['flagged']:,} fields flagged"
        )
    if kind == "link":
        return (
            f"{m['kind']}, {m['mentions']:,} mentions, {m['people']:,} people, "
            f"{m['review_items']:,} to review"
        )
    return (
        f"{m['scope']}, {m['people']:,} people, {m['findings_new']:,} new findings, "
        f"{m['findings_closed']:,} closed"
    )


def start(
    conn: Connection, kind: str, *, actor: str, started_at: datetime, scope: str | None = None
) -> int:
    """A new "running" row of ``kind`` naming this process; its id. ``scope`` is for
    assessment runs (``all``, ``since``, ...)."""
    table = RUN_TABLES[kind]
    values: dict[str, Any] = {
        "started_at": started_at,
        "status": "running",
        "actor": actor,
        **this_process(),
    }
    if scope is not None:
        values["scope"] = scope
    return int(conn.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one())


def fail(conn: Connection, kind: str, run_id: int) -> None:
    """Mark the run failed, finished now."""
    table = RUN_TABLES[kind]
    conn.execute(
        sa.update(table)
        .where(table.c.id == run_id)
        .values(status="failed", finished_at=datetime.now(UTC))
    )


def finish_assessment(
    conn: Connection, run_id: int, *, people: int, new: int, changed: int, closed: int
) -> None:
    """Mark an assessment run done, finished now, with its counts."""
    conn.execute(
        sa.update(assessment_runs)
        .where(assessment_runs.c.id == run_id)
        .values(
            status="done",
            finished_at=datetime.now(UTC),
            people=people,
            findings_new=new,
            findings_changed=changed,
            findings_closed=closed,
        )
    )


def last_full_assessment_start(conn: Connection) -> datetime | None:
    """When the last finished ``all`` or ``since`` assessment run started; None when none has."""
    started: datetime | None = conn.execute(
        sa.select(sa.func.max(assessment_runs.c.started_at)).where(
            assessment_runs.c.status == "done",
            assessment_runs.c.scope.in_(("all", "since")),
        )
    ).scalar_one_or_none()
    return started


@dataclass(frozen=True, slots=True)
class IngestTotals:
    """The counts an ingest run records when it finishes."""

    files: int
    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    flagged: int


def finish_ingest(conn: Connection, run_id: int, status: str, totals: IngestTotals) -> None:
    """Mark an ingest run finished now with ``status`` and its totals."""
    conn.execute(
        sa.update(ingest_runs)
        .where(ingest_runs.c.id == run_id)
        .values(
            finished_at=datetime.now(UTC),
            status=status,
            files=totals.files,
            rows_read=totals.rows_read,
            inserted=totals.inserted,
            updated=totals.updated,
            unchanged=totals.unchanged,
            quarantined=totals.quarantined,
            flagged=totals.flagged,
        )
    )


def add_ingest_counts(
    conn: Connection, run_id: int, *, quarantined: int, inserted: int, updated: int, flagged: int
) -> None:
    """Add a batch's counts to its ingest run's running totals (in the batch's transaction)."""
    conn.execute(
        sa.update(ingest_runs)
        .where(ingest_runs.c.id == run_id)
        .values(
            inserted=ingest_runs.c.inserted + inserted,
            updated=ingest_runs.c.updated + updated,
            quarantined=ingest_runs.c.quarantined + quarantined,
            flagged=ingest_runs.c.flagged + flagged,
        )
    )
