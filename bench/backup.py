"""Backup and restore of a simulated force, beside the bare tools measured in the same run.

1. Simulates the force (``safeguard simulate`` defaults: 500,000 people, five years, seed 1)
   into ``--out`` (reused when already there) and ingests it into a SQLite file and a fresh
   PostgreSQL database (``safeguard ingest``).
2. SQLite: ``safeguard backup`` beside ``sqlite3 DB ".backup FILE"``; ``safeguard restore`` into
   a new file beside ``sqlite3 NEW ".restore FILE"``.
3. PostgreSQL: ``safeguard backup`` beside ``pg_dump -Fc``; ``safeguard restore`` into a new
   database beside ``pg_restore`` into another new database.
safeguard's figure is the service call (``create_backup`` / ``restore_backup``: snapshot, copy,
manifest, SHA-256 of every file, and for restore the verification of counts and the whole audit
chain), timed in this process; the same command as its own process (``safeguard backup``, as
an operator runs it, Python start-up and imports included) is printed beside it. Prints wall
seconds and bytes of each and the ratio safeguard / bare tool (target <= 1.5).

    nice .venv/bin/python bench/backup.py [--population 500000] [--years 5] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from safeguard.adapters.db.dumps import libpq_url, pg_program
from safeguard.adapters.db.engine import make_engine
from safeguard.services.backup import create_backup, restore_backup

PG_ADMIN = os.environ.get(
    "SAFEGUARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SAFEGUARD = [sys.executable, "-m", "safeguard"]


def timed(args: Sequence[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(list(args), check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    return time.perf_counter() - started


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def env_for(url: str, data_dir: Path) -> dict[str, str]:
    return dict(os.environ, SAFEGUARD_DATABASE_URL=url, SAFEGUARD_DATA_DIR=str(data_dir))


def create_db(name: str) -> str:
    admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_db(url: str) -> None:
    admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    admin.dispose()


def row(
    what: str, ours: float, cli: float, bare: float, our_size: int | None, bare_size: int | None
) -> None:
    sizes = f"{our_size / 1e6:9.1f} MB {bare_size / 1e6:9.1f} MB" if our_size and bare_size else ""
    print(
        f"{what:<28} {ours:8.2f} s {bare:8.2f} s  ratio {ours / bare:5.2f}  "
        f"(command {cli:6.1f} s) {sizes}"
    )


def timed_call(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_sqlite(out: Path, interchange: Path) -> None:
    db = out / "force.db"
    if not db.exists():
        t = timed(
            [*SAFEGUARD, "ingest", str(interchange), "--quiet"], env_for(f"sqlite:///{db}", out)
        )
        print(f"ingested into SQLite in {t:.0f} s ({size(db) / 1e6:.0f} MB)")
    work = out / "sqlite-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    env = env_for(f"sqlite:///{db}", out / "data")
    eng = make_engine(f"sqlite:///{db}")
    ours = timed_call(lambda: create_backup(eng, data_dir=out / "data", dest=work / "bk"))
    eng.dispose()
    cli = timed([*SAFEGUARD, "backup", str(work / "bk-cli")], env)
    bare = timed(["sqlite3", str(db), f".backup {work / 'bare.db'}"])
    row("SQLite backup", ours, cli, bare, size(work / "bk"), size(work / "bare.db"))
    for name in ("restored", "restored-cli"):
        (work / name).mkdir()
    target = make_engine(f"sqlite:///{work / 'restored' / 'safeguard.db'}")
    ours = timed_call(lambda: restore_backup(target, data_dir=work / "data2", source=work / "bk"))
    target.dispose()
    cli_url = f"sqlite:///{work / 'restored-cli' / 'safeguard.db'}"
    cli = timed([*SAFEGUARD, "restore", str(work / "bk")], env_for(cli_url, work / "data3"))
    bare = timed(["sqlite3", str(work / "bare-restored.db"), f".restore {work / 'bare.db'}"])
    row("SQLite restore (+verify)", ours, cli, bare, None, None)
    shutil.rmtree(work)


def bench_postgres(out: Path, interchange: Path) -> None:
    url = create_db("bench_backup_force")
    try:
        t = timed([*SAFEGUARD, "ingest", str(interchange), "--quiet"], env_for(url, out))
        print(f"ingested into PostgreSQL in {t:.0f} s")
        work = out / "pg-run"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        eng = make_engine(url)
        dump, restore = pg_program("pg_dump", eng), pg_program("pg_restore", eng)
        ours = timed_call(lambda: create_backup(eng, data_dir=out / "data", dest=work / "bk"))
        cli = timed([*SAFEGUARD, "backup", str(work / "bk-cli")], env_for(url, out / "data"))
        bare = timed([dump, "-Fc", "--no-owner", "-f", str(work / "bare.pgdump"),
                      f"--dbname={libpq_url(eng)}"])  # fmt: skip
        eng.dispose()
        row("PostgreSQL backup", ours, cli, bare, size(work / "bk"), size(work / "bare.pgdump"))
        ours_url = create_db(f"bench_restore_{uuid.uuid4().hex[:8]}")
        cli_url = create_db(f"bench_restore_{uuid.uuid4().hex[:8]}")
        bare_url = create_db(f"bench_restore_{uuid.uuid4().hex[:8]}")
        try:
            target = make_engine(ours_url)
            ours = timed_call(
                lambda: restore_backup(target, data_dir=work / "data2", source=work / "bk")
            )
            target.dispose()
            cli = timed([*SAFEGUARD, "restore", str(work / "bk")], env_for(cli_url, work / "data3"))
            bare_eng = make_engine(bare_url)
            bare = timed([restore, "--single-transaction", "--exit-on-error", "--no-owner",
                          "--no-privileges", f"--dbname={libpq_url(bare_eng)}",
                          str(work / "bare.pgdump")])  # fmt: skip
            bare_eng.dispose()
            row("PostgreSQL restore (+verify)", ours, cli, bare, None, None)
        finally:
            drop_db(ours_url)
            drop_db(cli_url)
            drop_db(bare_url)
        shutil.rmtree(work)
    finally:
        drop_db(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/out/backup"))
    parser.add_argument("--population", type=int, default=500_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    out = args.out / f"p{args.population}-y{args.years}"
    interchange = out / "interchange"
    if not interchange.exists():
        t = timed([*SAFEGUARD, "simulate", "--out", str(out), "--population",
                   str(args.population), "--years", str(args.years), "--quiet"])  # fmt: skip
        print(f"simulated {args.population:,} people, {args.years} years in {t:.0f} s")
    print(f"{'':<28} {'safeguard':>10} {'bare tool':>10}")
    bench_sqlite(out, interchange)
    if not args.skip_postgres:
        bench_postgres(out, interchange)
    return 0


if __name__ == "__main__":
    sys.exit(main())
