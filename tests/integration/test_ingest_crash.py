"""A run killed at any point (kill -9) and run again ends exactly as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.tables import metadata, person_mentions, record_history
from tests.conftest import count
from tests.factories import event, involvement, mention, write_csv
from tests.integration.test_ingest import snapshot

pytestmark = pytest.mark.slow
ROWS = 20_000


def _force(folder: Path) -> Path:
    folder.mkdir()
    mentions = [
        mention(f"P{i}", surname=f"S{i % 977}", forenames=f"F{i % 131}") for i in range(ROWS)
    ]
    mentions.insert(100, mention("P5", surname="Conflicting"))  # a bad row to quarantine
    write_csv(folder / "m.csv", mentions)
    write_csv(folder / "e.csv", [event(f"E{i}") for i in range(2000)])
    write_csv(folder / "i.csv", [involvement(f"I{i}", f"E{i}", f"P{i}") for i in range(2000)])
    return folder


def _run(url: str, folder: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SAFEGUARD_DATABASE_URL=url, SAFEGUARD_INGEST_BATCH_ROWS="500")
    return subprocess.Popen(
        [sys.executable, "-m", "safeguard", "ingest", str(folder), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is not record_history and not table.name.startswith("audit"):
                conn.execute(table.delete())
        conn.execute(record_history.delete())  # last: the deletes above wrote history rows


def test_a_killed_ingest_run_again_ends_as_an_uninterrupted_one(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    folder = _force(tmp_path / "in")
    assert _run(db_url, folder).wait(timeout=300) == 0  # a quarantined row fails only --strict
    expected = snapshot(engine)
    _empty(engine)

    for delay in (1.5, 3.0):
        proc = _run(db_url, folder)
        deadline = time.monotonic() + 120
        while count(engine, person_mentions) < 1000 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(delay / 10)  # kill at different points of the run
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = count(engine, person_mentions)
        assert 0 < partial <= ROWS
    assert _run(db_url, folder).wait(timeout=300) == 0
    assert snapshot(engine) == expected
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(person_mentions)).scalar() == ROWS
        )
