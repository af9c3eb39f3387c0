"""The command line acts as a named, existing account (``--as``) or as a declared batch job,
for every batch run and export: an unknown account is refused with a clear message, an account
without the permission is refused and nothing is written, and an export is never audited under
the operating-system user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from safeguard.adapters.db.accounts import users
from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.tables import ingest_runs, person_mentions
from safeguard.cli import app
from safeguard.config import get_settings
from tests.factories import small_force

REPORT = ["report", "--from", "2025-01-01", "--to", "2025-03-31", "--format", "html"]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    assert CliRunner().invoke(app, ["users", "demo"]).exit_code == 0
    yield url
    get_settings.cache_clear()


def _query(url: str, stmt: sa.Select[tuple[object, ...]]) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    engine.dispose()
    return rows


def _uid(url: str, username: str) -> int:
    return int(_query(url, sa.select(users.c.id).where(users.c.username == username))[0][0])


def _audited(url: str, action: str) -> list[tuple[object, ...]]:
    stmt = sa.select(audit_log.c.actor, audit_log.c.actor_role).where(audit_log.c.action == action)
    return _query(url, stmt.order_by(audit_log.c.seq))


def _counts(url: str) -> tuple[int, int]:
    runs = _query(url, sa.select(sa.func.count()).select_from(ingest_runs))[0][0]
    mentions = _query(url, sa.select(sa.func.count()).select_from(person_mentions))[0][0]
    return int(str(runs)), int(str(mentions))


def test_an_ingest_acts_as_the_named_account_or_the_declared_job(db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    folder = str(small_force(tmp_path / "in"))
    unknown = runner.invoke(app, ["--as", "nobody", "ingest", "-q", folder])
    assert unknown.exit_code == 2 and "no account 'nobody'" in unknown.output
    officer = runner.invoke(app, ["--as", "pc_patel", "ingest", "-q", folder])
    assert officer.exit_code == 2 and "may not run_batch_jobs" in officer.output
    assert _counts(db) == (0, 0)  # refused before the run was started or a row stored
    assert runner.invoke(app, ["ingest", "-q", "--actor", "nightly", folder]).exit_code == 0
    named = runner.invoke(app, ["--as", "mash_analyst", "ingest", "-q", folder])
    assert named.exit_code == 0, named.output
    runs = _query(db, sa.select(ingest_runs.c.actor).order_by(ingest_runs.c.id))
    assert [r[0] for r in runs] == ["nightly", f"user:{_uid(db, 'mash_analyst')}"]


def test_a_quarantine_export_records_the_declared_job_or_the_account(
    db: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "q.csv"
    export = ["quarantine", "export", "--out", str(out)]
    refused = runner.invoke(app, ["--as", "board_member", *export])
    assert refused.exit_code == 2 and "may not run_batch_jobs" in refused.output
    assert not out.exists() and _audited(db, "export.quarantine") == []
    assert runner.invoke(app, export).exit_code == 0
    named = runner.invoke(app, ["--as", "sgt_okafor", *export])
    assert named.exit_code == 0, named.output
    assert _audited(db, "export.quarantine") == [
        ("cli", None),
        (f"user:{_uid(db, 'sgt_okafor')}", "supervisor"),
    ]


def test_a_board_report_records_the_declared_job_or_the_account(db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "board.html"
    partner = runner.invoke(app, ["--as", "social_worker", *REPORT, "--out", str(out)])
    assert partner.exit_code == 2 and "may not view_dashboard" in partner.output
    assert not out.exists() and _audited(db, "export.board_report") == []
    assert runner.invoke(app, [*REPORT, "--out", str(out)]).exit_code == 0
    board = runner.invoke(app, ["--as", "board_member", *REPORT, "--out", str(out)])
    assert board.exit_code == 0, board.output
    assert _audited(db, "export.board_report") == [
        ("cli", None),
        (f"user:{_uid(db, 'board_member')}", "board_viewer"),
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["link", "-q"],
        ["assess", "-q"],
        ["risk", "train", "--target", "da_repeat"],
        ["risk", "activate", "--target", "da_repeat", "--version", "1"],
    ],
    ids=["link", "assess", "risk_train", "risk_activate"],
)
def test_every_batch_command_refuses_an_account_without_permission(
    db: str, command: list[str]
) -> None:
    before = _query(db, sa.select(sa.func.count()).select_from(audit_log))
    result = CliRunner().invoke(app, ["--as", "pc_patel", *command])
    assert result.exit_code == 2 and "may not run_batch_jobs" in result.output
    assert _query(db, sa.select(sa.func.count()).select_from(audit_log)) == before


def test_audit_verify_needs_an_account_that_may_view_the_audit(db: str) -> None:
    runner = CliRunner()
    officer = runner.invoke(app, ["--as", "pc_patel", "audit", "verify"])
    assert officer.exit_code == 2 and "may not view_audit" in officer.output
    assert _audited(db, "audit.verify") == []
    assert runner.invoke(app, ["--as", "admin", "audit", "verify"]).exit_code == 0
    assert _audited(db, "audit.verify") == [(f"user:{_uid(db, 'admin')}", "administrator")]
