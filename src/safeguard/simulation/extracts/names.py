"""Name pools with realistic frequencies: common English names first, then a long tail.

England and Wales have tens of thousands of surnames; the commonest (Smith) is about 1.2% of
people. The simulator's short lists (``simulation.names``) would put thousands of people under
one name at a million mentions, so each pool here is the short list followed by a long tail:
forenames from the ``nicknames`` package's formal names, surnames composed from the toponymic
elements most English surnames are made of (Ash + worth, Black + burn). Frequencies fall as
1 / (rank + 10).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from safeguard.simulation import names as sim_names
from safeguard.simulation.extracts.traditions import Tradition

# fmt: off
_FIRST = ("Ash", "Black", "Brad", "Brook", "Brom", "Burn", "Cal", "Clay", "Cold", "Crow",
          "Dal", "Dun", "East", "Fair", "Fox", "Gar", "Green", "Hal", "Hart", "Haw", "Hay",
          "Hol", "Ing", "Kirk", "Lang", "Lid", "Lin", "Mar", "Mid", "Mor", "Nor", "Oak",
          "Pen", "Pick", "Ram", "Red", "Rid", "Ros", "Sal", "Shel", "Stan", "Stock", "Sut",
          "Thorn", "Wal", "Wes", "Whit", "Wil", "Win", "Wolf", "Wood", "Wy", "Bar", "Brad",
          "Car", "Chad", "Elm", "Hather", "Mal", "Rother", "Ald", "Alder", "Arn", "Asp", "Bag",
          "Bal", "Bick", "Birk", "Brack", "Bram", "Brin", "Buck", "Cam", "Chap", "Chil", "Cliff",
          "Cock", "Cot", "Cran", "Dar", "Dent", "Dun", "Eg", "Els", "Farn", "Fen", "Gil", "Gold",
          "Grim", "Hack", "Ham", "Hard", "Hep", "Hes", "Hod", "Horn", "Hun", "Ken", "Knot",
          "Lam", "Lock", "Loft", "Mat", "Mill", "Moss", "Mun", "Nut", "Ox", "Pad", "Pit", "Pres",
          "Rad", "Rush", "Sand", "Scar", "Shep", "Sher", "Skel", "Sow", "Stain", "Stan", "Swin",
          "Tad", "Thack", "Tod", "Ush", "Wad", "Wain", "Ward", "Wether", "Whin", "Work")
_LAST = ("worth", "burn", "ley", "ton", "field", "ford", "wood", "well", "by", "dale",
         "ham", "hurst", "more", "stead", "thorpe", "wick", "cliffe", "bridge", "combe",
         "den", "don", "gate", "hall", "land", "man", "shaw", "side", "stone", "thwaite",
         "ridge", "brook", "croft", "holm", "lock", "mer", "ington", "sby", "bury", "cott")
# fmt: on


def surname_frequencies(n: int, head: int) -> np.ndarray:
    """The ``head`` commonest surnames take 30% of people (1 / (rank + 10) among them), the long
    tail the rest, falling slowly (1 / (rank + 300)): the top hundred surnames of England and
    Wales hold about a fifth of people and most people's surname is outside the top thousand."""
    top = 1.0 / (np.arange(1, head + 1) + 10.0)
    tail = 1.0 / (np.arange(1, n - head + 1) + 300.0)
    w = np.concatenate([0.3 * top / top.sum(), 0.7 * tail / tail.sum()])
    out: np.ndarray = w / w.sum()
    return out


def long_tail(n: int) -> np.ndarray:
    """Frequencies 1 / (rank + 10), summing to one: the first name is about 1.5% of people."""
    w = 1.0 / (np.arange(1, n + 1) + 10.0)
    out: np.ndarray = w / w.sum()
    return out


def _looks_female(name: str) -> bool:
    return name.endswith(("a", "ie", "ine", "elle", "ette", "y", "een", "ia", "ah"))


@cache
def english_pools() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(male forenames, female forenames, surnames), commonest first."""
    from nicknames import NickNamer

    formal = sorted(
        n.capitalize() for n in NickNamer().canonical_lookup if n.isalpha() and 3 <= len(n) <= 10
    )
    male_tail = [n for n in formal if not _looks_female(n.lower())]
    female_tail = [n for n in formal if _looks_female(n.lower())]
    composed = sorted({f + s for f in _FIRST for s in _LAST if not f.lower().endswith(s[:1])})
    # patronymic surnames (Roberts, Robertson, Dickson): the other large English family
    composed += sorted(
        {n + e for n in male_tail[:600] if n[-1] not in "aeiouy" for e in ("son", "s")}
    )
    # interleave so that rank, not the alphabet, sets frequency
    rng = np.random.default_rng(20261207)
    rng.shuffle(male_tail)
    rng.shuffle(female_tail)
    rng.shuffle(composed)

    def pool(head: tuple[str, ...], tail: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*head, *tail]))

    return (
        pool(sim_names.MALE_FORENAMES, male_tail),
        pool(sim_names.FEMALE_FORENAMES, female_tail),
        pool(sim_names.SURNAMES, composed),
    )


ENGLISH = Tradition("english", *english_pools())


class _Sampler:
    """Draws from one pool with its frequencies, a block of draws at a time (single draws
    with ``rng.choice(p=...)`` rebuild the distribution on every call)."""

    def __init__(self, values: tuple[str, ...], weights: np.ndarray | None = None) -> None:
        self.values = np.array(values, dtype=object)
        self.cdf = np.cumsum(long_tail(len(values)) if weights is None else weights)
        self.cdf[-1] = 1.0
        self._buf: list[str] = []

    def many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        out: np.ndarray = self.values[np.searchsorted(self.cdf, rng.random(n), side="right")]
        return out

    def one(self, rng: np.random.Generator) -> str:
        if not self._buf:
            self._buf = self.many(rng, 2048).tolist()
        return str(self._buf.pop())


class NamePicker:
    """Draws names of one tradition with its frequencies."""

    def __init__(self, tradition: Tradition) -> None:
        self.tradition = tradition
        self._m = _Sampler(tradition.male)
        self._f = _Sampler(tradition.female)
        english = tradition.name == "english"
        weights = surname_frequencies(len(tradition.surnames), len(sim_names.SURNAMES))
        self._s = _Sampler(tradition.surnames, weights if english else None)

    def forenames(self, rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
        n = len(female)
        return np.where(female, self._f.many(rng, n), self._m.many(rng, n))

    def forename(self, rng: np.random.Generator, female: bool) -> str:
        return (self._f if female else self._m).one(rng)

    def surname(self, rng: np.random.Generator) -> str:
        return self._s.one(rng)

    def with_initial(self, rng: np.random.Generator, female: bool, initial: str) -> str:
        """A forename starting with ``initial`` (twins named Jack and James)."""
        for _ in range(30):
            name = self.forename(rng, female)
            if name[:1] == initial:
                return name
        return self.forename(rng, female)


def feminine(surname: str, tradition: Tradition) -> str:
    """The female form of a gendered surname (Kowalski -> Kowalska, Ivanov -> Ivanova)."""
    for male, female in tradition.gendered.items():
        if surname.endswith(male):
            return surname[: len(surname) - len(male)] + female
    return surname


def patronymic(father: str, female: bool) -> str:
    """Ivan -> Ivanovich / Ivanovna (East Slavic middle names)."""
    stem = father[:-1] if father.endswith(("i", "y", "a")) else father
    return stem + ("ovna" if female else "ovich")
