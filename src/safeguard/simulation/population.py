"""The people of one chunk of the county: households, ages, partners, children, children in care.

Days are integers counted from the first day of the simulated period (day 0); a date of birth is
a negative day. Indices are local to the chunk; ``key`` holds the global person key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from safeguard.simulation import geography as geo
from safeguard.simulation.config import Rates
from safeguard.simulation.draws import Uniforms
from safeguard.simulation.extracts.names import ENGLISH, NamePicker

DAYS_PER_YEAR = 365.25
_ASIAN_SURNAMES = frozenset({"Patel", "Khan", "Singh", "Begum", "Hussain", "Ali", "Ahmed", "Kaur"})
_ETHNICITIES = ("W1", "W9", "M9", "A9", "B9", "O9")
_ETHNICITY_WEIGHTS = np.array([0.945, 0.03, 0.011, 0.006, 0.004, 0.004])
HARD_NEGATIVE_KINDS = ("twins", "siblings", "father_son_same_name")


def _adult_age_weights() -> np.ndarray:
    """Weights over ages 0..99 shaped like an old, rural county (more 45-79s than England)."""
    w = np.zeros(100)
    bands = ((0, 18, 0.18), (18, 30, 0.11), (30, 45, 0.14), (45, 65, 0.27), (65, 80, 0.24))
    for lo, hi, share in bands:
        w[lo:hi] = share / (hi - lo)
    tail = np.linspace(1.0, 0.1, 20)
    w[80:100] = 0.10 * tail / tail.sum()
    out: np.ndarray = w / w.sum()
    return out


AGE_WEIGHTS = _adult_age_weights()


@dataclass
class Population:
    """Columns of one chunk's people; lists for strings, arrays for numbers."""

    key_offset: int
    household: list[int] = field(default_factory=list)
    sex: list[int] = field(default_factory=list)  # 0 male, 1 female
    dob: list[int] = field(default_factory=list)
    forename: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    surname: list[str] = field(default_factory=list)
    birth_surname: list[str] = field(default_factory=list)
    town: list[int] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    postcode: list[str] = field(default_factory=list)
    in_care: list[bool] = field(default_factory=list)
    mother: list[int] = field(default_factory=list)
    father: list[int] = field(default_factory=list)
    partner: list[int] = field(default_factory=list)
    ethnicity: list[str] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)
    pnc: list[str] = field(default_factory=list)
    criminality: np.ndarray = field(default_factory=lambda: np.zeros(0))
    moved_day: list[int] = field(default_factory=list)
    new_address: list[str] = field(default_factory=list)
    new_postcode: list[str] = field(default_factory=list)
    hard_negatives: list[tuple[int, int, str]] = field(default_factory=list)
    household_addresses: dict[int, tuple[str, str, int, int, int]] = field(default_factory=dict)
    care_homes: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.sex)

    def key(self, i: int) -> int:
        return self.key_offset + i

    def age_on(self, i: int, day: int) -> int:
        return int((day - self.dob[i]) // DAYS_PER_YEAR)

    def address_on(self, i: int, day: int) -> tuple[str, str]:
        """The address the person lived at on ``day`` (moves happen once, at ``moved_day``)."""
        if 0 <= self.moved_day[i] <= day:
            return self.new_address[i], self.new_postcode[i]
        return self.address[i], self.postcode[i]

    def arrays(self) -> dict[str, np.ndarray]:
        """Numeric columns as arrays for vectorised selection."""
        return {
            "sex": np.asarray(self.sex, dtype=np.int8),
            "dob": np.asarray(self.dob, dtype=np.int64),
            "in_care": np.asarray(self.in_care, dtype=bool),
            "partner": np.asarray(self.partner, dtype=np.int64),
            "household": np.asarray(self.household, dtype=np.int64),
            "town": np.asarray(self.town, dtype=np.int64),
        }


class _Builder:
    def __init__(self, rng: np.random.Generator, pop: Population, rates: Rates) -> None:
        self.rng = rng
        self.pop = pop
        self.rates = rates
        # Names come from the long-tailed English pools the realistic extracts use (Smith about
        # 1% of people, most surnames outside the top thousand), drawn afresh each time: the
        # short lists with Zipf weights had put Smith on 17.6% of a 500,000-person county and
        # 4,007 sets of people under one forename, surname and date of birth.
        self.names = NamePicker(ENGLISH)
        self.ethnicity_pool: list[int] = rng.choice(
            len(_ETHNICITIES), 200_000, p=_ETHNICITY_WEIGHTS
        ).tolist()
        self.age_pool: list[float] = (
            rng.choice(100, 200_000, p=AGE_WEIGHTS) + rng.random(200_000)
        ).tolist()
        self.pool_i = 0
        self.u = Uniforms(rng)

    def _draw(self) -> int:
        self.pool_i = (self.pool_i + 1) % 200_000
        return self.pool_i

    def surname(self) -> str:
        return self.names.surname(self.rng)

    def forename(self, sex: int) -> str:
        return self.names.forename(self.rng, female=sex != 0)

    def person(
        self, household: int, sex: int, age: float, surname: str, *, in_care: bool = False
    ) -> int:
        pop = self.pop
        i = len(pop)
        pop.household.append(household)
        pop.sex.append(sex)
        pop.dob.append(-int(age * DAYS_PER_YEAR) - self.u.below(365))
        pop.forename.append(self.forename(sex))
        pop.middle.append(self.forename(sex) if self.u() < 0.6 else "")
        pop.surname.append(surname)
        pop.birth_surname.append(surname)
        addr, post, town, _, _ = pop.household_addresses[household]
        pop.town.append(town)
        pop.address.append(addr)
        pop.postcode.append(post)
        pop.in_care.append(in_care)
        pop.mother.append(-1)
        pop.father.append(-1)
        pop.partner.append(-1)
        j = self._draw()
        eth = "A9" if surname in _ASIAN_SURNAMES else _ETHNICITIES[self.ethnicity_pool[j]]
        pop.ethnicity.append(eth)
        pop.phone.append(f"07{100_000_000 + self.u.below(900_000_000)}" if age >= 13 else "")
        pop.pnc.append("")
        pop.moved_day.append(-1)
        pop.new_address.append("")
        pop.new_postcode.append("")
        return i

    def adult_age(self, lo: int, hi: int) -> float:
        """An age in [lo, hi) drawn from the county's age structure (by rejection)."""
        while True:
            age = float(self.age_pool[self._draw()])
            if lo <= age < hi:
                return age

    def couple(self, household: int, age: float) -> tuple[int, int]:
        rng = self.rng
        man_surname = self.surname()
        same_sex = self.u() < 0.02
        a = self.person(household, 0, age, man_surname)
        woman_age = max(18.0, age + rng.normal(-2, 3))
        b = self.person(household, 0 if same_sex else 1, woman_age, self.surname())
        if not same_sex and self.u() < 0.7:
            self.pop.surname[b] = man_surname  # took the partner's name; birth name kept
        self.pop.partner[a], self.pop.partner[b] = b, a
        return a, b

    def children(self, household: int, mother: int, father: int, n: int) -> list[int]:
        pop, rates = self.pop, self.rates
        parent = mother if mother >= 0 else father
        parent_age = -pop.dob[parent] / DAYS_PER_YEAR
        kids: list[int] = []
        surname = pop.surname[father] if father >= 0 else pop.surname[mother]
        if (
            father >= 0
            and mother >= 0
            and pop.birth_surname[mother] != pop.surname[father]
            and self.u() < 0.04
        ):
            surname = f"{pop.birth_surname[mother]}-{pop.surname[father]}"
        twin_done = False
        for k in range(n):
            age = parent_age - 19 - 23 * self.u()
            if age < 0 or age >= 18:
                age = 17.9 * self.u()
            sex = self.u.below(2)
            if k > 0 and not twin_done and self.u() < rates.twin_share_of_births * 2:
                prev = kids[-1]
                c = self.person(household, sex, 0.0, surname)
                pop.dob[c] = pop.dob[prev]
                while pop.forename[c] == pop.forename[prev]:
                    pop.forename[c] = self.forename(sex)
                pop.hard_negatives.append((prev, c, "twins"))
                twin_done = True
            else:
                c = self.person(household, sex, age, surname)
            pop.mother[c], pop.father[c] = mother, father
            if (
                sex == 0
                and father >= 0
                and pop.sex[father] == 0
                and surname == pop.surname[father]
                and self.u() < rates.father_son_same_name
            ):
                pop.forename[c] = pop.forename[father]
                pop.middle[c] = pop.middle[father] if self.u() < 0.5 else pop.middle[c]
                pop.hard_negatives.append((father, c, "father_son_same_name"))
            kids.append(c)
        if len(kids) >= 2 and pop.dob[kids[0]] != pop.dob[kids[1]]:
            pop.hard_negatives.append((kids[0], kids[1], "siblings"))
        return kids


def build_population(
    rng: np.random.Generator,
    n: int,
    key_offset: int,
    household_offset: int,
    days: int,
    rates: Rates,
) -> Population:
    """About ``n`` people in households; keys start at ``key_offset``."""
    pop = Population(key_offset=key_offset)
    b = _Builder(rng, pop, rates)
    town_p = geo.town_weights()
    n_households = int(n / 2.2) + 64
    towns = rng.choice(len(geo.TOWNS), size=n_households, p=town_p)
    addr, post, east, north = geo.addresses(rng, towns)
    moved = rng.random(n_households) < 0.08
    move_day = rng.integers(0, max(days, 1), size=n_households)
    new_towns = rng.choice(len(geo.TOWNS), size=n_households, p=town_p)
    new_addr, new_post, _, _ = geo.addresses(rng, new_towns)
    in_care_per_household = rates.children_in_care_per_10k / 10_000 * rates.share_under_18 * 2.2
    h = 0
    while len(pop) < n and h < n_households:
        hk = household_offset + h
        pop.household_addresses[hk] = (addr[h], post[h], int(towns[h]), int(east[h]), int(north[h]))
        start = len(pop)
        u = b.u
        r = u()
        if u() < in_care_per_household * 0.7:
            # Foster carers with a child in care (and sometimes their own child).
            man, woman = b.couple(hk, b.adult_age(35, 66))
            b.person(hk, int(rng.integers(0, 2)), _care_age(rng), b.surname(), in_care=True)
            if u() < 0.3:
                b.children(hk, woman, man, 1)
        elif u() < in_care_per_household * 0.3 / 4:
            # A children's home: about four children in care, no resident adults.
            pop.care_homes.add(hk)
            for _ in range(int(rng.integers(3, 6))):
                b.person(hk, int(rng.integers(0, 2)), _care_age(rng), b.surname(), in_care=True)
        elif r < 0.32:
            b.person(hk, u.below(2), b.adult_age(18, 100), b.surname())
        elif r < 0.66:
            b.couple(hk, b.adult_age(22, 100))
        elif r < 0.83:
            man, woman = b.couple(hk, b.adult_age(25, 58))
            b.children(hk, woman, man, (1, 1, 2, 2, 2, 3)[u.below(6)])
        elif r < 0.90:
            lone = b.person(hk, 1, b.adult_age(20, 55), b.surname())
            b.children(hk, lone, -1, 1 + u.below(3))
            if u() < 0.35:
                # A new partner moves in: the children are his step-children.
                age = max(20.0, -pop.dob[lone] / DAYS_PER_YEAR + rng.normal(2, 3))
                step = b.person(hk, 0, age, b.surname())
                pop.partner[lone], pop.partner[step] = step, lone
        else:
            # Parents with a grown-up child still at home.
            man, woman = b.couple(hk, b.adult_age(45, 70))
            kids = b.children(hk, woman, man, 1 + u.below(2))
            # Age them into adults, keeping the gaps between them (twins stay twins).
            shift = -int(rng.uniform(18, 30) * DAYS_PER_YEAR) - max(pop.dob[c] for c in kids)
            for c in kids:
                pop.dob[c] += shift
        if moved[h] and len(pop) > start:
            for i in range(start, len(pop)):
                pop.moved_day[i] = int(move_day[h])
                pop.new_address[i] = new_addr[h]
                pop.new_postcode[i] = new_post[h]
        h += 1
    _criminality(rng, pop, rates)
    return pop


def _care_age(rng: np.random.Generator) -> float:
    """Children in care are older than children generally (most are 10 or over)."""
    w = np.linspace(0.5, 2.0, 13)
    return float(rng.choice(np.arange(5, 18), p=w / w.sum()) + rng.random())


def _criminality(rng: np.random.Generator, pop: Population, rates: Rates) -> None:
    """Latent offending propensity: most people none, a minority some, a few a lot."""
    n = len(pop)
    sex = np.asarray(pop.sex)
    age = -np.asarray(pop.dob) / DAYS_PER_YEAR
    p = np.where(sex == 0, 1.5, 0.5) * rates.criminal_share_of_adults
    p = np.where((age >= 14) & (age < 70), p, 0.0)
    offender = rng.random(n) < p
    c = np.where(offender, rng.lognormal(-0.3, 0.9, size=n), 0.0)
    pop.criminality = c
    years = rng.integers(0, 30, size=n)
    for i in np.flatnonzero(offender & (rng.random(n) < 0.85)).tolist():
        pop.pnc[i] = f"{years[i]:02d}/{rng.integers(0, 10**7):07d}{chr(65 + (i % 26))}"
