"""`safeguard demo` on a small force: simulated once, ingested cleanly, safe to re-run."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from safeguard.adapters.db.engine import make_engine
from safeguard.adapters.db.tables import person_mentions, quarantine
from safeguard.cli import app

pytestmark = pytest.mark.slow


def test_the_demo_runs_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["demo", "--dir", str(tmp_path / "demo"), "--population", "1500", "--years", "2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    engine = make_engine(f"sqlite:///{tmp_path / 'demo' / 'safeguard.db'}")
    with engine.connect() as conn:
        mentions = conn.execute(sa.select(sa.func.count()).select_from(person_mentions)).scalar()
        bad = conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar()
    assert mentions and mentions > 100
    assert bad == 0, "the simulated force must pass strict ingest"
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "kept" in second.output and " 0 new" in second.output
    engine.dispose()
