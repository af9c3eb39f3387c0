"""`safeguard link` and its review commands through the CLI, on a SQLite file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from safeguard.adapters.db.accounts import users
from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.linkage import link_reviews
from safeguard.cli import app
from safeguard.config import get_settings
from tests.linkage_data import insert_mentions, make_mentions, make_people

PEOPLE = make_people(100)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'sg.db'}"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", url)
    monkeypatch.setenv("SAFEGUARD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    insert_mentions(engine, make_mentions(PEOPLE))
    yield engine
    engine.dispose()
    get_settings.cache_clear()


@pytest.mark.slow
def test_link_then_review_confirm_undo_and_candidates_from_the_command_line(env):
    runner = CliRunner()
    result = runner.invoke(app, ["link", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "trained now" in result.output
    again = runner.invoke(app, ["link", "--delta", "--quiet"])
    assert again.exit_code == 0, again.output
    assert "(delta)" in again.output
    assert runner.invoke(app, ["link", "review"]).exit_code == 0
    with env.begin() as conn:
        pair = conn.execute(sa.select(sa.func.min(link_reviews.c.id))).scalar()
    assert pair is not None, "the synthetic set always leaves uncertain pairs"
    assert runner.invoke(app, ["users", "demo"]).exit_code == 0
    confirm = ["link", "confirm", str(pair), "--reason", "same PNC"]
    nobody = runner.invoke(app, confirm)
    assert nobody.exit_code == 2 and "--as USERNAME" in nobody.output
    stranger = runner.invoke(app, ["--as", "analyst1", *confirm])
    assert stranger.exit_code == 2 and "no account 'analyst1'" in stranger.output
    officer = runner.invoke(app, ["--as", "pc_patel", *confirm])
    assert officer.exit_code == 2 and "may not review_links" in officer.output
    done = runner.invoke(app, ["--as", "mash_analyst", *confirm])
    assert done.exit_code == 0, done.output
    decision = done.output.split("decision ")[1].split(")")[0]
    undone = runner.invoke(
        app, ["--as", "mash_analyst", "link", "undo", decision, "--reason", "mistake"]
    )
    assert undone.exit_code == 0, undone.output
    unknown = runner.invoke(
        app, ["--as", "mash_analyst", "link", "confirm", "999999", "--reason", "x"]
    )
    assert unknown.exit_code == 2 and "999999" in unknown.output
    with env.connect() as conn:
        actors = conn.execute(
            sa.select(audit_log.c.actor).where(
                audit_log.c.action.in_(["link.confirm", "link.undo"])
            )
        ).scalars()
        analyst = conn.execute(sa.select(users.c.id).where(users.c.username == "mash_analyst"))
        assert set(actors) == {f"user:{analyst.scalar_one()}"}
    why = ["--purpose", "supervision_qa"]
    bad = runner.invoke(
        app,
        ["--as", "pc_patel", "link", "candidates", "--surname", "Smith", "--dob", "x", *why],
    )
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    person = PEOPLE[0]
    ask = [
        "link",
        "candidates",
        "--forenames",
        person.forename,
        "--surname",
        person.surname,
        "--dob",
        person.dob.isoformat(),
    ]
    unsaid = runner.invoke(app, ["--as", "pc_patel", *ask])
    assert unsaid.exit_code == 2 and "--purpose" in unsaid.output
    anonymous = runner.invoke(app, [*ask, *why])
    assert anonymous.exit_code == 2 and "--as USERNAME" in anonymous.output
    found = runner.invoke(app, ["--as", "pc_patel", *ask, *why])
    assert found.exit_code == 0, found.output
    assert "Candidate people" in found.output
    listed = re.findall(r"│ (-?\d+)\s+│ (\d\.\d{3}) │", found.output)
    shown = [float(p) for _, p in listed]
    assert shown and max(shown) >= 0.9, found.output  # the person, found with confidence
    with env.connect() as conn:
        entry = conn.execute(
            sa.select(audit_log).where(audit_log.c.action == "link.candidates")
        ).one()
        officer_id = conn.execute(
            sa.select(users.c.id).where(users.c.username == "pc_patel")
        ).scalar_one()
    assert entry.actor == f"user:{officer_id}" and entry.category == "consultation"
    assert sorted(json.loads(entry.record_ids)) == sorted(pid for pid, _ in listed)
    assert entry.justification == "Supervision and quality assurance"
    assert json.loads(entry.detail)["purpose"] == "supervision_qa"
    assert runner.invoke(app, ["link", "unlinkable"]).exit_code == 0
