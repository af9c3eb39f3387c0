"""The police DASH for a simulated domestic-abuse incident: answers, officer grade, review.

The answers know the truth only faintly, as the research finds (DOMAIN.md A6): one
interview-level impression that sees the pair's hidden danger at 0.15 beside noise of s.d. 0.5,
item noise of s.d. 0.35, and a few questions that follow the facts of the incident (injury,
separation, stalking after separation, pregnancy age, children, escalation, the abuser's PNC
record, and "are you very frightened?" that sees the danger a little more). Separation,
criminal history and fear are therefore slightly associated with what happens next; the rest
are noise around the facts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from safeguard.simulation.records import ChunkRecords

if TYPE_CHECKING:
    from safeguard.simulation.domestic import Incident

DASH_POLICE_QUESTIONS = 27
SDASH_QUESTIONS = 11
#: Base log-odds of "yes" per police DASH question (q1..q27): common ones first.
_BASE = np.array(
    [
        -0.4,
        0.6,
        0.3,
        -0.6,
        -0.5,
        -0.4,
        -1.4,
        -0.6,
        -2.2,
        -1.2,
        -2.4,
        -2.6,
        -0.2,
        -0.1,
        0.2,
        -1.6,
        -1.7,
        -1.8,
        -1.7,
        -2.0,
        -1.2,
        -2.4,
        -0.9,
        -0.3,
        -1.6,
        -1.3,
        -0.4,
    ]
)
_Q_INJURY, _Q_FRIGHTENED, _Q_SEPARATED, _Q_STALKING, _Q_PREGNANT, _Q_CHILDREN = 0, 1, 5, 7, 8, 9
_Q_MORE_OFTEN, _Q_WORSE, _Q_CRIMINAL = 12, 13, 26
GRADES = ("standard", "medium", "high")


def grade_from_yes(yes: int) -> str:
    """SafeLives suggested levels: 14+ high, 10-13 medium, otherwise standard."""
    return "high" if yes >= 14 else "medium" if yes >= 10 else "standard"


def answers(rec: ChunkRecords, inc: Incident, prior: int, children: bool) -> dict[str, str]:
    """The 27 answers for ``inc``; ``prior`` is how many earlier incidents of the pair the
    force recorded."""
    pop, pair = rec.pop, inc.pair
    z = 0.12 * pair.danger + 0.5 * float(rec.rng.normal())
    logits = _BASE + z + 0.35 * rec.rng.normal(size=DASH_POLICE_QUESTIONS)
    logits[_Q_INJURY] += 2.5 if inc.injury != "none" else -1.0
    logits[_Q_FRIGHTENED] += 0.3 * pair.danger
    logits[_Q_SEPARATED] += 2.0 if inc.separated else 0.0
    logits[_Q_STALKING] += 1.0 if inc.separated else 0.0
    age = pop.age_on(pair.victim, int(inc.day))
    logits[_Q_PREGNANT] += 1.2 if pop.sex[pair.victim] == 1 and 18 <= age <= 40 else -3.0
    logits[_Q_CHILDREN] += 1.5 if children else -2.0
    logits[_Q_MORE_OFTEN] += 0.8 if pair.escalating and prior else 0.0
    logits[_Q_WORSE] += 0.8 if pair.escalating and prior else 0.0
    logits[_Q_CRIMINAL] += 1.5 if pop.pnc[pair.abuser] else -1.5
    p = 1.0 / (1.0 + np.exp(-logits))
    draws = rec.rng.random(DASH_POLICE_QUESTIONS)
    unknown = rec.rng.random(DASH_POLICE_QUESTIONS) < np.where(
        np.arange(DASH_POLICE_QUESTIONS) >= 20, 0.12, 0.04
    )
    return {
        f"q{q + 1}": "not_known" if unknown[q] else ("yes" if draws[q] < p[q] else "no")
        for q in range(DASH_POLICE_QUESTIONS)
    }


def assessment(
    rec: ChunkRecords,
    inc: Incident,
    victim_mention: str,
    prior: int,
    children: bool,
    reported: float,
) -> str:
    """The police DASH for an incident (and an S-DASH after a stalking answer); returns the
    grade that stands after any review."""
    r = rec.cfg.rates
    given = answers(rec, inc, prior, children)
    yes = sum(1 for v in given.values() if v == "yes")
    computed = GRADES.index(grade_from_yes(yes))
    officer = computed
    rationale = None
    if rec.u() < r.officer_grade_disagrees:
        # Officers who can see earlier incidents of the pair lean towards raising the grade.
        up = 0.5 + 0.1 * min(prior, 3)
        officer = max(0, min(2, computed + (1 if rec.u() < up else -1)))
        if officer > computed:
            rationale = "Professional judgement: victim's fear and recent change in behaviour."
    completed = reported + 0.05 + rec.u() * 0.3
    area = rec.area_of(inc.pair.victim)
    team, assessor = rec.officer(area, "Response")
    reviewed = reviewed_by = reviewed_at = None
    final = officer
    if rec.u() < r.supervisor_review:
        final = max(officer, computed) if rec.u() < 0.9 else min(2, officer + 1)
        reviewed = GRADES[final]
        reviewed_by = rec.officer(area, "Public Protection Unit")[1]
        reviewed_at = rec.clock.iso(min(completed + 0.5 + rec.u() * 3, rec.end))
    rec.add(
        "risk_assessment",
        rec.cfg.police_system,
        rec.ids.next("RA"),
        completed + 0.01,
        event_ref=inc.event,
        subject_ref=victim_mention,
        instrument_id="dash-police",
        instrument_version="2009",
        answers=given,
        officer_grade=GRADES[officer],
        rationale=rationale,
        assessor_id=assessor,
        assessor_team=team,
        completed_at=rec.clock.iso(completed),
        reviewed_grade=reviewed,
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
    )
    if given[f"q{_Q_STALKING + 1}"] == "yes" and rec.u() < 0.6:
        s_answers = {f"q{q}": ("yes" if rec.u() < 0.45 else "no") for q in range(1, 12)}
        rec.add(
            "risk_assessment",
            rec.cfg.police_system,
            rec.ids.next("RA"),
            completed + 0.02,
            event_ref=inc.event,
            subject_ref=victim_mention,
            instrument_id="s-dash",
            instrument_version="2009",
            answers=s_answers,
            assessor_id=assessor,
            assessor_team=team,
            completed_at=rec.clock.iso(completed + 0.01),
        )
    return GRADES[final] if yes < 14 or final == 2 else "high"
