"""Runs end cleanly: a run whose process is gone is marked abandoned, `safeguard status` shows
every kind of run, worker processes die with their parent, and one link run at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters import processes
from safeguard.adapters.db import runs
from safeguard.cli import app
from safeguard.errors import Conflict
from safeguard.services.linking.config import LinkConfig
from safeguard.services.linking.runs import link_all
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.linkage_data import insert_mentions, make_mentions, make_people

VALUES = {
    "ingest": {"actor": "test"},
    "link": {"actor": "test", "kind": "batch", "backend": "duckdb"},
    "assess": {"actor": "test", "scope": "all"},
}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running(engine: Engine, kind: str, pid: int, started: datetime | None = None) -> int:
    table = runs.RUN_TABLES[kind]
    with engine.begin() as conn:
        return int(
            conn.execute(
                sa.insert(table)
                .values(
                    status="running",
                    started_at=started or datetime.now(UTC),
                    pid=pid,
                    host=processes.host_name(),
                    **VALUES[kind],
                )
                .returning(table.c.id)
            ).scalar_one()
        )


def _status(engine: Engine, kind: str, run_id: int) -> str:
    table = runs.RUN_TABLES[kind]
    with engine.connect() as conn:
        return str(conn.execute(sa.select(table.c.status).where(table.c.id == run_id)).scalar())


@pytest.mark.parametrize("kind", ["ingest", "link", "assess"])
def test_a_run_whose_process_is_gone_is_marked_abandoned(engine: Engine, kind: str) -> None:
    dead = _running(engine, kind, _dead_pid())
    assert runs.reconcile(engine) == [(kind, dead)]
    assert _status(engine, kind, dead) == "abandoned"
    live = _running(engine, kind, os.getpid())  # this process: alive
    assert runs.reconcile(engine) == []
    assert _status(engine, kind, live) == "running"


def test_a_reused_pid_does_not_keep_an_old_run_alive(engine: Engine) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.2)
        old = _running(engine, "ingest", sleeper.pid, datetime.now(UTC) - timedelta(hours=1))
        recent = _running(engine, "assess", sleeper.pid, datetime.now(UTC))
        assert runs.reconcile(engine) == [("ingest", old)]
        assert _status(engine, "assess", recent) == "running"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_second_link_run_is_refused_with_a_clear_message(engine: Engine, tmp_path: Path) -> None:
    first = _running(engine, "link", os.getpid())
    with pytest.raises(Conflict, match=rf"link run {first} .* is still running; one link run"):
        link_all(engine, actor=OPERATOR_RUN, config=LinkConfig(store_dir=tmp_path))
    # Once its process is gone, the next start marks it abandoned and goes ahead.
    with engine.begin() as conn:
        conn.execute(
            sa.update(runs.RUN_TABLES["link"])
            .where(runs.RUN_TABLES["link"].c.id == first)
            .values(pid=_dead_pid())
        )
    insert_mentions(engine, make_mentions(make_people(40)))
    summary = link_all(engine, actor=OPERATOR_RUN, config=LinkConfig(store_dir=tmp_path))
    assert _status(engine, "link", first) == "abandoned"
    assert _status(engine, "link", summary.run_id) == "done"


def test_status_shows_every_kind_of_run_and_marks_dead_ones(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguard.config import get_settings

    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        dead = {kind: _running(engine, kind, _dead_pid()) for kind in ("link", "assess")}
        result = CliRunner().invoke(app, ["status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for kind, run_id in dead.items():
        assert f"{kind} run {run_id} was left running by a process that is gone" in text
        assert _status(engine, kind, run_id) == "abandoned"
    assert "none yet" in text and "abandoned" in text
    assert "fields flagged and stored as null: 0" in text


def test_a_worker_dies_with_its_parent(tmp_path: Path) -> None:
    """A parent process starts a spawned worker that calls die_with_parent, then is killed."""
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import multiprocessing, os, sys, time
            from safeguard.adapters.processes import die_with_parent

            def work(parent):
                die_with_parent(parent)
                time.sleep(60)

            if __name__ == "__main__":
                child = multiprocessing.get_context("spawn").Process(
                    target=work, args=(os.getpid(),)
                )
                child.start()
                print(child.pid, flush=True)
                time.sleep(60)
            """
        )
    )
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(1.0)  # let the child reach prctl
    assert processes.alive(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while processes.alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.alive(child)
