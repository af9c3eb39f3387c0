"""Domestic abuse: abusive relationships, repeat incidents, escalation, separation, DASH.

Each abusive relationship has a hidden dangerousness ``d``. It drives how often incidents come
(so prior incidents and a short time since the last one carry the signal), the abuser's other
offending (criminal history), and how severe incidents are. The DASH answers see ``d`` only
faintly through a lot of per-interview noise, which is why, as the research finds, they predict
later serious harm weakly while history predicts it well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from safeguard.simulation import procedures as proc
from safeguard.simulation.population import DAYS_PER_YEAR
from safeguard.simulation.records import ChunkRecords

DASH_POLICE_QUESTIONS = 27
DASH_RIC_QUESTIONS = 24
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
_Q_SEPARATED, _Q_STALKING, _Q_PREGNANT, _Q_CHILDREN = 5, 7, 8, 9
_Q_MORE_OFTEN, _Q_WORSE, _Q_CRIMINAL = 12, 13, 26
_OFFENCES = {
    "none": ("105A", "8U", "58J", "8L"),
    "minor": ("8N", "105A"),
    "serious": ("5D", "8N"),
    "fatal": ("1",),
}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def grade_from_yes(yes: int) -> str:
    """SafeLives suggested levels: 14+ high, 10-13 medium, otherwise standard."""
    return "high" if yes >= 14 else "medium" if yes >= 10 else "standard"


_GRADES = ("standard", "medium", "high")


@dataclass
class Incident:
    victim: int
    abuser: int
    relationship: int
    day: float
    injury: str
    escalating: bool
    separated: bool
    danger: float
    event: str = ""


def simulate_domestic_abuse(rec: ChunkRecords) -> None:
    """Generate every abusive relationship of the chunk and all that follows each incident."""
    pop, r = rec.pop, rec.cfg.rates
    arr = pop.arrays()
    days = rec.end
    age = (-arr["dob"]) / DAYS_PER_YEAR
    adult = (age >= 18) & (age < 80) & ~arr["in_care"]
    couples = np.flatnonzero(adult & (arr["partner"] > np.arange(len(pop))))
    couples = couples[adult[arr["partner"][couples]]]
    singles = np.flatnonzero(adult & (arr["partner"] < 0))
    expected = r.da_relationships_per_adult_year * adult.sum() * days / DAYS_PER_YEAR
    n_rel = int(rec.rng.poisson(expected))
    n_couple = min(len(couples), int(n_rel * 0.85))
    chosen = rec.rng.choice(couples, size=n_couple, replace=False) if n_couple else couples[:0]
    pairs: list[tuple[int, int, float]] = []
    for a in chosen.tolist():
        b = pop.partner[a]
        man, woman = (a, b) if pop.sex[a] == 0 else (b, a)
        victim, abuser = (woman, man) if rec.u() < 0.8 else (man, woman)
        pairs.append((victim, abuser, rec.u() * days))
    males = singles[arr["sex"][singles] == 0]
    females = singles[arr["sex"][singles] == 1]
    for _ in range(n_rel - n_couple):
        if len(males) == 0 or len(females) == 0:
            break
        pairs.append(
            (
                int(females[rec.u.below(len(females))]),
                int(males[rec.u.below(len(males))]),
                rec.u() * days,
            )
        )
    incidents: list[Incident] = []
    rel = 0
    while rel < len(pairs):
        victim, abuser, start = pairs[rel]
        ended = _relationship(rec, victim, abuser, rel, start, incidents)
        if ended is not None and rec.u() < r.da_second_abuser_share and len(males):
            new_abuser = int(males[rec.u.below(len(males))])
            if new_abuser != abuser:
                pairs.append((victim, new_abuser, ended + 60 + rec.u() * 400))
        rel += 1
    by_victim: dict[int, list[Incident]] = {}
    for inc in sorted(incidents, key=lambda x: x.day):
        by_victim.setdefault(inc.victim, []).append(inc)
    for history in by_victim.values():
        last_marac: float | None = None
        for k, inc in enumerate(history):
            last_marac = _record_incident(rec, inc, history[:k], last_marac)
        for k, inc in enumerate(history):
            if not inc.event:
                continue  # happened but not reported before the export
            later = [h for h in history[k + 1 :] if h.day - inc.day <= 365]
            rec.outcomes.append(
                {
                    "event_source_id": inc.event,
                    "victim_person_key": pop.key(inc.victim),
                    "suspect_person_key": pop.key(inc.abuser),
                    "relationship_key": f"{pop.key_offset}-{inc.relationship}",
                    "occurred_at": rec.clock.iso(inc.day),
                    "escalating": inc.escalating,
                    "repeat_within_12m": bool(later),
                    "serious_harm_within_12m": any(h.injury in ("serious", "fatal") for h in later),
                    "followup_complete": inc.day + 365 <= days,
                }
            )


def _relationship(
    rec: ChunkRecords, victim: int, abuser: int, rel: int, start: float, out: list[Incident]
) -> float | None:
    """Incidents of one relationship; returns the day it ended by separation, if it did."""
    r, pop = rec.cfg.rates, rec.pop
    d = float(rec.rng.normal())
    escalating = rec.u() < r.da_escalating_share * (1.6 if d > 0.5 else 0.8)
    pop.criminality[abuser] += math.exp(0.6 * d + 0.6 * float(rec.rng.normal()) - 0.4)
    if not pop.pnc[abuser] and rec.u() < 0.6:
        pop.pnc[abuser] = f"{rec.u.below(30):02d}/{rec.u.below(10**7):07d}X"
    rate = 0.85 * math.exp(0.6 * d)
    separation_at = 1 + rec.u.below(4) if rec.u() < r.da_separation_share else -1
    sep_day: float | None = None
    day, k = start, 0
    while day < rec.end:
        if k == separation_at:
            sep_day = day
        near_sep = sep_day is not None and 0 <= day - sep_day < 90
        # The first report often follows a long unreported history, so it is more often severe.
        sev = (
            -5.1
            + (1.1 if k == 0 else 0.0)
            + 1.0 * d
            + (0.45 * k if escalating else 0.0)
            + (0.7 if near_sep else 0.0)
            + 0.6 * float(rec.rng.normal())
        )
        p = _sigmoid(sev)
        x = rec.u()
        injury = (
            "fatal"
            if x < p * 0.04
            else "serious"
            if x < p
            else "minor"
            if x < _sigmoid(sev + 2.2)
            else "none"
        )
        out.append(Incident(victim, abuser, rel, day, injury, escalating, sep_day is not None, d))
        if injury == "fatal" or (injury == "serious" and rec.u() < 0.5):
            return None
        if rec.u() < 0.33 * _sigmoid(-0.8 * d) * (0.5 if escalating else 1.0) * 2:
            break
        gap = rec.rng.exponential(DAYS_PER_YEAR / rate) * (0.65**k if escalating else 1.0)
        day += max(gap, 1.0)
        k += 1
    return sep_day


def _dash_answers(
    rec: ChunkRecords, inc: Incident, prior: list[Incident], children: bool
) -> dict[str, str]:
    pop = rec.pop
    # Little of the true danger reaches the form: one interview-level impression, much noise.
    z = 0.15 * inc.danger + 0.5 * float(rec.rng.normal())
    logits = _BASE + z + 0.35 * rec.rng.normal(size=DASH_POLICE_QUESTIONS)
    logits[0] += 2.5 if inc.injury != "none" else -1.0
    logits[_Q_SEPARATED] += 2.0 if inc.separated else 0.0
    logits[_Q_STALKING] += 1.0 if inc.separated else 0.0
    age = pop.age_on(inc.victim, int(inc.day))
    logits[_Q_PREGNANT] += 1.2 if pop.sex[inc.victim] == 1 and 18 <= age <= 40 else -3.0
    logits[_Q_CHILDREN] += 1.5 if children else -2.0
    logits[_Q_MORE_OFTEN] += 0.8 if inc.escalating and prior else 0.0
    logits[_Q_WORSE] += 0.8 if inc.escalating and prior else 0.0
    logits[_Q_CRIMINAL] += 1.5 if pop.pnc[inc.abuser] else -1.5
    p = 1.0 / (1.0 + np.exp(-logits))
    draws = rec.rng.random(DASH_POLICE_QUESTIONS)
    unknown = rec.rng.random(DASH_POLICE_QUESTIONS) < np.where(
        np.arange(DASH_POLICE_QUESTIONS) >= 20, 0.12, 0.04
    )
    return {
        f"q{q + 1}": "not_known" if unknown[q] else ("yes" if draws[q] < p[q] else "no")
        for q in range(DASH_POLICE_QUESTIONS)
    }


def _assessment(
    rec: ChunkRecords,
    inc: Incident,
    victim_mention: str,
    prior: list[Incident],
    children: bool,
    reported: float,
) -> str:
    """The police DASH for an incident; returns the grade that stands after any review."""
    r = rec.cfg.rates
    answers = _dash_answers(rec, inc, prior, children)
    yes = sum(1 for v in answers.values() if v == "yes")
    computed = _GRADES.index(grade_from_yes(yes))
    officer = computed
    rationale = None
    if rec.u() < r.officer_grade_disagrees:
        officer = max(0, min(2, computed + (1 if rec.u() < 0.6 else -1)))
        if officer > computed:
            rationale = "Professional judgement: victim's fear and recent change in behaviour."
    completed = reported + 0.05 + rec.u() * 0.3
    area = rec.area_of(inc.victim)
    team, assessor = rec.officer(area, "Response")
    reviewed = reviewed_by = reviewed_at = None
    final = officer
    if rec.u() < r.supervisor_review:
        final = max(officer, computed) if rec.u() < 0.9 else min(2, officer + 1)
        reviewed = _GRADES[final]
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
        answers=answers,
        officer_grade=_GRADES[officer],
        rationale=rationale,
        assessor_id=assessor,
        assessor_team=team,
        completed_at=rec.clock.iso(completed),
        reviewed_grade=reviewed,
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
    )
    if answers[f"q{_Q_STALKING + 1}"] == "yes" and rec.u() < 0.6:
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
    return _GRADES[final] if yes < 14 or final == 2 else "high"


def _record_incident(
    rec: ChunkRecords, inc: Incident, prior: list[Incident], last_marac: float | None
) -> float | None:
    """Event, people, DASH, referrals and victim contacts of one incident."""
    pop, r = rec.pop, rec.cfg.rates
    day = inc.day
    reported = day + 0.01 + rec.u() * 0.2
    if reported >= rec.end:
        return last_marac  # not reported before the export
    area = rec.area_of(inc.victim)
    home = rec.household_location(inc.victim, day)
    offences = _OFFENCES[inc.injury]
    crime = inc.injury != "none" or rec.u() < 0.55
    inc.event = rec.event(
        "domestic_abuse",
        day,
        reported=reported,
        area=area,
        team_kind="Response",
        location=home,
        domestic_abuse_related=True,
        injury_level=inc.injury,
        offence_code=offences[rec.u.below(len(offences))] if crime else None,
        summary="Domestic incident attended; parties spoken to separately.",
    )
    victim_m = rec.mention(inc.victim, reported)
    abuser_m = rec.mention(inc.abuser, reported)
    relationship = "ex_partner" if inc.separated else "intimate_partner"
    rec.involve(inc.event, victim_m, "victim", reported, relationship)
    rec.involve(inc.event, abuser_m, "suspect", reported)
    kids = _children_at_home(rec, inc.victim, int(day))
    present: list[tuple[int, str]] = []
    for c in kids:
        if rec.u() < 0.6:
            cm = rec.mention(c, reported)
            rel = "child" if inc.abuser in (pop.mother[c], pop.father[c]) else "family_member"
            rec.involve(inc.event, cm, "child_present", reported, rel)
            present.append((c, cm))
    grade = "not_done"
    if rec.u() >= r.dash_not_completed:
        grade = _assessment(rec, inc, victim_m, prior, bool(kids), reported)
    recent = [p for p in prior if day - p.day <= 365]
    route = None
    if grade == "high":
        route = "visible_high_risk" if rec.u() < 0.7 else "professional_judgement"
    elif len(recent) >= 2:
        route = "potential_escalation"
    elif last_marac is not None and day - last_marac <= 365:
        route = "repeat"
    if route is not None and rec.u() >= r.marac_missed:
        made = reported + 0.5 + rec.u() * 4
        meeting = made + 7 + rec.u() * 21
        sid = proc.referral(
            rec,
            "marac",
            victim_m,
            made,
            event=inc.event,
            agency="Cumbria MARAC",
            route=route,
            statuses=[("received", made + 0.1), ("accepted", made + 1), ("closed", meeting)],
        )
        if sid is not None:
            last_marac = made
        if grade == "high" and rec.u() < 0.8:
            idva = made + rec.u()
            proc.referral(
                rec,
                "idva",
                victim_m,
                idva,
                event=inc.event,
                agency=proc.IDVA,
                statuses=[("received", idva + 0.2), ("accepted", idva + 2)],
            )
    for c, cm in present:
        if 4 <= pop.age_on(c, int(day)) <= 17:
            proc.operation_encompass(rec, inc.event, c, cm, reported)
    if present:
        rag = (
            "red"
            if grade == "high" or inc.injury in ("serious", "fatal")
            else ("amber" if grade == "medium" else "green")
        )
        proc.mash_referral(
            rec,
            present[0][0],
            reported + 0.3 + rec.u(),
            rag,
            "Child present at domestic abuse incident.",
        )
    arrest = reported + 0.1 + rec.u() if crime and rec.u() < 0.55 else None
    on_time = proc.victims_code(rec, inc.event, victim_m, reported, enhanced=True, arrest=arrest)
    proc.satisfaction(rec, inc.event, victim_m, reported, on_time)
    return last_marac


def _children_at_home(rec: ChunkRecords, victim: int, day: int) -> list[int]:
    pop = rec.pop
    hh = pop.household[victim]
    out = []
    for c in rec.household_members(hh):
        if c != victim and 0 <= pop.age_on(c, day) < 18 and not pop.in_care[c]:
            out.append(c)
    return out
