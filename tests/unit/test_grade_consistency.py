"""Consistency findings and the one risk view: officer grade below the instrument's, grades and
regrades without a rationale (kept, flagged), and the person's risk view grading as the engine."""

from __future__ import annotations

from datetime import UTC, date, datetime

from safeguard.domain.history import AssessmentFact
from safeguard.instruments import default_catalogue
from safeguard.rules.context import score_fact
from safeguard.services.risk_view import current_risk
from tests.unit.rules_facts import DEFAULT, at, dash, fired, person

BIRTHDAY_NIGHT = datetime(2025, 6, 14, 23, 30, tzinfo=UTC)  # 00:30 BST on 15 June


def test_an_officer_grade_below_the_instruments_is_its_own_finding_and_the_grade_stays() -> None:
    a = dash(5, at(), 15, officer_grade="standard", assessor_team="PPU-2")
    (f,) = fired(person(assessments=(a,)), "GRADE-OFFICER-BELOW-INSTRUMENT")
    assert "officer graded standard, below the instrument's high" in f.explanation
    assert f.facts["assessor_team"] == "PPU-2" and f.facts["grade"] == "high"
    assert fired(person(assessments=(a,)), "DA-NEW-HIGH-RISK")


def test_an_officer_grade_at_or_above_the_instruments_is_not_flagged() -> None:
    a = dash(5, at(), 15, officer_grade="high")
    assert fired(person(assessments=(a,)), "GRADE-OFFICER-BELOW-INSTRUMENT") == []


def test_a_raised_grade_without_rationale_keeps_the_officers_grade_and_is_a_finding() -> None:
    a = dash(5, at(), 3, event_id=1, officer_grade="high")
    history = person(assessments=(a,))
    (f,) = fired(history, "GRADE-RATIONALE-MISSING")
    assert "officer's grade is kept" in f.explanation
    assert fired(history, "ASSESSMENT-INCOMPLETE") == []
    assert fired(history, "MARAC-PROFESSIONAL-JUDGEMENT")  # the grade is high: MARAC due


def test_a_supervisor_regrade_without_rationale_is_a_finding() -> None:
    a = dash(5, at(), 3, officer_grade="standard", reviewed_grade="medium", reviewed_at=at(1))
    (f,) = fired(person(assessments=(a,)), "GRADE-REGRADE-NO-RATIONALE")
    assert "regraded medium (officer standard)" in f.explanation
    assert fired(person(assessments=(a,)), "GRADE-RATIONALE-MISSING") == []
    with_reason = dash(
        5, at(), 3, officer_grade="standard", reviewed_grade="medium", rationale="escalating"
    )
    assert fired(person(assessments=(with_reason,)), "GRADE-REGRADE-NO-RATIONALE") == []


def _seraf(assessment_id: int, completed_at: datetime, **answers: str) -> AssessmentFact:
    cse = default_catalogue().get("cse-seraf", "1")
    base: dict[str, object] = dict.fromkeys((q.id for q in cse.questions), "no")
    base.update(answers)
    return AssessmentFact(assessment_id, "cse-seraf", "1", base, completed_at, officer_grade="low")


def test_the_risk_view_grades_a_child_as_the_engine_does_at_the_13th_birthday_edge() -> None:
    # 00:30 BST on her 13th birthday: 13 on the local date, so the under-13 floor no longer
    # applies; in UTC she would still be 12. Both views must say the same.
    turns_13 = person(dob=date(2012, 6, 15), assessments=(_seraf(1, BIRTHDAY_NIGHT),))
    eve = person(dob=date(2012, 6, 16), assessments=(_seraf(1, BIRTHDAY_NIGHT),))
    for history, expected in ((turns_13, "low"), (eve, "medium")):
        engine = score_fact(history.assessments[0], history, DEFAULT, default_catalogue())
        assert engine.result is not None and engine.result.grade == expected
        (view,) = current_risk(history, default_catalogue())
        assert view.grade == expected


def test_the_risk_view_shows_no_grade_for_an_incomplete_screening_not_the_officers_low() -> None:
    child = person(dob=date(2015, 1, 1), assessments=(_seraf(1, at(), v_in_care=""),))
    (view,) = current_risk(child, default_catalogue())
    assert view.grade is None and view.recorded_grade == "low"
    assert fired(child, "ASSESSMENT-INCOMPLETE")
