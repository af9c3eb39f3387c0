"""A small simulated force for the fault-injection tests, and what a run leaves stored, compared
by content (source ids and the partition of mentions into people), not by surrogate ids, which a
killed transaction may have used up on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.findings import findings, procedure_checks
from safeguard.adapters.db.linkage import link_reviews
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import (
    data_quality_flags,
    person_mentions,
    quarantine,
    record_tables,
)

SEED = 7
POPULATION = 1500
YEARS = 2
SKIP = {"id", "first_ingested_at", "last_changed_at", "quarantined_at", "run_id", "flagged_at"}


def simulate(out: Path) -> Path:
    """The force's interchange folder (``safeguard simulate`` with a fixed seed)."""
    subprocess.run(
        [sys.executable, "-m", "safeguard", "simulate", "-n", str(POPULATION), "--years",
         str(YEARS), "--seed", str(SEED), "--out", str(out), "-q"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return out / "interchange"


def command(url: str, data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        SAFEGUARD_DATABASE_URL=url,
        SAFEGUARD_DATA_DIR=str(data_dir),
        SAFEGUARD_INGEST_BATCH_ROWS="100",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "safeguard", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _records(conn: sa.Connection) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for table in [*record_tables.values(), quarantine, data_quality_flags]:
        cols: list[sa.ColumnElement[object]] = []
        for c in table.columns:
            if c.name in SKIP:
                continue
            fk = next(iter(c.foreign_keys), None)
            if fk is not None and "source_id" in fk.column.table.c:
                target = fk.column.table
                cols.append(sa.select(target.c.source_id).where(target.c.id == c).scalar_subquery())
            else:
                cols.append(c)
        out[table.name] = sorted(tuple(str(v) for v in r) for r in conn.execute(sa.select(*cols)))
    return out


def stored(engine: Engine) -> dict[str, object]:
    """Everything ingest, link and assess leave, comparable between two databases."""
    with engine.connect() as conn:
        source = dict(
            conn.execute(sa.select(person_mentions.c.id, person_mentions.c.source_id))
            .tuples()
            .all()
        )
        members: dict[int, set[str]] = {}
        for mention_id, person_id in conn.execute(
            sa.select(person_links.c.mention_id, person_links.c.person_id)
        ):
            members.setdefault(int(person_id), set()).add(str(source[mention_id]))
        rep = {p: min(m) for p, m in members.items()}

        def who(key: str) -> str:
            number = int(key[1:])
            return rep.get(number, "?") if key.startswith("P") else str(source.get(number))

        found = sorted(
            (who(r.person_key), r.rule_id, r.rule_version, r.category, r.kind, r.severity,
             str(r.due_at), str(r.done_at), r.status)
            for r in conn.execute(sa.select(findings))
        )  # fmt: skip
        checks = sorted(
            (who(r.person_key), r.rule_id, str(r.trigger_at), str(r.due_at), str(r.done_at),
             bool(r.on_time))
            for r in conn.execute(sa.select(procedure_checks))
        )  # fmt: skip
        reviews = sorted(
            (str(source[r.mention_id_l]), str(source[r.mention_id_r]), r.status)
            for r in conn.execute(sa.select(link_reviews))
        )
        return {
            "records": _records(conn),
            "people": sorted(sorted(m) for m in members.values()),
            "findings": found,
            "checks": checks,
            "reviews": reviews,
        }
