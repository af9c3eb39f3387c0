"""Mentions: how often each person is recorded, by which system, on which day, at which address.

Mentions per person are heavy-tailed (``k^-zeta`` for k = 1..60: most people once, a few
prolific offenders or repeat victims dozens of times). People with many mentions are likelier to
hold a PNC id and an alias. The fields of each mention are written by ``habits.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safeguard.simulation.extracts.config import ExtractConfig
from safeguard.simulation.extracts.households import DAY0, PERIOD_DAYS, People
from safeguard.simulation.extracts.names import NamePicker
from safeguard.simulation.extracts.places import addresses, phone_numbers, pnc_ids


@dataclass
class Persons:
    """A chunk's people as arrays, with what their records draw on."""

    key: np.ndarray
    household: np.ndarray  #: local household index
    female: np.ndarray
    tradition: np.ndarray
    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    birth_surname: np.ndarray
    marriage_day: np.ndarray
    dob: np.ndarray  #: days since 1970-01-01
    mentions: np.ndarray
    pnc: np.ndarray  #: "" for none
    alias_forename: np.ndarray  #: "" for none
    alias_surname: np.ndarray
    known_as: np.ndarray
    known_by_middle: np.ndarray
    mobile: np.ndarray  #: "" for none


@dataclass
class Homes:
    """A chunk's households: address before and after a move, the day of the move, landline."""

    household_key: np.ndarray
    address: np.ndarray
    postcode: np.ndarray
    new_address: np.ndarray
    new_postcode: np.ndarray
    move_day: np.ndarray  #: day of the period, or a day after it (no move)
    landline: np.ndarray


def mention_counts(
    cfg: ExtractConfig, rng: np.random.Generator, n: int, zeta: float | None = None
) -> np.ndarray:
    k = np.arange(1, cfg.population.max_mentions + 1)
    w = k.astype(float) ** -(cfg.population.zeta if zeta is None else zeta)
    return np.asarray(rng.choice(k, n, p=w / w.sum()))


def persons(
    cfg: ExtractConfig, rng: np.random.Generator, people: People, pickers: list[NamePicker]
) -> Persons:
    h = cfg.population
    n = len(people)
    female = np.array(people.female, dtype=bool)
    tradition = np.array(people.tradition, dtype=np.int64)
    dob = np.array(people.dob, dtype=np.int64)
    age = (DAY0 + PERIOD_DAYS - dob) / 365.25
    k = np.where(
        age < 18,
        mention_counts(cfg, rng, n, cfg.population.zeta_child),
        mention_counts(cfg, rng, n),
    )
    # most members of a household are never in a police extract at all
    household = np.array(people.household, dtype=np.int64) - people.household[0]
    alone = np.bincount(household)[household] == 1
    unrecorded = np.where(age < 18, h.unrecorded_child, h.unrecorded_adult)
    k[~alone & (rng.random(n) < unrecorded)] = 0
    # offenders are recorded often: a PNC id and an alias grow likelier with mentions
    p_pnc = np.where(age < 12, 0.0, np.minimum(0.9, h.pnc * 0.4 + 0.12 * (k - 1)))
    has_pnc = rng.random(n) < p_pnc
    pnc = np.where(has_pnc, pnc_ids(rng, n), "").astype(object)
    p_alias = np.where(k >= 3, h.alias * 4, h.alias * 0.3) * (age >= 14)
    has_alias = rng.random(n) < p_alias
    alias_f = np.full(n, "", dtype=object)
    alias_s = np.full(n, "", dtype=object)
    known_as = np.full(n, "", dtype=object)
    for t, pick in enumerate(pickers):
        sel = np.flatnonzero(tradition == t)
        if not len(sel):
            continue
        known_as[sel] = pick.forenames(rng, female[sel])
        al = sel[has_alias[sel]]
        alias_f[al] = pick.forenames(rng, female[al])
        alias_s[al] = [pick.surname(rng) if rng.random() < 0.6 else "" for _ in al]
    mobile = np.where((age >= 14) & (rng.random(n) < h.mobile), phone_numbers(rng, n, True), "")
    middle = np.array(people.middle, dtype=object)
    return Persons(
        key=np.array(people.key, dtype=np.int64),
        household=household,
        female=female,
        tradition=tradition,
        forename=np.array(people.forename, dtype=object),
        middle=middle,
        surname=np.array(people.surname, dtype=object),
        birth_surname=np.array(people.birth_surname, dtype=object),
        marriage_day=np.array(people.marriage_day, dtype=np.int64),
        dob=dob,
        mentions=k,
        pnc=pnc,
        alias_forename=alias_f,
        alias_surname=alias_s,
        known_as=known_as,
        known_by_middle=(middle != "") & (rng.random(n) < h.known_by_middle),
        mobile=mobile.astype(object),
    )


def homes(
    cfg: ExtractConfig, rng: np.random.Generator, chunk: int, first_household: int, count: int
) -> Homes:
    """Addresses of ``count`` households; ids leave room for every chunk's moves."""
    local = np.arange(count, dtype=np.int64)
    base = chunk * 2 * cfg.chunk_people
    address, postcode = addresses(base + local, cfg)
    new_address, new_postcode = addresses(base + cfg.chunk_people + local, cfg)
    moved = rng.random(count) < cfg.population.moved
    move_day = np.where(moved, rng.integers(30, PERIOD_DAYS - 30, count), PERIOD_DAYS + 1)
    landline = np.where(
        rng.random(count) < cfg.population.landline, phone_numbers(rng, count, False), ""
    )
    return Homes(
        household_key=first_household + local,
        address=address,
        postcode=postcode,
        new_address=new_address,
        new_postcode=new_postcode,
        move_day=move_day,
        landline=landline.astype(object),
    )


@dataclass
class Drawn:
    """Who each mention is, when, and in which system (before the fields are written)."""

    person: np.ndarray  #: index into Persons
    day: np.ndarray  #: day of the period
    system: np.ndarray  #: index into cfg.systems
    age: np.ndarray  #: true age in whole years on the day


def draw(cfg: ExtractConfig, rng: np.random.Generator, p: Persons) -> Drawn:
    person = np.repeat(np.arange(len(p.key)), p.mentions)
    m = len(person)
    dob_day = p.dob[person] - DAY0  # day of the period the person was born (may be < 0)
    first = np.maximum(dob_day + 1, 0)
    day = first + (rng.random(m) * (PERIOD_DAYS - first)).astype(np.int64)
    age_days = day - dob_day
    age = whole_years(p.dob[person], DAY0 + day)
    child = age_days < 18 * 365.25
    adult_p = np.array([s.share for s in cfg.systems])
    child_p = np.array([s.child_share for s in cfg.systems])
    u = rng.random(m)
    system = np.where(
        child,
        np.searchsorted(np.cumsum(child_p / child_p.sum()), u, side="right"),
        np.searchsorted(np.cumsum(adult_p / adult_p.sum()), u, side="right"),
    )
    system = np.minimum(system, len(cfg.systems) - 1)
    return Drawn(person=person, day=day, system=system, age=age)


def whole_years(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Age in completed years on day ``on`` (both days since 1970-01-01)."""
    b = dob.astype("datetime64[D]")
    d = on.astype("datetime64[D]")
    by, dy = b.astype("datetime64[Y]").astype(int), d.astype("datetime64[Y]").astype(int)
    bdoy = (b - b.astype("datetime64[Y]").astype("datetime64[D]")).astype(int)
    ddoy = (d - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(int)
    return np.asarray(dy - by - (ddoy < bdoy), dtype=np.int64)
