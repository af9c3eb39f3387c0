"""`safeguard assess` and `safeguard findings` through the CLI, on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console
from typer.testing import CliRunner

from safeguard.adapters.db.accounts import users
from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.findings import assessment_runs
from safeguard.cli import app, context
from safeguard.config import get_settings
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.integration import interchange_rows as rows


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", url)
    monkeypatch.setattr(context, "out", Console(width=250))  # tables unfolded, for the asserts
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    items = [
        rows.person("p1"),
        rows.event("e1", "2025-01-10T12:00:00Z"),
        rows.involvement("i1", "e1", "p1"),
        rows.dash("a1", "p1", "2025-01-10T15:00:00Z", 16, event_ref="e1"),
    ]
    paths = rows.write(tmp_path / "in", items)
    assert ingest_paths(
        engine, paths, actor=OPERATOR_RUN, now=datetime(2026, 1, 1, tzinfo=UTC)
    ).clean
    engine.dispose()
    yield url
    get_settings.cache_clear()


def test_assess_then_list_acknowledge_and_resolve_a_finding(db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["assess", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 people" in result.output
    assert runner.invoke(app, ["users", "demo"]).exit_code == 0
    listed = runner.invoke(app, ["--as", "pc_patel", "findings", "list", "--worklist", "marac_due"])
    assert listed.exit_code == 0 and "MARAC-VISIBLE-HIGH-RISK" in listed.output
    board = runner.invoke(app, ["--as", "board_member", "findings", "list", "--person", "1"])
    assert board.exit_code == 2 and "may not view_findings" in board.output
    again = runner.invoke(app, ["assess", "--since", "last", "--quiet"])
    assert again.exit_code == 0 and "0 new" in again.output
    officer = runner.invoke(app, ["--as", "pc_patel", "findings", "acknowledge", "1"])
    assert officer.exit_code == 2 and "may not act_on_findings" in officer.output
    sergeant = ["--as", "sgt_okafor", "findings"]
    ack = runner.invoke(app, [*sergeant, "acknowledge", "1"])
    who = _user_id(db, "sgt_okafor")
    assert ack.exit_code == 0 and f"acknowledged by user:{who}" in ack.output
    res = runner.invoke(app, [*sergeant, "resolve", "1", "--note", "done"])
    assert res.exit_code == 0 and f"resolved by user:{who}" in res.output
    twice = runner.invoke(app, [*sergeant, "resolve", "1", "--note", "x"])
    assert twice.exit_code == 2 and "cannot become resolved" in twice.output
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.actor).where(audit_log.c.seq > 1)
        ).all()
    engine.dispose()
    reads = [a for action, a in rows if action == "findings.view"]
    assert reads == [f"user:{_user_id(db, 'pc_patel')}"]  # the refused read wrote nothing
    changes = [a for action, a in rows if action.startswith("finding.")]
    assert changes == [f"user:{who}"] * 2


def _user_id(url: str, username: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.select(users.c.id).where(users.c.username == username))
        uid = int(found.scalar_one())
    engine.dispose()
    return uid


def test_bad_since_and_unknown_worklists_are_clear_errors(db: str) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["assess", "--since", "2025-01-01T00:00:00"])
    assert bad.exit_code == 2 and "give a timezone offset" in bad.output
    unknown = runner.invoke(app, ["findings", "list", "--worklist", "everything"])
    assert unknown.exit_code == 2 and "--as USERNAME" in unknown.output
    assert runner.invoke(app, ["users", "demo"]).exit_code == 0
    unknown = runner.invoke(
        app, ["--as", "pc_patel", "findings", "list", "--worklist", "everything"]
    )
    assert unknown.exit_code == 2 and "unknown worklist 'everything'" in unknown.output


def test_workers_option_runs_and_refuses_zero(db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["assess", "--quiet", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "1 people" in result.output and "0 new" not in result.output
    again = runner.invoke(app, ["assess", "--quiet", "--workers", "1"])
    assert again.exit_code == 0 and "0 new, 0 changed, 0 closed" in again.output
    zero = runner.invoke(app, ["assess", "--quiet", "--workers", "0"])
    assert zero.exit_code == 2 and "--workers" in zero.output


def test_a_run_is_recorded_under_the_account_named_by_as_or_else_a_declared_job(db: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["users", "demo"]).exit_code == 0
    unknown = runner.invoke(app, ["--as", "nobody", "assess", "--quiet"])
    assert unknown.exit_code == 2 and "no account 'nobody'" in unknown.output
    typed = runner.invoke(app, ["assess", "--quiet", "--actor", "somebody"])
    assert typed.exit_code == 2 and "'somebody' is not a declared batch job" in typed.output
    assert runner.invoke(app, ["assess", "--quiet", "--actor", "nightly"]).exit_code == 0
    named = runner.invoke(app, ["--as", "mash_analyst", "assess", "--quiet", "--person", "1"])
    assert named.exit_code == 0, named.output
    engine = make_engine(db)
    with engine.connect() as conn:
        runs = conn.execute(sa.select(assessment_runs.c.actor).order_by(assessment_runs.c.id))
        actors = list(runs.scalars())
    engine.dispose()
    assert actors == ["nightly", f"user:{_user_id(db, 'mash_analyst')}"]
