"""`safeguard link` takes its thresholds and guards from the force's settings file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.adapters.db.linkage import link_runs
from safeguard.adapters.db.people import person_links
from safeguard.cli import app
from safeguard.config import get_settings
from safeguard.services.linking import runs
from safeguard.services.linking.config import LinkConfig
from tests.linkage_data import insert_mentions, make_mentions, make_people

PEOPLE = make_people(100)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'sg.db'}"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", url)
    monkeypatch.setenv("SAFEGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SAFEGUARD_RULES_CONFIG", raising=False)
    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    insert_mentions(engine, make_mentions(PEOPLE))
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def _force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "force.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SAFEGUARD_RULES_CONFIG", str(path))
    return path


def _flat(output: str) -> str:
    """CLI output without Rich's box and line breaks."""
    return " ".join(output.replace("│", " ").split())


def _people(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count(sa.distinct(person_links.c.person_id)))).scalar()
            or 0
        )


@pytest.mark.slow
def test_the_force_match_threshold_is_the_one_link_uses(env, tmp_path, monkeypatch):
    runner = CliRunner()
    first = runner.invoke(app, ["link", "--quiet"])
    assert first.exit_code == 0, first.output
    at_default = _people(env)
    # The synthetic people link with probabilities of 1 - 1e-10 and more: only a threshold of
    # exactly 1 keeps some of their mentions apart.
    _force(tmp_path, monkeypatch, "linking:\n  match_threshold: 1.0\n")
    strict = runner.invoke(app, ["link", "--quiet"])
    assert strict.exit_code == 0, strict.output
    at_strict = _people(env)
    assert at_strict > at_default  # fewer pairs are sure enough to join
    relaxed = runner.invoke(app, ["link", "--quiet", "--match-threshold", "0.95"])
    assert relaxed.exit_code == 0, relaxed.output  # the option overrides the file
    assert _people(env) == at_default


def test_options_override_the_force_file_and_none_keeps_it(env, tmp_path, monkeypatch):
    _force(
        tmp_path,
        monkeypatch,
        "linking:\n  match_threshold: 0.97\n  review_from: 0.8\n  guards_off: [siblings]\n"
        "  hold_ambiguous: true\n  review_limit: 10\n",
    )
    seen: list[LinkConfig] = []

    def fake_link_all(engine, *, actor, config, progress):  # type: ignore[no-untyped-def]
        seen.append(config)
        raise SystemExit(0)

    monkeypatch.setattr(runs, "link_all", fake_link_all)
    runner = CliRunner()
    runner.invoke(app, ["link", "--quiet"])
    runner.invoke(
        app,
        ["link", "--quiet", "--match-threshold", "0.99", "--guard-off", "twins"]
        + ["--no-hold-ambiguous"],
    )
    file_only, overridden = seen
    assert (file_only.match_threshold, file_only.review_from) == (0.97, 0.8)
    assert file_only.guards_off == frozenset({"siblings"}) and file_only.hold_ambiguous
    assert file_only.review_limit == 10
    assert (overridden.match_threshold, overridden.review_from) == (0.99, 0.8)
    assert overridden.guards_off == frozenset({"twins"}) and not overridden.hold_ambiguous
    bad = runner.invoke(app, ["link", "--quiet", "--review-from", "0.98"])
    assert bad.exit_code == 2 and "--review-from" in bad.output
    assert "below match_threshold (0.97)" in _flat(bad.output)
    assert len(seen) == 2


def test_a_bad_force_file_is_refused_naming_file_and_key_and_nothing_runs(
    env, tmp_path, monkeypatch
):
    path = _force(
        tmp_path,
        monkeypatch,
        "rules:\n  MISSING-RHI-OFFERED:\n    due_hours: 48\n"
        "linking:\n  match_threshold: 0.9\n  guards_off: [twinz]\n",
    )
    result = CliRunner().invoke(app, ["link", "--quiet"])
    assert result.exit_code == 2, result.output
    flat = _flat(result.output)
    assert str(path) in flat.replace(" ", "")
    assert "linking.guards_off" in flat and "twinz" in flat
    with env.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(link_runs)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(person_links)).scalar() == 0
