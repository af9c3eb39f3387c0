"""Database snapshots: SQLite's online backup API and PostgreSQL's pg_dump / pg_restore.

Only this module runs the PostgreSQL client programs; it finds the ones whose major version is
the server's (Debian keeps each under /usr/lib/postgresql/<major>/bin).
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import sqlite3
import subprocess  # noqa: S404 - pg_dump / pg_restore are run with argument lists, no shell
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.errors import ConfigError, ValidationFailed

logger = logging.getLogger(__name__)
PG_BIN_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What was true of the database at the instant the dump saw it."""

    revision: str | None
    counts: dict[str, int]
    audit_seq: int
    audit_hash: str


def table_counts(conn: Connection) -> dict[str, int]:
    """Rows of every table in the database (safeguard's and Alembic's)."""
    names = sa.inspect(conn).get_table_names()
    prep = conn.dialect.identifier_preparer
    return {
        name: int(
            conn.execute(sa.text(f"SELECT count(*) FROM {prep.quote(name)}")).scalar_one()  # noqa: S608
        )
        for name in sorted(names)
    }


def snapshot_of(conn: Connection) -> Snapshot:
    """Schema revision, row counts and audit head, read in ``conn``'s transaction."""
    counts = table_counts(conn)
    revision = None
    if "alembic_version" in counts:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    seq, digest = 0, "0" * 64
    if "audit_head" in counts:
        head = conn.execute(
            sa.text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
        ).one_or_none()
        if head is not None:
            seq, digest = int(head[0]), str(head[1])
    return Snapshot(revision, counts, seq, digest)


def is_empty(engine: Engine) -> bool:
    """No tables, or tables with no rows at all (a freshly migrated database is empty)."""
    with engine.connect() as conn:
        counts = table_counts(conn)
    return all(n == 0 for name, n in counts.items() if name != "alembic_version")


# SQLite -------------------------------------------------------------------------------------


def sqlite_backup(source: Path, dest: Path) -> None:
    """Copy a live SQLite database with the online backup API (a consistent snapshot even while
    others write; pages are copied in steps so writers are not held up for the whole copy)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
    finally:
        dst.close()
        src.close()


def sqlite_snapshot(path: Path) -> Snapshot:
    eng = sa.create_engine(f"sqlite:///{path}")
    try:
        with eng.connect() as conn:
            return snapshot_of(conn)
    finally:
        eng.dispose()


def sqlite_restore(backup: Path, target: Path) -> None:
    """Put ``backup`` in place of ``target``: built beside it, then renamed over it, so that a
    restore killed part-way leaves the target as it was (never a half-written file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".restoring")
    building.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(building)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    with open(building, "rb") as fh:
        os.fsync(fh.fileno())
    # A write-ahead log left by the old database would be replayed into the new one.
    for suffix in ("-wal", "-shm"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(building, target)


# PostgreSQL ---------------------------------------------------------------------------------


def libpq_url(engine: Engine) -> str:
    """The engine's URL as libpq programs take it (no SQLAlchemy driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_program(name: str, engine: Engine, bin_dir: Path | None = None) -> str:
    """The ``pg_dump`` / ``pg_restore`` / ``pg_basebackup`` of the server's major version.

    Raises:
        ConfigError: no such program of that version on this machine.
    """
    with engine.connect() as conn:
        major = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    candidates = [bin_dir / name] if bin_dir else []
    candidates.append(PG_BIN_ROOT / str(major) / "bin" / name)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and _major_of(path) == major:
            return str(path)
    raise ConfigError(
        f"{name} for PostgreSQL {major} not found (looked in {', '.join(map(str, candidates))}); "
        f"install postgresql-client-{major} or set SAFEGUARD_PG_BIN_DIR"
    )


def _major_of(program: Path) -> int | None:
    out = subprocess.run(  # noqa: S603
        [str(program), "--version"], capture_output=True, text=True, check=False
    ).stdout
    for word in out.split():
        head = word.split(".")[0]
        if head.isdigit():
            return int(head)
    return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_program(args: Sequence[str], what: str) -> None:
    """Run a client program; a failure becomes a clear error with its own message. The child
    dies with this process (a killed backup or restore leaves no program running)."""
    done = subprocess.run(  # noqa: S603
        list(args), capture_output=True, text=True, check=False, preexec_fn=_die_with_parent
    )
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise ValidationFailed(f"{what} failed: {' / '.join(message[-3:]) or done.returncode}")


@contextmanager
def pg_snapshot(engine: Engine) -> Iterator[tuple[str, Snapshot]]:
    """A repeatable-read transaction held open with its snapshot exported: ``pg_dump
    --snapshot`` then dumps exactly what the counts and audit head were read from."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            name = str(conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one())
            yield name, snapshot_of(conn)


def pg_dump(engine: Engine, dest: Path, snapshot: str, bin_dir: Path | None = None) -> None:
    program = pg_program("pg_dump", engine, bin_dir)
    run_program(
        [program, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(dest),
         f"--dbname={libpq_url(engine)}"],
        "pg_dump",
    )  # fmt: skip


def pg_reset(engine: Engine) -> None:
    """Drop everything in the public schema (a target about to be restored into)."""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))


def pg_restore(engine: Engine, dump: Path, bin_dir: Path | None = None) -> None:
    """Restore a custom-format dump in one transaction: killed part-way, nothing is kept."""
    program = pg_program("pg_restore", engine, bin_dir)
    engine.dispose()
    run_program(
        [program, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
         f"--dbname={libpq_url(engine)}", str(dump)],
        "pg_restore",
    )  # fmt: skip
