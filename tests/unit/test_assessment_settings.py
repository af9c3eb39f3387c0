"""A force's own thresholds and instruments come from files named in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeguard.errors import ValidationFailed
from safeguard.services.assessment import AssessmentSettings, Assessor, score_assessment


def test_a_force_overrides_thresholds_and_adds_an_instrument_through_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "force-rules.yaml"
    rules.write_text(
        "calendar: {region: wales}\nrules:\n  MISSING-REPEAT: {min_episodes: 2, window_days: 60}\n",
        encoding="utf-8",
    )
    instruments = tmp_path / "instruments"
    instruments.mkdir()
    (instruments / "cerar_2021.yaml").write_text(
        "id: cerar\nversion: '2021'\ntitle: Local review\nsource: force policy\n"
        "method: judgement\ngrades: [low, high]\njudgement: {rationale_required: always}\n"
        "questions: [{id: concern, text: 'Any concern?'}]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SAFEGUARD_RULES_CONFIG", str(rules))
    monkeypatch.setenv("SAFEGUARD_INSTRUMENTS_DIR", str(instruments))
    assessor = Assessor.from_settings(AssessmentSettings())
    assert assessor.config.of("MISSING-REPEAT")["min_episodes"] == 2
    assert assessor.config.calendar.region == "wales"
    result = score_assessment(
        "cerar", "2021", {"concern": "yes"}, "high", "seen with older men", assessor=assessor
    )
    assert result.grade == "high"


def test_an_unreadable_rules_config_is_a_clear_error(tmp_path: Path) -> None:
    settings = AssessmentSettings(rules_config=tmp_path / "missing.yaml")
    with pytest.raises(ValidationFailed, match="missing.yaml: cannot read rules config"):
        Assessor.from_settings(settings)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  MARAC-REPEAT: {window_days: -1}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="bad.yaml: rules.MARAC-REPEAT.window_days"):
        Assessor.from_settings(AssessmentSettings(rules_config=bad))
