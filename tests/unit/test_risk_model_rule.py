"""DA-MODEL-GRADE-REVIEW: the model's high band beside a standard DASH asks for a review; it
never lowers a grade (the final grade is the instrument's, with or without the model)."""

from __future__ import annotations

from dataclasses import replace

from safeguard.domain.history import InvolvementFact, RiskScoreFact
from safeguard.rules.context import Context, score_all
from tests.unit.rules_facts import DEFAULT, at, dash, event, fired, person, run


def _history(yes: int, band: str, **dash_kw: object):  # type: ignore[no-untyped-def]
    e = event(1, at(0))
    return person(
        involvements=(InvolvementFact(1, e, "victim"),),
        assessments=(dash(1, at(0, 2), yes, event_id=1, **dash_kw),),
        risk_scores=(RiskScoreFact("da_repeat", 1, 0.7, band, at(1), "P2", 3),),
    )


def test_high_band_beside_a_standard_grade_asks_a_supervisor_to_review() -> None:
    found = fired(_history(2, "high"), "DA-MODEL-GRADE-REVIEW")
    assert len(found) == 1
    f = found[0]
    assert f.event_id == 1 and f.facts["grade"] == "standard" and f.facts["model_version"] == 3
    assert "never lowers a grade" in f.explanation and "70%" in f.explanation


def test_no_review_when_the_form_is_not_standard_or_the_band_not_high() -> None:
    assert not fired(_history(15, "high"), "DA-MODEL-GRADE-REVIEW")  # graded high already
    assert not fired(_history(2, "medium"), "DA-MODEL-GRADE-REVIEW")
    assert not fired(replace(_history(2, "high"), risk_scores=()), "DA-MODEL-GRADE-REVIEW")


def _grades(h) -> list[str | None]:  # type: ignore[no-untyped-def]
    from safeguard.services.assessment import default_assessor

    ctx = Context(h.normalised(), DEFAULT, default_assessor().catalogue)
    score_all(ctx)
    return [s.result.grade if s.result else None for s in ctx.scored]


def test_the_model_never_lowers_or_changes_a_grade() -> None:
    for yes, grade in ((15, "high"), (11, "medium"), (2, "standard")):
        for band in ("low", "medium", "high"):
            h = _history(yes, band)
            assert _grades(h) == _grades(replace(h, risk_scores=())) == [grade]
    # The other findings are the same with or without the model's scores.
    h = _history(15, "low", officer_grade="high")
    with_model = {f.rule_id for f in run(h).findings}
    assert with_model == {f.rule_id for f in run(replace(h, risk_scores=())).findings}
