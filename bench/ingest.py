"""Ingest throughput against bare database baselines measured in the same run.

Generates N person-mention rows (CSV), then for SQLite and PostgreSQL:
  baseline: the same rows, already in memory as tuples, inserted into the same table with
            sqlite3 executemany / PostgreSQL COPY (no parsing, no validation, no history);
  safeguard: `safeguard ingest FILE` in a child process (parse, validate, dedupe, store),
            whose peak resident memory is read from the kernel.
Prints rows per second, the ratio safeguard / baseline (target >= 0.5) and peak memory
(target < 500 MB).

    python bench/ingest.py [--rows 1000000] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg

from safeguard.adapters.db.engine import make_engine, upgrade

PG_ADMIN = os.environ.get(
    "SAFEGUARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
COLUMNS = [
    "record_type",
    "schema_version",
    "source_system",
    "source_id",
    "forenames",
    "surname",
    "date_of_birth",
    "sex",
    "ethnicity",
    "address",
    "postcode",
    "phone",
    "mention_date",
]
FORENAMES = [
    "Robert",
    "Jane",
    "Amy",
    "Mohammed",
    "Olivia",
    "Jack",
    "Sophie",
    "Harry",
    "Emily",
    "Thomas",
    "Grace",
    "Oliver",
    "Chloe",
    "James",
    "Lily",
    "William",
    "Ella",
    "Noah",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Armstrong",
    "Graham",
    "Bell",
    "Robinson",
    "Thompson",
    "Nixon",
    "Irving",
    "Elliott",
    "Stephenson",
    "Hodgson",
]


def generate(path: Path, n: int) -> None:
    rng = random.Random(7)
    start = date(1940, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for i in range(n):
            dob = start + timedelta(days=rng.randrange(0, 30000))
            w.writerow(
                [
                    "person_mention",
                    "1",
                    "NICHE",
                    f"P{i:08d}",
                    rng.choice(FORENAMES),
                    rng.choice(SURNAMES),
                    dob.isoformat(),
                    rng.choice(["male", "female"]),
                    "W1",
                    f"{rng.randrange(1, 200)} High Street, Carlisle",
                    f"CA{rng.randrange(1, 28)} {rng.randrange(1, 9)}AB",
                    f"07700 9{rng.randrange(10000, 99999)}",
                    "2024-01-01",
                ]
            )


def stored_tuples(path: Path) -> list[tuple[object, ...]]:
    """The rows as the table stores them, built before the baseline clock starts."""
    now = "2025-01-01 00:00:00.000000"
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out.append(
                (
                    r["source_system"],
                    r["source_id"],
                    r["forenames"],
                    r["surname"],
                    r["date_of_birth"],
                    r["sex"],
                    r["ethnicity"],
                    r["address"],
                    r["postcode"],
                    r["phone"],
                    r["mention_date"],
                    "0" * 32,
                    1,
                    now,
                    now,
                )
            )
    return out


TARGET_COLS = (
    "source_system, source_id, forenames, surname, date_of_birth, sex, ethnicity, "
    "address, postcode, phone, mention_date, content_hash, version, "
    "first_ingested_at, last_changed_at"
)


def migrated(url: str) -> None:
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()


CHILD = """
import runpy, sys
sys.argv = ["safeguard", "ingest", sys.argv[1], "--quiet"]
try:
    runpy.run_module("safeguard", run_name="__main__")
except SystemExit as exit:
    if exit.code:
        raise
finally:
    # The child's own peak (VmHWM, kB) after exec: getrusage() would include the pages of this
    # benchmark process that the fork copied before exec.
    with open("/proc/self/status") as fh:
        hwm = next(line.split()[1] for line in fh if line.startswith("VmHWM:"))
    print(hwm, file=sys.stderr)
"""


def run_safeguard(url: str, path: Path) -> tuple[float, float]:
    """Time `safeguard ingest` in a fresh process; return (seconds, its peak RSS in MB)."""
    env = dict(os.environ, SAFEGUARD_DATABASE_URL=url)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb / 1024


def sqlite_baseline(url: str, rows: list[tuple[object, ...]]) -> float:
    db = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    sql = f"INSERT INTO person_mentions ({TARGET_COLS}) VALUES ({', '.join('?' * 15)})"
    for i in range(0, len(rows), 50_000):
        conn.executemany(sql, rows[i : i + 50_000])
        conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def pg_database() -> tuple[str, str]:
    name = f"sg_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def pg_drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_baseline(url: str, rows: list[tuple[object, ...]]) -> float:
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        for i in range(0, len(rows), 50_000):
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY person_mentions ({TARGET_COLS}) FROM STDIN") as copy,
            ):
                for row in rows[i : i + 50_000]:
                    copy.write_row(row)
            conn.commit()
        return time.perf_counter() - t0


def report(label: str, n: int, base: float, ours: float, peak_mb: float) -> bool:
    ratio = base / ours
    print(
        f"{label:<10} baseline {n / base:>10,.0f} rows/s   safeguard {n / ours:>10,.0f} rows/s"
        f"   ratio {ratio:.2f} (target >= 0.50)   peak {peak_mb:,.0f} MB (target < 500)"
    )
    return ratio >= 0.5 and peak_mb < 500


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "person_mention.csv"
        generate(data, args.rows)
        rows = stored_tuples(data)
        print(f"{args.rows:,} rows, {data.stat().st_size / 1e6:,.0f} MB of CSV")

        base_url, ours_url = f"sqlite:///{tmp}/base.db", f"sqlite:///{tmp}/ours.db"
        migrated(base_url)
        migrated(ours_url)
        base = sqlite_baseline(base_url, rows)
        ours, peak = run_safeguard(ours_url, data)
        ok &= report("SQLite", args.rows, base, ours, peak)

        if not args.skip_postgres:
            names = []
            try:
                name_a, url_a = pg_database()
                name_b, url_b = pg_database()
                names = [name_a, name_b]
                migrated(url_a)
                migrated(url_b)
                base = pg_baseline(url_a, rows)
                ours, peak = run_safeguard(url_b, data)
                ok &= report("PostgreSQL", args.rows, base, ours, peak)
            finally:
                for name in names:
                    pg_drop(name)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
