"""Households of 1-6 people and the true people in them, with every pair's relation.

Households share a surname (mostly), an address and a landline; couples, lone parents,
children (twins among them), fathers and sons with the same forename, married women with a
birth surname, moves. One chunk of people is built at a time from its own random stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from safeguard.simulation.extracts.config import END, START, ExtractConfig
from safeguard.simulation.extracts.names import ENGLISH, NamePicker, feminine, patronymic
from safeguard.simulation.extracts.traditions import DIVERSE_MIX, Tradition

_EPOCH = np.datetime64("1970-01-01", "D")
DAY0 = int((np.datetime64(START.isoformat(), "D") - _EPOCH).astype(int))
PERIOD_DAYS = (END - START).days + 1
_REF = DAY0 + PERIOD_DAYS // 2  # ages are drawn as of the middle of the period

RELATIONS = ("partner", "parent_child", "father_son_same_name", "sibling", "twin")


@dataclass
class People:
    """One chunk's true people (parallel lists) and their relations."""

    first_key: int
    key: list[int] = field(default_factory=list)
    household: list[int] = field(default_factory=list)
    female: list[bool] = field(default_factory=list)
    tradition: list[int] = field(default_factory=list)
    forename: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    surname: list[str] = field(default_factory=list)
    birth_surname: list[str] = field(default_factory=list)
    marriage_day: list[int] = field(default_factory=list)  #: day of the period, -1 none/before
    dob: list[int] = field(default_factory=list)  #: days since 1970-01-01
    relations: list[tuple[int, int, str]] = field(default_factory=list)  #: local indices

    def add(self, hh: int, female: bool, trad: int, forename: str, middle: str, surname: str,
            dob: int, birth_surname: str | None = None) -> int:  # fmt: skip
        i = len(self.key)
        self.key.append(self.first_key + i)
        self.household.append(hh)
        self.female.append(female)
        self.tradition.append(trad)
        self.forename.append(forename)
        self.middle.append("" if middle == forename else middle)
        self.surname.append(surname)
        self.birth_surname.append(birth_surname or surname)
        self.marriage_day.append(-1)
        self.dob.append(dob)
        return i

    def __len__(self) -> int:
        return len(self.key)


class HouseholdBuilder:
    """Builds households until a chunk holds ``n`` people."""

    def __init__(self, cfg: ExtractConfig, rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.h = cfg.population
        self.rng = rng
        mix = DIVERSE_MIX if cfg.diverse else ()
        self.traditions: list[Tradition] = [ENGLISH, *(t for t, _ in mix)]
        share = [1.0 - sum(s for _, s in mix), *(s for _, s in mix)]
        self.tradition_p = np.array(share) / sum(share)
        self.pickers = [NamePicker(t) for t in self.traditions]

    def _adult_age(self) -> float:
        u = self.rng.random()
        if u < 0.5:
            return float(self.rng.uniform(18, 35))
        if u < 0.85:
            return float(self.rng.uniform(35, 60))
        return float(self.rng.uniform(60, 90))

    def _dob(self, age: float) -> int:
        day = _REF - int(age * 365.25) - int(self.rng.integers(0, 365))
        return min(day, DAY0 + PERIOD_DAYS - 60)

    def _middle(self, trad: int, female: bool) -> str:
        if self.rng.random() >= self.h.middle_name:
            return ""
        return self.pickers[trad].forename(self.rng, female)

    def build(self, n: int, first_key: int, first_household: int) -> tuple[People, int]:
        """People of households numbered from ``first_household``; returns them and the count
        of households."""
        people = People(first_key)
        cdf = np.cumsum(self.h.household_sizes) / sum(self.h.household_sizes)
        sizes = (1 + np.searchsorted(cdf, self.rng.random(n), side="right")).tolist()
        hh = 0
        while len(people) < n:
            size = min(6, int(sizes[hh % n]))
            self._household(people, first_household + hh, size)
            hh += 1
        return people, hh

    def _household(self, p: People, hh: int, size: int) -> None:
        rng, h = self.rng, self.h
        trad = (
            0
            if len(self.traditions) == 1
            else int(np.searchsorted(np.cumsum(self.tradition_p), rng.random(), side="right"))
        )
        trad = min(trad, len(self.traditions) - 1)
        t, pick = self.traditions[trad], self.pickers[trad]
        couple = size == 2 and rng.random() < 0.65 or size > 2 and rng.random() < h.couple_share
        if size == 1:
            female = bool(rng.random() < 0.45)
            p.add(hh, female, trad, pick.forename(rng, female), self._middle(trad, female),
                  self._surname(pick, t, female), self._dob(self._adult_age()))  # fmt: skip
            return
        kids = size - 2 if couple else size - 1
        parent_age = float(rng.uniform(24, 52)) if kids else self._adult_age()
        parents: list[int] = []
        if couple:
            same_sex = rng.random() < 0.04
            head_female = same_sex and rng.random() < 0.5
            head_sur = pick.surname(rng)
            head = p.add(hh, head_female, trad, pick.forename(rng, head_female),
                         self._middle(trad, head_female), self._gender(head_sur, t, head_female),
                         self._dob(parent_age))  # fmt: skip
            partner_female = head_female if same_sex else True
            ptrad = trad if rng.random() > 0.1 else 0  # some partners of another tradition
            ppick, pt = self.pickers[ptrad], self.traditions[ptrad]
            own = self._gender(ppick.surname(rng), pt, partner_female)
            married = not same_sex and rng.random() < h.married
            takes = married and rng.random() < t.takes_husband_surname
            sur = self._gender(head_sur, t, True) if takes else own
            age = max(18.0, parent_age + float(rng.normal(-2, 4)))
            partner = p.add(hh, partner_female, ptrad, ppick.forename(rng, partner_female),
                            self._middle(ptrad, partner_female), sur, self._dob(age),
                            birth_surname=own)  # fmt: skip
            if takes and rng.random() < h.married_in_period:
                p.marriage_day[partner] = int(rng.integers(30, PERIOD_DAYS - 30))
            p.relations.append((head, partner, "partner"))
            parents = [head, partner]
            family_sur, father = head_sur, (None if head_female else head)
        else:
            female = bool(rng.random() < 0.85)
            family_sur = pick.surname(rng)
            lone = p.add(hh, female, trad, pick.forename(rng, female), self._middle(trad, female),
                         self._gender(family_sur, t, female), self._dob(parent_age))  # fmt: skip
            parents, father = [lone], (None if female else lone)
        self._children(p, hh, trad, kids, parents, father, family_sur, parent_age)

    def _children(self, p: People, hh: int, trad: int, kids: int, parents: list[int],
                  father: int | None, family_sur: str, parent_age: float) -> None:  # fmt: skip
        rng, h = self.rng, self.h
        t, pick = self.traditions[trad], self.pickers[trad]
        oldest = float(rng.uniform(0, max(0.5, min(26.0, parent_age - 18))))
        twins = kids >= 2 and rng.random() < h.twins
        junior_done = False
        born: list[int] = []
        age = oldest
        for k in range(kids):
            kind = ""
            female = bool(rng.random() < 0.49)
            if t.patronymic_surname and father is not None:
                sur = p.forename[father]
            elif father is None and len(parents) == 1 and rng.random() < 0.25:
                sur = pick.surname(rng)  # a lone mother's child with the father's surname
            else:
                sur = self._gender(family_sur, t, female)
            middle = self._middle(trad, female)
            if t.patronymic_middle and father is not None:
                middle = patronymic(p.forename[father], female)
            if twins and k == 1:
                first = born[0]
                if rng.random() < h.twins_same_initial:
                    fore = pick.with_initial(rng, female, p.forename[first][:1])
                else:
                    fore = pick.forename(rng, female)
                if fore == p.forename[first]:
                    fore = pick.forename(rng, female)
                c = p.add(hh, female, trad, fore, middle, sur, p.dob[first])
                p.relations.append((first, c, "twin"))
                kind = "twin"
            else:
                fore = pick.forename(rng, female)
                kind = ""
                if not female and father is not None and not junior_done:
                    junior_done = True
                    if rng.random() < h.junior:
                        fore = p.forename[father]
                        if rng.random() < h.junior_same_middle:
                            middle = p.middle[father]
                        kind = "father_son_same_name"
                c = p.add(hh, female, trad, fore, middle, sur, self._dob(age))
                if kind and father is not None:
                    p.relations.append((father, c, kind))
                age -= float(rng.uniform(1, 5))
            for parent in parents:
                if not (kind == "father_son_same_name" and parent == father):
                    p.relations.append((parent, c, "parent_child"))
            for b in born:
                if not (kind == "twin" and b == born[0]):
                    p.relations.append((b, c, "sibling"))
            born.append(c)

    def _surname(self, pick: NamePicker, t: Tradition, female: bool) -> str:
        return self._gender(pick.surname(self.rng), t, female)

    @staticmethod
    def _gender(surname: str, t: Tradition, female: bool) -> str:
        return feminine(surname, t) if female and t.gendered else surname
