"""Other crime (criminal histories), sexual offences with SARC referrals, and household
incidents (concern for welfare, disputes) that bring whole households onto police records.
"""

from __future__ import annotations

import numpy as np

from safeguard.simulation import procedures as proc
from safeguard.simulation.population import DAYS_PER_YEAR
from safeguard.simulation.records import ChunkRecords

#: Illustrative Home Office offence codes by kind.
OTHER_OFFENCES = ("28E", "30C", "39", "45", "46", "49", "58A", "58C", "105A", "8N", "92D", "125")
SEXUAL_OFFENCES = ("19C", "19D", "17A", "20A", "22B", "88A")
_HOUSEHOLD_INCIDENTS = (
    "Concern for welfare at the address.",
    "Neighbour dispute; advice given.",
    "Noise complaint; words of advice.",
    "Road traffic collision; no injuries.",
)


def simulate_crime(rec: ChunkRecords) -> None:
    """Other crime, sexual offences and household incidents of the chunk."""
    pop, r = rec.pop, rec.cfg.rates
    arr = pop.arrays()
    years = rec.end / DAYS_PER_YEAR
    age = -arr["dob"] / DAYS_PER_YEAR
    n = len(pop)
    victims_pool = np.flatnonzero(age >= 10)
    crim = pop.criminality
    offenders = np.flatnonzero(crim > 0)
    weights = crim[offenders] / crim[offenders].sum() if len(offenders) else None
    n_crimes = int(rec.rng.poisson(r.other_crime_rate * n * years))
    days = np.sort(rec.rng.random(n_crimes) * rec.end)
    victims = rec.rng.choice(victims_pool, size=n_crimes)
    known = rec.rng.random(n_crimes) < r.other_crime_suspect_known
    suspects = rec.rng.choice(offenders, size=n_crimes, p=weights) if len(offenders) else victims
    for k in range(n_crimes):
        suspect = int(suspects[k]) if known[k] and len(offenders) else None
        _other_crime(rec, float(days[k]), int(victims[k]), suspect)
    _sexual_offences(rec, age)
    _household_incidents(rec)


def _other_crime(rec: ChunkRecords, day: float, victim: int, suspect: int | None) -> None:
    u, pop = rec.u, rec.pop
    if suspect == victim:
        suspect = None
    reported = day + 0.02 + u() * 1.5
    if reported >= rec.end:
        return  # not reported before the export
    area = rec.area_of(victim)
    at_home = u() < 0.4
    location = (
        rec.household_location(victim, day)
        if at_home
        else rec.public_location(pop.town[victim], day)
    )
    injury = "minor" if u() < 0.08 else "none"
    hate = ["race"] if u() < 0.01 else None
    code = OTHER_OFFENCES[u.below(len(OTHER_OFFENCES))]
    rec.victimisations.append((victim, day))
    if suspect is not None:
        rec.offending.append((suspect, day, code))
    event = rec.event(
        "other_crime",
        day,
        reported=reported,
        area=area,
        team_kind="CID" if suspect is not None and u() < 0.3 else "Neighbourhood",
        location=location,
        injury_level=injury,
        offence_code=code,
        hate_crime_strands=hate,
        domestic_abuse_related=False,
        summary="Crime reported; enquiries ongoing.",
    )
    vm = rec.mention(victim, reported)
    rec.involve(event, vm, "victim", reported, "stranger" if suspect is None else "acquaintance")
    if u() < 0.08:
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        plate = "".join(letters[u.below(len(letters))] for _ in range(5))
        rec.add(
            "object",
            rec.cfg.police_system,
            rec.ids.next("O"),
            reported,
            object_kind="vehicle",
            identifier=f"{plate[:2]}{10 + u.below(60)} {plate[2:]}",
            description=f"Vehicle seen in event {event}",
        )
    arrest = None
    if suspect is not None:
        sm = rec.mention(suspect, min(reported + u() * 5, rec.end - 0.01))
        rec.involve(event, sm, "suspect", reported)
        if u() < 0.5:
            arrest = reported + 0.5 + u() * 10
    if u() < 0.15:
        w = rec.household_members(pop.household[victim])
        if len(w) > 1:
            other = w[u.below(len(w))]
            if other != victim and pop.age_on(other, int(day)) >= 10:
                rec.involve(event, rec.mention(other, reported), "witness", reported)
    enhanced = pop.age_on(victim, int(day)) < 18 or hate is not None
    on_time = proc.victims_code(rec, event, vm, reported, enhanced=enhanced, arrest=arrest)
    proc.satisfaction(rec, event, vm, reported, on_time)


def _sexual_offences(rec: ChunkRecords, age: np.ndarray) -> None:
    pop, r, u = rec.pop, rec.cfg.rates, rec.u
    years = rec.end / DAYS_PER_YEAR
    sex = np.asarray(pop.sex)
    pool = np.flatnonzero((age >= 10) & (age < 80))
    w = np.where(sex[pool] == 1, 5.5, 1.0) * np.where(age[pool] < 25, 2.0, 1.0)
    n = int(rec.rng.poisson(r.sexual_offence_rate * len(pop) * years))
    if n == 0 or len(pool) == 0:
        return
    victims = rec.rng.choice(pool, size=n, p=w / w.sum())
    males = np.flatnonzero((sex == 0) & (age >= 16) & (age < 75))
    for v in victims.tolist():
        day = u() * rec.end
        delay = 0.1 + u() * 2 if u() < 0.6 else 8 + u() * 300
        reported = min(day + delay, rec.end - 0.01)
        area = rec.area_of(v)
        code = SEXUAL_OFFENCES[u.below(len(SEXUAL_OFFENCES))]
        event = rec.event(
            "sexual_offence",
            day,
            reported=reported,
            area=area,
            team_kind="Public Protection Unit",
            location=rec.household_location(v, day),
            offence_code=code,
            online=u() < 0.1,
            summary="Sexual offence reported; victim supported.",
        )
        vm = rec.mention(v, reported)
        rec.victimisations.append((v, day))
        suspect = None
        if u() < 0.65 and len(males):
            suspect = int(males[u.below(len(males))])
            rec.offending.append((suspect, day, code))
            rel = "acquaintance" if u() < 0.6 else "intimate_partner"
            rec.involve(event, vm, "victim", reported, rel)
            rec.involve(
                event,
                rec.mention(suspect, min(reported + u(), rec.end - 0.01)),
                "suspect",
                reported,
            )
        else:
            rec.involve(event, vm, "victim", reported, "stranger")
        if delay < 7 and u() < r.sarc_referral_share:
            made = reported + 0.05 + u() * 0.5
            proc.referral(
                rec,
                "sarc",
                vm,
                made,
                event=event,
                agency=proc.SARC,
                statuses=[
                    ("received", made + 0.02),
                    ("accepted", made + 0.1),
                    ("closed", made + 20 + u() * 40),
                ],
            )
        if pop.age_on(v, int(day)) < 18:
            proc.mash_referral(rec, v, reported + 0.2, "red", "Sexual offence against a child.")
        arrest = reported + u() * 5 if suspect is not None and u() < 0.5 else None
        proc.victims_code(rec, event, vm, reported, enhanced=True, arrest=arrest)


def _household_incidents(rec: ChunkRecords) -> None:
    """Non-crime incidents at an address, naming several residents together. Households with
    twins, siblings or a father and son of one name get extra, so linking always meets them."""
    pop, u = rec.pop, rec.u
    years = rec.end / DAYS_PER_YEAR
    rates: dict[int, float] = {}
    for a, _, kind in pop.hard_negatives:
        rates[pop.household[a]] = max(
            rates.get(pop.household[a], 0.0), 0.05 if kind == "siblings" else 0.35
        )
    for hh in sorted(set(pop.household)):
        rate = rates.get(hh, 0.01) * years
        for _ in range(int(rec.rng.poisson(rate))):
            members = rec.household_members(hh)
            day = u() * rec.end
            present = [m for m in members if pop.age_on(m, int(day)) >= 0 and u() < 0.8]
            if not present:
                continue
            reported = day + 0.01 + u() * 0.1
            if reported >= rec.end:
                continue
            event = rec.event(
                "other_incident",
                day,
                reported=reported,
                area=rec.area_of(present[0]),
                team_kind="Neighbourhood",
                location=rec.household_location(present[0], day),
                summary=_HOUSEHOLD_INCIDENTS[u.below(len(_HOUSEHOLD_INCIDENTS))],
            )
            for m in present:
                role = "reporter" if m == present[0] else "other"
                rec.involve(event, rec.mention(m, reported), role, reported)
