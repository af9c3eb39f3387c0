"""A simulated force passes `safeguard ingest --strict` on SQLite and PostgreSQL, in every
format: nothing quarantined, every row stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters.db.tables import record_tables
from safeguard.cli import app
from safeguard.config import get_settings
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN
from safeguard.simulation import SimulationConfig, simulate
from tests.conftest import count


@pytest.fixture(scope="module")
def forces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, int]]]:
    out = {}
    for fmt in ("csv", "jsonl", "parquet"):
        d = tmp_path_factory.mktemp(fmt)
        result = simulate(SimulationConfig(population=1_200, seed=8, output_format=fmt), d)  # type: ignore[arg-type]
        out[fmt] = (d, result.counts)
    return out


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_simulated_files_ingest_with_nothing_quarantined(
    engine: Engine, forces: dict[str, tuple[Path, dict[str, int]]], fmt: str
) -> None:
    folder, counts = forces[fmt]
    summary = ingest_paths(engine, [folder / "interchange"], actor=OPERATOR_RUN)
    assert summary.clean, [(f.path, f.error, f.quarantined) for f in summary.files]
    for rtype, n in counts.items():
        assert count(engine, record_tables[rtype]) == n, rtype


@pytest.mark.slow
def test_the_ingest_command_in_strict_mode_accepts_a_simulated_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'sg.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "force"
        sim = runner.invoke(app, ["simulate", "--small", "--seed", "3", "--out", str(out), "-q"])
        assert sim.exit_code == 0, sim.output
        assert "person_mention" in sim.output
        ing = runner.invoke(app, ["ingest", "--strict", "-q", str(out / "interchange")])
        assert ing.exit_code == 0, ing.output
    finally:
        get_settings.cache_clear()
