"""Fault injection: ingest, link and assess are killed (SIGKILL) at random points on SQLite and
PostgreSQL, run again, and must leave exactly what a clean run leaves; the killed run is marked
abandoned, and a killed assess leaves no worker process behind."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from safeguard.adapters import processes
from safeguard.adapters.db import runs
from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.services.assessment import assess_all
from safeguard.services.ingest import ingest_paths
from safeguard.services.linking.config import LinkConfig
from safeguard.services.linking.runs import link_all
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.faults.force import command, simulate, stored

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]
STAGES = (
    ("ingest", ("ingest", "{folder}", "--quiet")),
    ("link", ("link", "--quiet")),
    ("assess", ("assess", "--quiet", "--workers", "2")),
)


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("force"))


def _pipeline(engine: Engine, folder: Path, data_dir: Path, stage: str) -> None:
    if stage == "ingest":
        ingest_paths(engine, [folder], actor=OPERATOR_RUN)
    elif stage == "link":
        link_all(engine, actor=OPERATOR_RUN, config=LinkConfig(store_dir=data_dir / "linkage"))
    else:
        assess_all(engine, actor=OPERATOR_RUN, workers=2)


@pytest.fixture(scope="module")
def clean(force: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What an uninterrupted ingest, link and assess leave (SQLite)."""
    folder = tmp_path_factory.mktemp("clean")
    engine = make_engine(f"sqlite:///{folder / 'clean.db'}")
    upgrade(engine)
    for stage, _ in STAGES:
        _pipeline(engine, force, folder, stage)
    try:
        return stored(engine)
    finally:
        engine.dispose()


def _running_run(engine: Engine, kind: str, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if runs.running(conn, kind):
                return True
        time.sleep(0.05)
    return False


def _tagged(pid_tag: str) -> list[int]:
    """Live processes whose environment carries ``pid_tag`` (the killed command's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if pid_tag.encode() in env and processes.alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def test_killed_runs_rerun_to_the_clean_result(
    engine: Engine, db_url: str, force: Path, clean: dict[str, object], tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED_TAG}-{engine.dialect.name}")
    abandoned = []
    hit = []  # stages whose process was still working when it was killed
    for kind, args in STAGES:
        tag = f"SAFEGUARD_FAULT_TAG_{kind}_{rng.randrange(10**9)}"
        os.environ[tag] = "1"
        try:
            proc = command(db_url, tmp_path, *(a.format(folder=force) for a in args))
        finally:
            del os.environ[tag]
        if _running_run(engine, kind):
            time.sleep(rng.uniform(0.0, 1.5))  # a random point of the run
        hit.append(proc.poll() is None)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while _tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _tagged(tag) == [], f"{kind}: processes outlived the killed command"
        abandoned += runs.reconcile(engine)
        _pipeline(engine, force, tmp_path, kind)  # run it again, to the end
    assert stored(engine) == clean
    with engine.connect() as conn:
        for kind in ("ingest", "link", "assess"):
            assert runs.running(conn, kind) == [], kind
    assert any(hit), "no kill landed inside a run"
    assert {k for k, _ in abandoned} <= {"ingest", "link", "assess"}


SEED_TAG = "faults-1"
