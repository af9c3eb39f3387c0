"""Grading consistency (DOMAIN.md A3, A5, I1): officer grades below the instrument's, and grades
or regrades without their rationale. The grade is never changed here; these are findings for
supervisors (training need, consistency by officer and team)."""

from __future__ import annotations

from safeguard.rules.context import Context, Scored


def _facts(s: Scored) -> dict[str, object]:
    assert s.result is not None
    return {
        "officer_grade": s.fact.officer_grade,
        "reviewed_grade": s.fact.reviewed_grade,
        "instrument_grade": s.result.actuarial_grade,
        "grade": s.result.grade,
        "assessor_team": s.fact.assessor_team,
    }


def _check(ctx: Context, s: Scored) -> None:
    result, inst, fact = s.result, s.instrument, s.fact
    assert result is not None and inst is not None
    anchor = f"assessment:{fact.assessment_id}"
    name = (
        f"assessment {fact.assessment_id} ({fact.instrument_id}/{fact.instrument_version}, "
        f"{ctx.when(fact.completed_at)})"
    )
    event = ctx.history.event(fact.event_id)
    officer = fact.officer_grade if fact.officer_grade in inst.grades else None
    instrument_grade = result.actuarial_grade
    if officer is not None and instrument_grade is not None and result.grade is not None:
        floor_grade = max(instrument_grade, result.grade, key=inst.rank)
        if inst.rank(officer) < inst.rank(floor_grade):
            ctx.flag(
                "GRADE-OFFICER-BELOW-INSTRUMENT",
                anchor,
                f"{name}: the officer graded {officer}, below the instrument's {floor_grade}; "
                f"the grade stays {result.grade}.",
                event=event,
                scored=s,
                facts=_facts(s),
            )
    reviewed = fact.reviewed_grade if fact.reviewed_grade in inst.grades else None
    no_rationale = not (fact.rationale or "").strip()
    if reviewed is not None and reviewed != officer and no_rationale:
        ctx.flag(
            "GRADE-REGRADE-NO-RATIONALE",
            anchor,
            f"{name}: regraded {reviewed} (officer {officer or 'no grade'}) with no rationale "
            f"recorded; the grade is {result.grade}.",
            event=event,
            scored=s,
            facts=_facts(s),
        )
    elif result.rationale_missing:
        ctx.flag(
            "GRADE-RATIONALE-MISSING",
            anchor,
            f"{name}: graded {result.grade} by the officer with no rationale recorded; the "
            "officer's grade is kept; record the rationale.",
            event=event,
            scored=s,
            facts=_facts(s),
        )


def run(ctx: Context) -> None:
    """Apply the grading-consistency rules to every complete assessment."""
    for s in ctx.scored:
        if s.complete and s.result is not None and s.instrument is not None:
            _check(ctx, s)
