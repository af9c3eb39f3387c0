"""Missing episodes and child exploitation: who goes missing, how often, what follows.

Children in care go missing far more often than other children; a minority of children go
missing again and again; exploited children (mostly girls) go missing more and their episodes
carry an exploitation flag; return home interviews are offered and often late.
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np

from safeguard.simulation import procedures as proc
from safeguard.simulation.population import DAYS_PER_YEAR
from safeguard.simulation.records import ChunkRecords

SERAF_VULNERABILITIES = (
    "v_in_care",
    "v_learning_disability",
    "v_substance_misuse",
    "v_missing_history",
    "v_excluded_from_school",
    "v_domestic_abuse_at_home",
    "v_previous_abuse",
    "v_mental_health",
)
SERAF_MODERATE = (
    "m_older_associates",
    "m_unexplained_gifts_or_money",
    "m_truancy",
    "m_secretive_phone_or_online_use",
    "m_peers_being_exploited",
    "m_change_in_behaviour",
)
SERAF_SIGNIFICANT = (
    "s_sti_or_pregnancy",
    "s_found_in_adult_premises",
    "s_travelling_unexplained",
    "s_physical_injuries",
    "s_disclosure_of_exploitation",
    "s_multiple_phones",
)
SERAF_GRADES = ("low", "medium", "significant", "serious")

#: Another episode within this many days is the repeat-missing target (issue 15).
REPEAT_WINDOW = 90.0
EPISODE_BASE = -0.6
EPISODE_FIRST = -0.3
CHILD_PROPENSITY_SD = 0.6
EPISODE_NOISE_SD = 0.3
#: Gap (days, after the first) given it falls within 90 days: exponential, truncated.
GAP_LOG_RATE = -3.4
GAP_LOGIT = 0.3
RESUME = 0.4
RESUME_IN_CARE = 0.6
RESUME_MEAN_DAYS = 250.0


def count_between(days: list[float], lo: float, hi: float) -> int:
    """How many of the sorted ``days`` fall in [lo, hi)."""
    return bisect_left(days, hi) - bisect_left(days, lo)


def simulate_missing(rec: ChunkRecords) -> None:
    """Missing children (with exploitation) and missing adults of the chunk."""
    pop, r = rec.pop, rec.cfg.rates
    arr = pop.arrays()
    years = rec.end / DAYS_PER_YEAR
    age = -arr["dob"] / DAYS_PER_YEAR
    child = (age >= 8) & (age < 18)
    p = np.where(arr["in_care"], r.missing_child_in_care_rate, r.missing_child_rate) * years
    p = np.where(child, np.minimum(p, 0.95), 0.0)
    adults = (age >= 18) & (age < 90)
    p = np.where(adults, r.missing_adult_rate * years, p)
    goes_missing = np.flatnonzero(rec.rng.random(len(pop)) < p)
    for i in goes_missing.tolist():
        _person_episodes(rec, i, is_child=bool(child[i]))
    # CSE concerns that do not start from a missing episode.
    girls = np.flatnonzero(child & (arr["sex"] == 1) & (age >= 11))
    n = int(rec.rng.poisson(r.cse_concern_rate_girls * len(girls) * years))
    for i in rec.rng.choice(girls, size=min(n, len(girls)), replace=False).tolist():
        cse_concern(rec, int(i), rec.u() * rec.end)


def _person_episodes(rec: ChunkRecords, i: int, *, is_child: bool) -> None:
    pop, u = rec.pop, rec.u
    in_care = pop.in_care[i]
    if not is_child:
        day = u() * rec.end
        for _ in range(1 + int(u() < 0.2)):
            if day >= rec.end:
                break
            _episode(rec, i, day, is_child=False, in_care=False, flag=False)
            day += 1 + rec.rng.exponential(60)
        return
    # Exploitation is hidden and mostly of girls; it shows in the records only as flagged
    # episodes, and only those flags (never the child's sex) raise the risk of going again.
    exploited = u() < (0.25 if pop.sex[i] == 1 else 0.075) * (1.5 if in_care else 1.0)
    propensity = CHILD_PROPENSITY_SD * float(rec.rng.normal())
    area = rec.area_of(i)
    day = u() * rec.end
    times: list[float] = []
    flags = 0
    rhi_missed = False
    episodes: list[tuple[int, str, str, float]] = []
    while day < rec.end:
        flag = u() < (0.34 if exploited else 0.02)
        recorded = _episode(rec, i, day, is_child=True, in_care=in_care, flag=flag)
        if flag and not flags:
            cse_concern(rec, i, day + 1 + u() * 10)
        logit = next_episode_logit(
            in_last_90_days=count_between(times, day - REPEAT_WINDOW, day),
            in_year_before=count_between(times, day - 365, day - REPEAT_WINDOW),
            days_since=day - times[-1] if times else None,
            in_care=in_care,
            flagged=flag,
            flagged_before=flags,
            no_interview_after_last=rhi_missed,
            age=(day - pop.dob[i]) / DAYS_PER_YEAR,
            area=area,
            propensity=propensity,
            noise=EPISODE_NOISE_SD * float(rec.rng.normal()),
        )
        p_within = 1.0 / (1.0 + math.exp(-logit))
        if recorded is not None:
            episodes.append((len(times), recorded[0], recorded[1], p_within))
        times.append(day)
        flags += flag
        rhi_missed = recorded is not None and not recorded[2]
        if u() < p_within:
            rate = math.exp(GAP_LOG_RATE + GAP_LOGIT * logit)
            span = REPEAT_WINDOW - 1.0
            day += 1.0 - math.log(1.0 - u() * (1.0 - math.exp(-rate * span))) / rate
        elif u() < (RESUME_IN_CARE if in_care else RESUME):
            day += REPEAT_WINDOW + rec.rng.exponential(RESUME_MEAN_DAYS)
        else:
            break
    for k, event, episode, p_within in episodes:
        at = times[k]
        if pop.age_on(i, int(at)) >= 18:
            continue
        nxt = times[k + 1] if k + 1 < len(times) else math.inf
        rec.missing_outcomes.append(
            {
                "missing_episode_source_id": episode,
                "event_source_id": event,
                "person_key": pop.key(i),
                "last_seen_at": rec.clock.iso(at),
                "in_care": in_care,
                "repeat_within_90d": nxt - at <= REPEAT_WINDOW,
                "p_repeat_90d": round(p_within, 6),
                "followup_complete": at + REPEAT_WINDOW <= rec.end,
            }
        )


def next_episode_logit(
    *,
    in_last_90_days: int,
    in_year_before: int,
    days_since: float | None,
    in_care: bool,
    flagged: bool,
    flagged_before: int,
    no_interview_after_last: bool,
    age: float,
    area: int,
    propensity: float,
    noise: float,
) -> float:
    """Log-odds that a child missing now goes missing again within 90 days (docs/simulation.md)."""
    return (
        EPISODE_BASE
        + 0.3 * math.log1p(in_last_90_days)
        + 0.35 * math.log1p(in_year_before)
        + (-0.25 * math.log1p(days_since / 7.0) if days_since is not None else EPISODE_FIRST)
        + (1.1 if in_care else 0.0)
        + (0.15 if flagged else 0.0)
        + 0.1 * math.log1p(flagged_before)
        + (0.3 if no_interview_after_last else 0.0)
        - 0.04 * (age - 15.0) ** 2
        + (-0.1, 0.0, 0.1)[area]
        + propensity
        + noise
    )


def _episode(
    rec: ChunkRecords, i: int, last_seen: float, *, is_child: bool, in_care: bool, flag: bool
) -> tuple[str, str, bool] | None:
    """One missing episode and what follows it; returns (event id, episode id, whether a
    return home interview was done), or None when it was not reported before the export."""
    pop, r, u = rec.pop, rec.cfg.rates, rec.u
    reported = last_seen + float(rec.rng.lognormal(np.log(3 / 24), 0.8))
    if reported >= rec.end:
        return None
    found: float | None = reported + float(rec.rng.lognormal(np.log(12 / 24), 1.0))
    if found is not None and found > rec.end:
        found = None
    area = rec.area_of(i)
    home = rec.household_location(i, last_seen)
    if is_child:
        grade = (
            "high"
            if flag and u() < 0.5
            else "medium"
            if (flag or in_care or u() < 0.3)
            else ("low")
        )
    else:
        grade = ("no_apparent_risk", "low", "medium", "high")[min(3, u.below(4) + int(u() < 0.2))]
    event = rec.event(
        "missing_person",
        last_seen,
        reported=reported,
        area=area,
        team_kind="Missing Persons Unit" if grade == "high" else "Response",
        location=home,
        recorded=found if found is not None else reported,
        summary="Reported missing; enquiries made; returned." if found else "Reported missing.",
    )
    m = rec.mention(i, reported)
    rec.involve(event, m, "missing_person", reported)
    carers = [
        c
        for c in rec.household_members(pop.household[i])
        if c != i and pop.age_on(c, int(last_seen)) >= 18
    ]
    if carers and u() < 0.7:
        rec.involve(event, rec.mention(carers[0], reported), "reporter", reported)
    rhi_offered = rhi_completed = None
    declined = None
    if is_child and found is not None:
        if u() < r.rhi_offered:
            rhi_offered = found + 0.1 + u() * 1.5
            if u() < r.rhi_completed_of_offered:
                within = u() < r.rhi_within_72h
                rhi_completed = found + (0.3 + u() * 2.6 if within else 3.05 + u() * 11)
                if rhi_completed > rec.end:
                    rhi_completed = None
                declined = False
            elif u() < 0.5:
                declined = True
        if rhi_offered is not None and rhi_offered > rec.end:
            rhi_offered, declined = None, None
    last = max(t for t in (reported, found, rhi_offered, rhi_completed) if t is not None)
    episode = rec.add(
        "missing_episode",
        rec.cfg.police_system,
        rec.ids.next("ME"),
        last,
        event_ref=event,
        mention_ref=m,
        last_seen_at=rec.clock.iso(last_seen),
        reported_missing_at=rec.clock.iso(reported),
        found_at=rec.clock.iso(found) if found is not None else None,
        risk_grade=grade,
        in_care=in_care if is_child else False,
        exploitation_flag=flag,
        rhi_offered_at=rec.clock.iso(rhi_offered) if rhi_offered is not None else None,
        rhi_completed_at=rec.clock.iso(rhi_completed) if rhi_completed is not None else None,
        rhi_declined=declined,
    )
    if flag:
        proc.referral(
            rec,
            "cse_screening",
            m,
            reported + 0.5 + u() * 2,
            event=event,
            agency="CERAR",
            statuses=[("received", reported + 3)],
        )
    return event, episode, rhi_completed is not None


def _seraf_answer(rec: ChunkRecords, p: float, day: float, window: int) -> str:
    """'no', 'yes' (date unknown) or the ISO date when last observed (inside or outside the
    instrument's window)."""
    u = rec.u
    if u() >= p:
        return "no"
    if u() < 0.3:
        return "yes"
    back = u() * window * (1.6 if u() < 0.2 else 1.0)
    return rec.clock.date_iso(max(0.0, day - back))


def cse_concern(rec: ChunkRecords, i: int, day: float) -> None:
    """A CSE concern about child ``i``: event, SERAF screening, MASH referral."""
    if day >= rec.end:
        return
    pop, u = rec.pop, rec.u
    reported = day + 0.1 + u()
    if reported >= rec.end:
        return
    area = rec.area_of(i)
    online = u() < 0.4
    event = rec.event(
        "child_sexual_exploitation",
        day,
        reported=reported,
        area=area,
        team_kind="Public Protection Unit",
        location=None if online else rec.public_location(pop.town[i], day),
        online=online,
        summary="Concern raised about possible exploitation; safeguarding measures taken.",
    )
    m = rec.mention(i, reported)
    rec.involve(event, m, "victim", reported, "acquaintance")
    # Objects name their event in the description, not in event_ref: schema v1 orders object
    # before event, so an event_ref could not resolve within one ingest run.
    if online:
        rec.add(
            "object",
            rec.cfg.police_system,
            rec.ids.next("O"),
            reported,
            object_kind="online_account",
            identifier=f"user{rec.u.below(10**6):06d}",
            description=f"Account seen in event {event}",
        )
    if u() < 0.5:
        rec.add(
            "object",
            rec.cfg.police_system,
            rec.ids.next("O"),
            reported,
            object_kind="phone",
            identifier=f"07{rec.u.below(10**9):09d}",
            description=f"Phone seen in event {event}",
        )
    severity = u()
    answers: dict[str, str] = {}
    for key in SERAF_VULNERABILITIES:
        yes = (key == "v_in_care" and pop.in_care[i]) or u() < 0.25
        answers[key] = "yes" if yes else "no"
    for key in SERAF_MODERATE:
        answers[key] = _seraf_answer(rec, 0.2 + 0.5 * severity, reported, 183)
    for key in SERAF_SIGNIFICANT:
        answers[key] = _seraf_answer(rec, 0.05 + 0.35 * severity, reported, 365)
    grade = SERAF_GRADES[min(3, int(severity * 4 + (u() - 0.5)))] if severity > 0.1 else "low"
    team, officer = rec.officer(area, "Public Protection Unit")
    completed = reported + 0.5 + u() * 3
    rec.add(
        "risk_assessment",
        rec.cfg.police_system,
        rec.ids.next("RA"),
        completed,
        event_ref=event,
        subject_ref=m,
        instrument_id="cse-seraf",
        instrument_version="1",
        answers=answers,
        officer_grade=grade,
        assessor_id=officer,
        assessor_team=team,
        completed_at=rec.clock.iso(min(completed, rec.end)),
    )
    rag = "red" if grade in ("significant", "serious") else "amber"
    proc.mash_referral(rec, i, reported + 0.2, rag, "Child exploitation concern.")
