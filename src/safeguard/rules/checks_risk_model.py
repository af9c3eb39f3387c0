"""The risk model's one rule: where history says high and the form says standard, a supervisor
reviews the grade (``DA-MODEL-GRADE-REVIEW``). The model never changes a grade: the finding asks
a person to look, and only a reviewer's grade (which may only raise it) changes what is shown.

It reads the active model's scores that the history carries (``PersonHistory.risk_scores``,
written by ``safeguard risk score`` and on every targeted re-assessment) and the final grade of
the incident's DASH form as the rules engine scored it.
"""

from __future__ import annotations

from safeguard.domain.risk.bands import needs_grade_review
from safeguard.rules.context import Context

RULE = "DA-MODEL-GRADE-REVIEW"
_DA_TARGETS = ("da_repeat", "da_serious_harm")


def run(ctx: Context) -> None:
    if not ctx.history.risk_scores:
        return
    graded = {
        s.fact.event_id: s
        for s in ctx.scored
        if s.is_da_instrument and s.complete and s.result and s.fact.event_id is not None
    }
    for score in sorted(ctx.history.risk_scores, key=lambda r: (r.event_id, r.target)):
        s = graded.get(score.event_id)
        if score.target not in _DA_TARGETS or s is None or s.result is None:
            continue
        if not needs_grade_review(score.band, s.result.grade):
            continue
        ctx.flag(
            RULE,
            f"event:{score.event_id}:{score.target}",
            f"The risk model (v{score.model_version}) puts {score.target.replace('_', ' ')} at "
            f"{score.probability:.0%} (band high) for this incident, but DASH "
            f"{s.fact.assessment_id} is graded standard: a supervisor should review the grade. "
            "The model is advisory and never lowers a grade; it may be cited on MARAC's "
            "professional-judgement route.",
            event=ctx.history.event(score.event_id),
            scored=s,
            facts={
                "target": score.target,
                "probability": round(score.probability, 4),
                "band": score.band,
                "grade": s.result.grade,
                "model_version": score.model_version,
            },
        )
