"""Events and involvements: the incidents and crimes that police mentions are part of.

Household members are often recorded together (a domestic incident names both partners, a
call names a parent and a child), so about half the police mentions of people who share a
household with someone recorded in the same system are paired into one event on one day; two
people in one event are two people, which a linking model may use. The referral and partner
systems record no events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safeguard.simulation.extracts.config import ExtractConfig
from safeguard.simulation.extracts.households import DAY0
from safeguard.simulation.extracts.mentions import Drawn, Persons, whole_years

PAIRED = 0.5  #: share of eligible adjacent same-household mentions made one event


@dataclass
class Events:
    """Event number of each mention (-1: none) and the events' kind."""

    of_mention: np.ndarray
    count: int
    domestic: np.ndarray  #: per event: a household incident of two people


def group(cfg: ExtractConfig, rng: np.random.Generator, d: Drawn, p: Persons) -> Events:
    """Assign mentions to events, moving a paired mention to its partner's day."""
    m = len(d.person)
    with_events = np.array([s.events for s in cfg.systems])[d.system]
    hh = p.household[d.person]
    order = np.lexsort((rng.random(m), hh, d.system))
    order = order[with_events[order]]
    a, b = order[:-1:2], order[1::2]
    a = a[: len(b)]
    pair = (
        (hh[a] == hh[b])
        & (d.system[a] == d.system[b])
        & (d.person[a] != d.person[b])
        & (d.day[a] > p.dob[d.person[b]] - DAY0)
        & (rng.random(len(a)) < PAIRED)
    )
    # a paired mention happens on its partner's day (not before either was born)
    pa, pb = a[pair], b[pair]
    d.day[pb] = d.day[pa]
    d.age[pb] = whole_years(p.dob[d.person[pb]], DAY0 + d.day[pb])
    of = np.full(m, -1, dtype=np.int64)
    singles = np.setdiff1d(order, pb, assume_unique=True)
    of[singles] = np.arange(len(singles))
    # the paired mention joins its partner's event
    of[pb] = of[pa]
    domestic = np.zeros(len(singles), dtype=bool)
    domestic[of[pa]] = rng.random(len(pa)) < 0.6
    return Events(of_mention=of, count=len(singles), domestic=domestic)
