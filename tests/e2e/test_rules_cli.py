"""Testable by a force from the command line: assess --as-of, ingest --as-of, findings list
--format json|csv with facts, and no silent default database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeguard.cli import app
from safeguard.config import get_settings
from tests.integration import interchange_rows as rows

AS_OFFICER = ["--as", "pc_patel", "findings"]  # a demo persona who may read findings


@pytest.fixture
def files(tmp_path: Path) -> Path:
    items = [
        rows.person("p1"),
        rows.event("e1", "2027-03-10T12:00:00Z"),  # in the future of today's clock
        rows.involvement("i1", "e1", "p1"),
        rows.dash("a1", "p1", "2027-03-10T15:00:00Z", 15, event_ref="e1"),
    ]
    rows.write(tmp_path / "in", items)
    return tmp_path / "in"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_a_case_in_the_future_is_ingested_and_assessed_as_of_then(db: str, files: Path) -> None:
    runner = CliRunner()
    now = runner.invoke(app, ["ingest", "--quiet", "--strict", str(files)])
    assert now.exit_code == 1  # quarantined: more than an hour in the future
    replay = runner.invoke(
        app, ["ingest", "--quiet", "--strict", "--as-of", "2027-03-11T09:00:00Z", str(files)]
    )
    assert replay.exit_code == 0, replay.output
    assert runner.invoke(app, ["users", "demo"]).exit_code == 0
    early = runner.invoke(app, ["assess", "--quiet", "--as-of", "2027-03-10T13:00:00Z"])
    assert early.exit_code == 0, early.output
    listed = runner.invoke(
        app, [*AS_OFFICER, "list", "--worklist", "marac_due", "--format", "json"]
    )
    assert json.loads(listed.stdout) == []  # the DASH was not done yet at 13:00
    later = runner.invoke(app, ["assess", "--quiet", "--as-of", "2027-03-11"])
    assert later.exit_code == 0, later.output
    listed = runner.invoke(
        app, [*AS_OFFICER, "list", "--worklist", "marac_due", "--format", "json"]
    )
    (finding,) = json.loads(listed.stdout)
    assert finding["rule_id"] == "MARAC-VISIBLE-HIGH-RISK"
    assert finding["facts"]["yes_count"] == 15
    assert finding["due_at"] == "2027-03-11T17:00:00+00:00"
    assert "17:00 GMT" in finding["explanation"]
    as_csv = runner.invoke(app, [*AS_OFFICER, "list", "-w", "marac_due", "--format", "csv"])
    (row,) = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert row["rule_id"] == "MARAC-VISIBLE-HIGH-RISK" and json.loads(row["facts"])["min_yes"] == 14
    bad = runner.invoke(app, [*AS_OFFICER, "list", "--format", "xml"])
    assert bad.exit_code == 2 and "table, json or csv" in bad.output


def test_without_a_database_setting_commands_say_which_they_would_use_and_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFEGUARD_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        refused = CliRunner().invoke(app, ["assess", "--quiet"])
        assert refused.exit_code == 2
        assert "no database configured" in refused.output
        assert "sqlite:///safeguard.db" in refused.output
        assert not (tmp_path / "safeguard.db").exists()
        url = f"sqlite:///{tmp_path / 'told.db'}"
        told = CliRunner().invoke(app, ["--database-url", url, "assess", "--quiet"])
        assert told.exit_code == 0, told.output
        assert (tmp_path / "told.db").exists()
    finally:
        monkeypatch.delenv("SAFEGUARD_DATABASE_URL", raising=False)
        get_settings.cache_clear()
