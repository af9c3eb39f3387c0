"""`safeguard report` through the CLI, as a user runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.cli import app
from safeguard.config import get_settings
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.integration.test_reports import board_force


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "sg.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    data = tmp_path / "data"
    data.mkdir()
    ingest_paths(engine, [board_force(data)], actor=OPERATOR_RUN)
    engine.dispose()
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_report_writes_the_html_page(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "board.html"
    args = ["report", "--from", "2025-01-01", "--to", "2025-03-31", "--format", "html"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Jan-Mar 2025" in result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("OFFICIAL-SENSITIVE") >= 2 and "Appendix: definitions" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-13-01", "--to", "2025-03-31"], "--from: expected a date YYYY-MM-DD"),
        (["--from", "2025-04-01", "--to", "2025-03-31"], "is before --from"),
        (["--from", "2025-01-01", "--to", "2025-03-31", "--format", "docx"], "--format"),
        (["--from", "2025-01-01", "--to", "2025-03-31", "--threshold", "1"], "--threshold"),
    ],
)
def test_bad_options_get_a_clear_error_and_no_file(
    database: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "board.html"
    result = CliRunner().invoke(app, ["report", *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()
