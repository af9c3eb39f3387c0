"""`safeguard simulate` as an operator runs it: presets, formats and clear errors."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from safeguard.cli import app

runner = CliRunner()


def test_simulate_writes_parquet_with_the_small_preset(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["simulate", "--small", "--format", "parquet", "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "interchange" / "event.parquet").exists()
    assert (tmp_path / "truth" / "mention_person.csv").exists()
    assert "rows/s" in result.output


def test_an_unknown_format_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--small", "--format", "xlsx", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "format" in result.output and "xlsx" in result.output
    assert not (tmp_path / "interchange").exists()


def test_a_population_too_small_to_simulate_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "-n", "5", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "population" in result.output
