"""The command line as an operator uses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from safeguard.cli import app
from tests.factories import event, small_force, write_csv

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    from safeguard.config import get_settings

    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url  # type: ignore[misc]
    get_settings.cache_clear()


def _commands() -> list[list[str]]:
    root = get_command(app)
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return out


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "safeguard")
def test_every_command_has_help_text(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "safeguard", "--help"], capture_output=True, text=True, check=True
    )
    assert "ingest" in done.stdout and "status" in done.stdout


def test_ingest_then_status_reports_what_is_stored(env: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(small_force(tmp_path / "in")), "--quiet"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    assert "person_mention" in status.output and "3" in status.output


def test_strict_ingest_fails_when_a_row_was_quarantined(env: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [event("E1"), event("E2", event_type="dragons")])
    result = runner.invoke(app, ["ingest", str(path), "--strict", "--quiet"])
    assert result.exit_code == 1
    assert "1 row(s) quarantined" in result.output
    listing = runner.invoke(app, ["quarantine", "list"])
    assert "dragons" in listing.output


def test_a_missing_path_is_a_clear_error(env: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "no such file or folder" in " ".join(result.output.split())  # Rich wraps long paths


def test_quarantine_export_neutralises_formulas(env: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", [event("=HYPERLINK(1)", event_type="dragons")])
    runner.invoke(app, ["ingest", str(path), "--quiet"])
    out = tmp_path / "q.csv"
    result = runner.invoke(app, ["quarantine", "export", "--out", str(out)])
    assert result.exit_code == 0
    text = out.read_text()
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


def test_db_upgrade_reports_the_revision(env: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "revision" in result.output


def test_a_quarantine_export_is_audited(env: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from safeguard.adapters.db.audit import audit_log
    from safeguard.adapters.db.engine import make_engine

    path = write_csv(tmp_path / "e.csv", [event("E-1", event_type="dragons")])
    runner.invoke(app, ["ingest", str(path), "--quiet"])
    result = runner.invoke(app, ["quarantine", "export", "--out", str(tmp_path / "q.csv")])
    assert result.exit_code == 0
    engine = make_engine(env)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.category)).all()
    engine.dispose()
    assert ("export.quarantine", "export") in [tuple(r) for r in rows]


def test_agencies_are_registered_and_listed_and_accounts_locked(env: str) -> None:
    added = runner.invoke(
        app,
        [
            "agencies",
            "add",
            "childrens-services",
            "--name",
            "Cumbria Children's Services",
            "--sector",
            "children's social care",
            "--alias",
            "Children's Social Care",
        ],
    )
    assert added.exit_code == 0, added.output
    bad = runner.invoke(app, ["agencies", "add", "x y", "--name", "X", "--sector", "health"])
    assert bad.exit_code == 2 and "code" in bad.output
    listed = runner.invoke(app, ["agencies", "list"])
    assert "childrens-services" in listed.output
    root = ["users", "add", "root", "--role", "administrator", "--name", "Administrator"]
    first = runner.invoke(app, root, input="a long enough password\na long enough password\n")
    assert first.exit_code == 0, first.output  # the first account needs no --as
    made = runner.invoke(
        app,
        [
            "--as",
            "root",
            "users",
            "add",
            "sam_hale",
            "--role",
            "partner_agency",
            "--name",
            "Sam Hale",
            "--agency",
            "Children's Social Care",
        ],
        input="a long enough password\na long enough password\n",
    )
    assert made.exit_code == 0, made.output
    unknown = runner.invoke(
        app,
        [
            *("--as", "root", "users", "add", "jo_x", "--role", "partner_agency"),
            *("--name", "Jo", "--agency", "acme"),
        ],
        input="a long enough password\na long enough password\n",
    )
    assert unknown.exit_code == 2 and "not a registered partner agency" in unknown.output
    lock = ["--as", "root", "users", "lock"]
    assert runner.invoke(app, [*lock, "sam_hale", "--minutes", "5"]).exit_code == 0
    assert runner.invoke(app, [*lock, "sam_hale", "--minutes", "0"]).exit_code == 0
    assert runner.invoke(app, [*lock, "nobody"]).exit_code == 2
    refused = runner.invoke(app, ["--as", "sam_hale", "users", "lock", "root"])
    assert refused.exit_code == 2 and "may not manage_users" in refused.output
