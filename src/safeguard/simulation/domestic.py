"""Domestic abuse: abusive relationships, their incidents, serious harm, breaches, DASH.

Run in two steps. :func:`plan_domestic_abuse` picks every abusive relationship of the chunk
(couples, abusers met outside the home, a victim's later abuser, a serial abuser's later
victim), draws each one's hidden danger, escalation, separation and end, and gives abusers
the offending propensity that ``crime.py`` then turns into criminal records.
:func:`simulate_domestic_abuse` runs after the other crime, so each relationship's incidents
can read the suspect's record as it stood. ``domestic_risk.py`` holds the hazards and the
exact probability of each target that ``outcomes.csv`` carries.

About 490 lines on purpose: a relationship's plan and its incidents share the hidden state
(danger, escalation, separation) that makes the true probability exact.
"""

from __future__ import annotations

import heapq
import math
from bisect import insort
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from safeguard.domain.offences import OffenceGroup, default_classification
from safeguard.simulation import dash
from safeguard.simulation import domestic_risk as risk
from safeguard.simulation import procedures as proc
from safeguard.simulation.dash import grade_from_yes
from safeguard.simulation.population import DAYS_PER_YEAR
from safeguard.simulation.records import ChunkRecords

__all__ = ["OFFENCE_CODES", "grade_from_yes", "plan_domestic_abuse", "simulate_domestic_abuse"]

#: Home Office offence codes of ordinary incidents by severity rank (0 is not a crime):
#: 1 harassment, coercive control, criminal damage; 2 assault without injury; 3 with injury.
_ORDINARY_CODES: tuple[tuple[str, ...], ...] = ((), ("8L", "8U", "58A"), ("105A",), ("8N",))
_SERIOUS_CODES = ("5D", "8N")
_FATAL_CODE = "1"
_RAPE_CODES = {1: "19C", 0: "19F"}  # by the victim's sex
#: Breach of a restraining order, of a non-molestation order (Home Office class/subclass).
_BREACH_CODES = ("008/31", "066/39")
OFFENCE_CODES = tuple(
    sorted(
        {c for codes in _ORDINARY_CODES for c in codes}
        | set(_SERIOUS_CODES)
        | {_FATAL_CODE, *_RAPE_CODES.values(), *_BREACH_CODES}
    )
)
#: Abuse may have begun up to two years before the period: those incidents shape the pair's
#: risk but are not in the extract (records before the period are not generated).
_LEAD_IN_DAYS = 730.0
_SEXUAL_SHARE_OF_SERIOUS = 0.15
_FATAL_SHARE_OF_SERIOUS = 0.04
_ENDS_AFTER_SERIOUS = 0.5
_ORDER_AFTER_CRIME = 0.2
_BREACH_WHILE_ORDER = 0.8


@dataclass
class Pair:
    """One abusive relationship (victim–suspect pair) and its hidden character."""

    key: int
    victim: int
    abuser: int
    begins: float
    ends: float
    danger: float
    escalating: bool
    separation: float | None
    frailty: float
    follow_ons: list[tuple[Pair, float, str]] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)


@dataclass
class Incident:
    """One incident of a pair; ``event`` is its source id once the force has recorded it."""

    pair: Pair
    day: float
    rank: int
    injury: str
    code: str | None
    breach: bool
    serious_harm: bool
    separated: bool
    charged: bool = False
    p_repeat: float = 0.0
    p_serious: float = 0.0
    event: str = ""


@dataclass
class DomesticPlan:
    """The relationships chosen before the other crime is simulated."""

    pairs: list[Pair]


def _draw_pair(
    rec: ChunkRecords, key: int, victim: int, abuser: int, begins: float, danger: float
) -> Pair:
    r = rec.cfg.rates
    escalating = rec.u() < r.da_escalating_share * (1.6 if danger > 0.5 else 0.8)
    years = math.exp(2.0 + 0.25 * danger + 0.5 * float(rec.rng.normal()))
    ends = begins + years * DAYS_PER_YEAR
    separation = None
    if rec.u() < r.da_separation_share:
        separation = begins + (ends - begins) * (0.3 + 0.6 * rec.u())
    frailty = risk.SERIOUS_FRAILTY_SD * float(rec.rng.normal())
    pop = rec.pop
    pop.criminality[abuser] += math.exp(1.1 * danger + 0.3 * float(rec.rng.normal()) - 0.6)
    if not pop.pnc[abuser] and rec.u() < 0.6:
        pop.pnc[abuser] = f"{rec.u.below(30):02d}/{rec.u.below(10**7):07d}X"
    return Pair(key, victim, abuser, begins, ends, danger, escalating, separation, frailty)


def plan_domestic_abuse(rec: ChunkRecords) -> DomesticPlan:
    """Choose the chunk's abusive relationships and their hidden character."""
    pop, r = rec.pop, rec.cfg.rates
    arr = pop.arrays()
    days = rec.end
    age = (-arr["dob"]) / DAYS_PER_YEAR
    adult = (age >= 18) & (age < 80) & ~arr["in_care"]
    couples = np.flatnonzero(adult & (arr["partner"] > np.arange(len(pop))))
    couples = couples[adult[arr["partner"][couples]]]
    singles = np.flatnonzero(adult & (arr["partner"] < 0))
    span = days + _LEAD_IN_DAYS
    expected = r.da_relationships_per_adult_year * adult.sum() * span / DAYS_PER_YEAR
    n_rel = int(rec.rng.poisson(expected))
    n_couple = min(len(couples), int(n_rel * 0.85))
    chosen = rec.rng.choice(couples, size=n_couple, replace=False) if n_couple else couples[:0]
    starts: list[tuple[int, int]] = []
    for a in chosen.tolist():
        b = pop.partner[a]
        man, woman = (a, b) if pop.sex[a] == 0 else (b, a)
        starts.append((woman, man) if rec.u() < 0.8 else (man, woman))
    males = singles[arr["sex"][singles] == 0]
    females = singles[arr["sex"][singles] == 1]
    if len(males) and len(females):
        for _ in range(n_rel - n_couple):
            starts.append(
                (int(females[rec.u.below(len(females))]), int(males[rec.u.below(len(males))]))
            )
    pairs: list[Pair] = []
    for victim, abuser in starts:
        danger = float(rec.rng.normal())
        pair = _draw_pair(rec, len(pairs), victim, abuser, rec.u() * span - _LEAD_IN_DAYS, danger)
        pairs.append(pair)
    for pair in list(pairs):
        if len(males) and rec.u() < r.da_second_abuser_share:
            new_abuser = int(males[rec.u.below(len(males))])
            if new_abuser != pair.abuser:
                later = _draw_pair(
                    rec, len(pairs), pair.victim, new_abuser, 0.0, float(rec.rng.normal())
                )
                pair.follow_ons.append((later, 60 + rec.u() * 400, "victim"))
                pairs.append(later)
        serial = r.da_serial_abuser_share * (1.5 if pair.danger > 0.5 else 0.7)
        if len(females) and rec.u() < serial:
            new_victim = int(females[rec.u.below(len(females))])
            if new_victim not in (pair.victim, pair.abuser):
                danger = 0.7 * pair.danger + 0.7 * float(rec.rng.normal())
                later = _draw_pair(rec, len(pairs), new_victim, pair.abuser, 0.0, danger)
                pair.follow_ons.append((later, 90 + rec.u() * 500, "abuser"))
                pairs.append(later)
    return DomesticPlan(pairs)


class _Histories:
    """What each person's records held, for the pairs that read them (sorted day lists)."""

    def __init__(self, rec: ChunkRecords) -> None:
        offences = default_classification()
        self.offences: dict[tuple[int, OffenceGroup], list[float]] = defaultdict(list)
        for person, day, code in rec.offending:
            group = offences.group(code)
            if group is OffenceGroup.ACQUISITIVE:
                group = OffenceGroup.OTHER  # "other offending" in the risk: all but violent, sexual
            self.offences[(person, group)].append(day)
        self.victimised: dict[int, list[float]] = defaultdict(list)
        for person, day in rec.victimisations:
            self.victimised[person].append(day)
        for days in (*self.offences.values(), *self.victimised.values()):
            days.sort()
        self.as_suspect: dict[int, list[float]] = defaultdict(list)
        self.recorded_as_victim: dict[int, list[float]] = defaultdict(list)
        self.last_marac: dict[int, float] = {}

    def exogenous(self, pair: Pair) -> risk.Exogenous:
        """Histories fixed while ``pair`` runs: the suspect's record and other victims, the
        victim's other victimisation (crime, and abuse by others before this pair)."""
        return risk.Exogenous(
            suspect_violent=self.offences.get((pair.abuser, OffenceGroup.VIOLENT), []),
            suspect_sexual=self.offences.get((pair.abuser, OffenceGroup.SEXUAL), []),
            suspect_other=self.offences.get((pair.abuser, OffenceGroup.OTHER), []),
            suspect_other_victims=list(self.as_suspect.get(pair.abuser, [])),
            victim_victimised=list(self.victimised.get(pair.victim, [])),
        )

    def add(self, pair: Pair) -> None:
        for inc in pair.incidents:
            insort(self.as_suspect[pair.abuser], inc.day)
            insort(self.victimised[pair.victim], inc.day)


def simulate_domestic_abuse(rec: ChunkRecords, plan: DomesticPlan) -> None:
    """Every incident of every planned relationship, and all that follows each one recorded.

    Relationships run in the order they begin; a victim's later abuser, or a serial abuser's
    next victim, begins after the earlier relationship has ended (never after a killing).
    """
    hist = _Histories(rec)
    follow_ons = {id(later) for p in plan.pairs for later, _, _ in p.follow_ons}
    queue = [(p.begins, p.key, p) for p in plan.pairs if id(p) not in follow_ons]
    heapq.heapify(queue)
    while queue:
        _, _, pair = heapq.heappop(queue)
        _run_pair(rec, pair, hist)
        hist.add(pair)
        _write_outcomes(rec, pair)
        killed = any(inc.injury == "fatal" for inc in pair.incidents)
        for later, gap, _ in pair.follow_ons:
            if killed or pair.ends + gap >= rec.end:
                continue
            shift = pair.ends + gap - later.begins
            later.begins += shift
            later.ends += shift
            if later.separation is not None:
                later.separation += shift
            heapq.heappush(queue, (later.begins, later.key, later))


def _exp(rec: ChunkRecords) -> float:
    return -math.log(1.0 - rec.u())


def _run_pair(rec: ChunkRecords, pair: Pair, hist: _Histories) -> None:
    """The pair's incidents from the start of the abuse to its end or the end of the period."""
    pop = rec.pop
    ex = hist.exogenous(pair)
    area = rec.area_of(pair.victim)
    harm = risk.SeriousHarm(
        pair.begins,
        min(pair.ends, rec.end + risk.WINDOW) + 1,
        danger=pair.danger,
        escalating=pair.escalating,
        begins=pair.begins,
        separation=pair.separation,
        young_victim=pop.age_on(pair.victim, int(pair.begins)) < 25,
        area=area,
        frailty=pair.frailty,
        history=ex,
    )
    serious_at = harm.next_after(pair.begins, _exp(rec))
    other_at = pair.begins + _exp(rec) * DAYS_PER_YEAR / (0.9 * math.exp(0.5 * pair.danger))
    times: list[float] = []
    max_rank = -1
    breaches = 0
    order_until, order_code = -math.inf, _BREACH_CODES[0]
    recorded = 0
    while True:
        t = min(serious_at, other_at)
        if t >= pair.ends or t >= rec.end:
            break
        separated = pair.separation is not None and t >= pair.separation
        near_sep = separated and pair.separation is not None and t - pair.separation < 90
        if serious_at <= other_at:
            inc = _serious_incident(rec, pair, t, separated)
            serious_at = harm.next_after(t, _exp(rec))
        else:
            inc = _other_incident(rec, pair, t, separated, near_sep, len(times))
            if t < order_until and inc.rank <= 2 and rec.u() < _BREACH_WHILE_ORDER:
                inc.breach, inc.code = True, order_code
        breaches += inc.breach
        if inc.injury == "fatal":
            pair.ends = t
        elif inc.serious_harm and rec.u() < _ENDS_AFTER_SERIOUS:
            # Charged and remanded: the relationship is over (the charge is on the record).
            pair.ends = min(pair.ends, t + 1 + 30 * rec.u())
            inc.charged = True
        if inc.code is not None and inc.rank >= 2 and rec.u() < _ORDER_AFTER_CRIME:
            order_until, order_code = t + risk.WINDOW, _BREACH_CODES[rec.u.below(2)]
        moment = risk.PairMoment(
            last_year=risk.count_between(times, t - risk.WINDOW, t),
            years_before=risk.count_between(times, t - 3 * risk.WINDOW, t - risk.WINDOW),
            days_since=t - times[-1] if times else None,
            suspect_violent=risk.count_before(ex.suspect_violent, t),
            suspect_sexual=risk.count_before(ex.suspect_sexual, t),
            suspect_other=risk.count_before(ex.suspect_other, t),
            other_victims=risk.count_before(ex.suspect_other_victims, t),
            breaches=breaches,
            escalation=bool(times) and inc.rank > max_rank,
            victimised=risk.count_before(ex.victim_victimised, t),
            victim_age=(t - pop.dob[pair.victim]) / DAYS_PER_YEAR,
            suspect_age=(t - pop.dob[pair.abuser]) / DAYS_PER_YEAR,
            separated=separated,
            near_separation=near_sep,
            injured=inc.injury != "none",
            serious=inc.serious_harm,
            area=area,
            danger=pair.danger,
            escalating_incidents=len(times) if pair.escalating else 0,
            order_in_force=t < order_until,
            noise=risk.NEXT_NOISE_SD * float(rec.rng.normal()),
        )
        nxt = risk.next_incident(moment)
        if rec.u() < nxt.within_year:
            other_at = t + nxt.gap(rec.u())
        elif rec.u() < risk.RESUME_AFTER_A_YEAR:
            other_at = t + risk.WINDOW + _exp(rec) * risk.RESUME_MEAN_DAYS
        else:
            other_at = math.inf
        serious_integral = harm.integral(t, min(t + risk.WINDOW, pair.ends))
        inc.p_repeat = risk.repeat_probability(nxt, pair.ends - t, serious_integral)
        inc.p_serious = risk.serious_probability(serious_integral)
        pair.incidents.append(inc)
        times.append(t)
        max_rank = max(max_rank, inc.rank)
        if t >= 0:
            _record_incident(rec, inc, recorded, hist)
            recorded += bool(inc.event)


def _serious_incident(rec: ChunkRecords, pair: Pair, t: float, separated: bool) -> Incident:
    """Serious harm: rape (15%), a killing (4% of the rest) or a serious injury."""
    if rec.u() < _SEXUAL_SHARE_OF_SERIOUS:
        injury = "minor" if rec.u() < 0.4 else "none"
        code = _RAPE_CODES[1 if rec.pop.sex[pair.victim] == 1 else 0]
    elif rec.u() < _FATAL_SHARE_OF_SERIOUS:
        injury, code = "fatal", _FATAL_CODE
    else:
        injury, code = "serious", _SERIOUS_CODES[rec.u.below(len(_SERIOUS_CODES))]
    return Incident(pair, t, 4, injury, code, False, True, separated)


def _other_incident(
    rec: ChunkRecords, pair: Pair, t: float, separated: bool, near_sep: bool, prior: int
) -> Incident:
    """An incident short of serious harm; its severity grows with danger and escalation."""
    score = (
        0.5 * pair.danger
        + (0.3 * min(prior, 5) if pair.escalating else 0.0)
        + (0.5 if near_sep else 0.0)
        + float(rec.rng.normal())
    )
    rank = 0 if score < -0.3 else 1 if score < 0.5 else 2 if score < 1.3 else 3
    codes = _ORDINARY_CODES[rank]
    code = codes[rec.u.below(len(codes))] if codes else None
    injury = "minor" if rank == 3 else "none"
    return Incident(pair, t, rank, injury, code, False, False, separated)


def _write_outcomes(rec: ChunkRecords, pair: Pair) -> None:
    """One truth row per recorded incident: what happened in the pair in the next 12 months,
    and the probability it was drawn with."""
    pop = rec.pop
    incidents = pair.incidents
    for k, inc in enumerate(incidents):
        if not inc.event:
            continue
        later = [h for h in incidents[k + 1 :] if h.day - inc.day <= risk.WINDOW]
        rec.outcomes.append(
            {
                "event_source_id": inc.event,
                "victim_person_key": pop.key(pair.victim),
                "suspect_person_key": pop.key(pair.abuser),
                "relationship_key": f"{pop.key_offset}-{pair.key}",
                "occurred_at": rec.clock.iso(inc.day),
                "escalating": pair.escalating,
                "serious_harm": inc.serious_harm,
                "repeat_within_12m": bool(later),
                "p_repeat_12m": round(inc.p_repeat, 6),
                "serious_harm_within_12m": any(h.serious_harm for h in later),
                "p_serious_harm_12m": round(inc.p_serious, 6),
                "followup_complete": inc.day + risk.WINDOW <= rec.end,
            }
        )


def _record_incident(rec: ChunkRecords, inc: Incident, prior: int, hist: _Histories) -> None:
    """Event, people, DASH, referrals and victim contacts of one incident, if reported in time."""
    pop, r = rec.pop, rec.cfg.rates
    pair, day = inc.pair, inc.day
    reported = day + 0.01 + rec.u() * 0.2
    if reported >= rec.end:
        return  # not reported before the export
    area = rec.area_of(pair.victim)
    home = rec.household_location(pair.victim, day)
    crime = inc.code is not None
    inc.event = rec.event(
        "domestic_abuse",
        day,
        reported=reported,
        area=area,
        team_kind="Response",
        location=home,
        domestic_abuse_related=True,
        injury_level=inc.injury,
        offence_code=inc.code,
        summary="Domestic incident attended; parties spoken to separately.",
    )
    victim_m = rec.mention(pair.victim, reported)
    abuser_m = rec.mention(pair.abuser, reported)
    relationship = "ex_partner" if inc.separated else "intimate_partner"
    rec.involve(inc.event, victim_m, "victim", reported, relationship)
    rec.involve(inc.event, abuser_m, "suspect", reported)
    kids = _children_at_home(rec, pair.victim, int(day))
    present: list[tuple[int, str]] = []
    for c in kids:
        if rec.u() < 0.6:
            cm = rec.mention(c, reported)
            rel = "child" if pair.abuser in (pop.mother[c], pop.father[c]) else "family_member"
            rec.involve(inc.event, cm, "child_present", reported, rel)
            present.append((c, cm))
    grade = "not_done"
    if rec.u() >= r.dash_not_completed:
        grade = dash.assessment(rec, inc, victim_m, prior, bool(kids), reported)
    earlier = hist.recorded_as_victim[pair.victim]
    recent = [d for d in earlier if day - d <= 365]
    last_marac = hist.last_marac.get(pair.victim)
    insort(earlier, day)
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
            hist.last_marac[pair.victim] = made
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
            if grade == "high" or inc.serious_harm
            else ("amber" if grade == "medium" else "green")
        )
        proc.mash_referral(
            rec,
            present[0][0],
            reported + 0.3 + rec.u(),
            rag,
            "Child present at domestic abuse incident.",
        )
    arrest = reported + 0.1 + rec.u() if inc.charged or (crime and rec.u() < 0.55) else None
    on_time = proc.victims_code(
        rec, inc.event, victim_m, reported, enhanced=True, arrest=arrest, charged=inc.charged
    )
    proc.satisfaction(rec, inc.event, victim_m, reported, on_time)


def _children_at_home(rec: ChunkRecords, victim: int, day: int) -> list[int]:
    pop = rec.pop
    hh = pop.household[victim]
    out = []
    for c in rec.household_members(hh):
        if c != victim and 0 <= pop.age_on(c, day) < 18 and not pop.in_care[c]:
            out.append(c)
    return out
