"""Scoring the packaged instruments: bands, judgement, floors, windows and bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from safeguard.errors import ValidationFailed
from safeguard.instruments import default_catalogue, load_catalogue, score_assessment

CSE_KEYS = [q.id for q in default_catalogue().get("cse-seraf", "1").questions]


def dash_answers(yes: int, total: int) -> dict[str, object]:
    return {f"q{i}": "yes" if i <= yes else "no" for i in range(1, total + 1)}


def cse_answers(**given: str) -> dict[str, object]:
    answers: dict[str, object] = dict.fromkeys(CSE_KEYS, "no")
    answers.update(given)
    return answers


@pytest.mark.parametrize(("instrument", "total"), [("dash-police", 27), ("dash-ric", 24)])
@pytest.mark.parametrize(
    ("yes", "grade"),
    [(0, "standard"), (1, "standard"), (9, "standard"), (10, "medium"), (13, "medium"),
     (14, "high"), (15, "high")],
)  # fmt: skip
def test_dash_yes_count_gives_the_band_and_exactly_14_is_high(
    instrument: str, total: int, yes: int, grade: str
) -> None:
    result = score_assessment(instrument, "2009", dash_answers(yes, total))
    assert result.state == "complete"
    assert result.yes_count == yes
    assert result.grade == grade
    assert result.marac_referral_implied is (yes >= 14)
    assert (result.marac_route == "visible_high_risk") is (yes >= 14)


def test_not_known_answers_count_as_answered_but_not_yes() -> None:
    answers = dash_answers(14, 24)
    answers["q1"] = "not_known"
    result = score_assessment("dash-ric", "2009", answers)
    assert (result.state, result.yes_count, result.grade) == ("complete", 13, "medium")


def test_judgement_raises_a_grade_with_a_rationale_and_implies_marac() -> None:
    result = score_assessment("dash-ric", "2009", dash_answers(8, 24), "high", "extreme fear")
    assert result.grade == "high"
    assert result.actuarial_grade == "standard"
    assert result.raised_by_judgement
    assert result.marac_route == "professional_judgement"
    assert "professional judgement raised standard to high" in result.reasons


def test_judgement_raising_a_grade_without_rationale_keeps_the_grade_and_flags_it() -> None:
    result = score_assessment("dash-ric", "2009", dash_answers(8, 24), "high", "  ")
    assert (result.state, result.grade, result.missing) == ("complete", "high", ())
    assert result.rationale_missing
    assert result.marac_route == "professional_judgement"


def test_officer_grade_below_the_actuarial_grade_never_lowers_it() -> None:
    result = score_assessment("dash-police", "2009", dash_answers(14, 27), "standard")
    assert result.grade == "high"
    assert not result.raised_by_judgement
    assert any("never lowers" in r for r in result.reasons)


def test_unanswered_questions_give_an_incomplete_state_never_a_silent_grade() -> None:
    answers = dash_answers(20, 27)
    del answers["q3"], answers["q27"]
    result = score_assessment("dash-police", "2009", answers)
    assert result.state == "incomplete"
    assert result.grade is None and result.score is None and result.actuarial_grade is None
    assert result.missing == ("q3", "q27")
    assert "2 question(s) unanswered: q3, q27" in result.reasons


def test_unknown_instrument_version_is_refused_naming_the_known_versions() -> None:
    with pytest.raises(ValidationFailed, match=r"'dash-ric' version '2010'.*known versions: 2009"):
        score_assessment("dash-ric", "2010", dash_answers(1, 24))
    with pytest.raises(ValidationFailed, match="no such instrument"):
        score_assessment("dara", "2022", {})


@pytest.mark.parametrize(
    ("value", "message"),
    [(True, "must be text, got bool"), (3, "must be text, got int"),
     ("maybe", "must be yes, no or not_known, got 'maybe'")],
)  # fmt: skip
def test_answers_of_the_wrong_type_are_refused_naming_the_question(
    value: object, message: str
) -> None:
    answers = dash_answers(3, 24)
    answers["q7"] = value
    with pytest.raises(ValidationFailed, match=f"dash-ric/2009: answer 'q7' {message}"):
        score_assessment("dash-ric", "2009", answers)


def test_unknown_questions_and_officer_grades_are_refused() -> None:
    answers = dash_answers(3, 24)
    answers["q25"] = "yes"
    with pytest.raises(ValidationFailed, match="unknown question"):
        score_assessment("dash-ric", "2009", answers)
    with pytest.raises(ValidationFailed, match="officer_grade 'severe'"):
        score_assessment("dash-ric", "2009", dash_answers(3, 24), "severe", "x")


def test_s_dash_has_eleven_questions_and_scores_a_yes_count() -> None:
    instrument = default_catalogue().get("s-dash", "2009")
    assert [q.id for q in instrument.questions] == [f"q{i}" for i in range(1, 12)]
    result = score_assessment("s-dash", "2009", {f"q{i}": "yes" for i in range(1, 12)})
    assert (result.yes_count, result.grade) == (11, "high")


def test_missing_person_grade_is_the_officers_and_always_needs_a_rationale() -> None:
    keys = [q.id for q in default_catalogue().get("missing-app", "2024").questions]
    answers: dict[str, object] = dict.fromkeys(keys, "no")
    result = score_assessment("missing-app", "2024", answers, "medium", "out of character")
    assert (result.state, result.grade) == ("complete", "medium")
    no_rationale = score_assessment("missing-app", "2024", answers, "medium")
    assert (no_rationale.state, no_rationale.grade) == ("complete", "medium")
    assert no_rationale.rationale_missing
    no_grade = score_assessment("missing-app", "2024", answers, None, "reasons")
    assert no_grade.missing == ("officer_grade",)


def test_a_missing_child_is_never_graded_no_apparent_risk() -> None:
    keys = [q.id for q in default_catalogue().get("missing-app", "2024").questions]
    answers: dict[str, object] = dict.fromkeys(keys, "no")
    child = score_assessment(
        "missing-app", "2024", answers, "no_apparent_risk", "seen", subject_age=15
    )
    adult = score_assessment(
        "missing-app", "2024", answers, "no_apparent_risk", "seen", subject_age=18
    )
    assert (child.grade, adult.grade) == ("low", "no_apparent_risk")


ASSESSED = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("observed", "points"),
    [("yes", 5), ("2026-03-01", 5), ("2025-09-01", 5), ("2025-08-31", 1), ("2025-03-01", 1),
     ("2025-02-28", 0)],
)  # fmt: skip
def test_a_significant_cse_indicator_scores_5_within_6_months_and_1_within_12(
    observed: str, points: int
) -> None:
    result = score_assessment(
        "cse-seraf", "1", cse_answers(s_multiple_phones=observed), assessed_on=ASSESSED,
        subject_age=15,
    )  # fmt: skip
    assert result.score == points


@pytest.mark.parametrize(("observed", "points"), [("2025-09-01", 1), ("2025-08-31", 0)])
def test_a_moderate_cse_indicator_counts_only_within_6_months(observed: str, points: int) -> None:
    result = score_assessment(
        "cse-seraf", "1", cse_answers(m_truancy=observed), assessed_on=ASSESSED, subject_age=15
    )
    assert result.score == points


def test_cse_vulnerabilities_score_one_each_whenever_observed() -> None:
    result = score_assessment(
        "cse-seraf", "1", cse_answers(v_in_care="2015-01-01", v_mental_health="yes"),
        assessed_on=ASSESSED, subject_age=15,
    )  # fmt: skip
    assert result.score == 2


@pytest.mark.parametrize(
    ("significant", "moderate", "grade"),
    [(1, 0, "low"), (1, 1, "medium"), (2, 0, "medium"), (2, 1, "significant"),
     (3, 0, "significant"), (3, 1, "serious")],
)  # fmt: skip
def test_cse_bands_are_0_5_6_10_11_15_and_16_plus(
    significant: int, moderate: int, grade: str
) -> None:
    sig = [k for k in CSE_KEYS if k.startswith("s_")][:significant]
    mod = [k for k in CSE_KEYS if k.startswith("m_")][:moderate]
    answers = cse_answers(**dict.fromkeys(sig + mod, "yes"))
    result = score_assessment("cse-seraf", "1", answers, assessed_on=ASSESSED, subject_age=15)
    assert result.score == 5 * significant + moderate
    assert result.grade == grade


@pytest.mark.parametrize(("age", "grade"), [(12, "medium"), (13, "low")])
def test_a_child_under_13_is_never_rated_low_on_cse_screening(age: int, grade: str) -> None:
    result = score_assessment(
        "cse-seraf", "1", cse_answers(), assessed_on=ASSESSED, subject_age=age
    )
    assert result.grade == grade


def test_a_child_with_a_learning_disability_is_never_rated_low_on_cse_screening() -> None:
    result = score_assessment(
        "cse-seraf", "1", cse_answers(v_learning_disability="yes"), assessed_on=ASSESSED,
        subject_age=16,
    )  # fmt: skip
    assert (result.score, result.actuarial_grade, result.grade) == (1, "low", "medium")
    assert any("learning disability" in r for r in result.reasons)


def test_cse_observation_dated_after_the_assessment_is_refused_as_out_of_order() -> None:
    with pytest.raises(ValidationFailed, match="after the assessment.*dates out of order"):
        score_assessment(
            "cse-seraf", "1", cse_answers(m_truancy="2026-03-02"), assessed_on=ASSESSED
        )
    with pytest.raises(ValidationFailed, match="expected 'no', 'yes' or a date"):
        score_assessment("cse-seraf", "1", cse_answers(m_truancy="lately"), assessed_on=ASSESSED)


def test_a_force_adds_its_own_instrument_as_a_file_without_code(tmp_path: Path) -> None:
    (tmp_path / "local-ce_1.yaml").write_text(
        "id: local-ce\nversion: '1'\ntitle: Local exploitation tool\nsource: force policy\n"
        "method: yes_count\ngrades: [low, high]\n"
        "bands: [{grade: low, min: 0}, {grade: high, min: 2}]\n"
        "questions:\n  - {id: a, text: 'First?'}\n  - {id: b, text: 'Second?'}\n",
        encoding="utf-8",
    )
    catalogue = load_catalogue([tmp_path])
    assert len(catalogue) == len(default_catalogue()) + 1
    result = score_assessment("local-ce", "1", {"a": "yes", "b": "yes"}, catalogue=catalogue)
    assert result.grade == "high"


def test_a_malformed_instrument_file_is_refused_naming_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad_1.yaml"
    path.write_text(
        "id: bad\nversion: '1'\ntitle: t\nsource: s\nmethod: yes_count\ngrades: [low]\n"
        "bands: [{grade: medium, min: 0}]\nquestions: [{id: a, text: 'A?'}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed, match=r"bad_1.yaml \(bad/1\): band grade 'medium'"):
        load_catalogue([tmp_path])


def test_every_packaged_instrument_has_its_contracted_questions() -> None:
    catalogue = default_catalogue()
    sizes = {("dash-police", "2009"): 27, ("dash-ric", "2009"): 24, ("s-dash", "2009"): 11}
    for key, n in sizes.items():
        assert len(catalogue.get(*key).questions) == n
    assert len(CSE_KEYS) == 8 + 6 + 6
