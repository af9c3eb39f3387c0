"""A restore killed (kill -9) at random points and run again ends exactly as an uninterrupted
restore: same rows in every table, same linkage store, audit chain verified. The re-runs need
no --force: the data directory remembers the backup being restored."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from safeguard.adapters.db.engine import make_engine
from safeguard.services.backup import MARKER, create_backup
from tests.integration.test_backup import content_digest, fresh_database, populated

pytestmark = pytest.mark.slow
KILLS = 4


def _command(url: str, data_dir: Path, backup: Path) -> dict[str, object]:
    return {
        "args": [sys.executable, "-m", "safeguard", "restore", str(backup)],
        "env": dict(os.environ, SAFEGUARD_DATABASE_URL=url, SAFEGUARD_DATA_DIR=str(data_dir)),
    }


def _restore(url: str, data_dir: Path, backup: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        **_command(url, data_dir, backup), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _restore_to_the_end(url: str, data_dir: Path, backup: Path) -> None:
    done = subprocess.run(  # type: ignore[call-overload]  # noqa: S603
        **_command(url, data_dir, backup), capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_restore_killed_at_random_points_then_run_again_ends_identical(
    engine: Engine, tmp_path: Path
) -> None:
    kind = engine.dialect.name
    populated(engine, tmp_path / "data")
    big = tmp_path / "data" / "linkage" / "features.parquet"
    big.write_bytes(os.urandom(8_000_000))  # a store large enough to be killed mid-copy
    backup = tmp_path / "bk"
    create_backup(engine, data_dir=tmp_path / "data", dest=backup)
    expected = content_digest(engine)
    rng = random.Random(18)  # noqa: S311 - kill timing, not security

    with fresh_database(kind, tmp_path / "clean") as clean_url:
        started = time.monotonic()
        _restore_to_the_end(clean_url, tmp_path / "clean-data", backup)
        took = time.monotonic() - started

    # Kill times are drawn from the clean run's duration. On a loaded machine a later restore
    # can be much faster than the clean one and finish before it is killed twice; the test then
    # starts again on a new empty target with half the time, instead of failing for the load.
    for attempt in range(3):
        with fresh_database(kind, tmp_path / f"target{attempt}") as url:
            data_dir = tmp_path / f"killed{attempt}"
            killed, completed = 0, False
            for _ in range(KILLS):
                proc = _restore(url, data_dir, backup)
                time.sleep(rng.uniform(0.1, 0.95) * took)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    killed += 1
                proc.wait(timeout=60)
                if proc.returncode == 0:
                    completed = True
                    break
                assert proc.returncode == -signal.SIGKILL
            if killed < 2:
                took /= 2
                continue
            if not completed:
                _restore_to_the_end(url, data_dir, backup)
            target = make_engine(url)
            assert content_digest(target) == expected
            target.dispose()
            break
    else:
        pytest.fail("the restore finished before it could be killed twice, in three attempts")
    assert (data_dir / "linkage" / "features.parquet").read_bytes() == big.read_bytes()
    assert not (data_dir / MARKER).exists()
    assert not (data_dir / "linkage.restoring").exists()
