"""The true risk of a victim–suspect pair: the hazards the simulator draws from, and the exact
probabilities it writes to the truth files (``docs/simulation.md`` sets them out as formulas).

Each pair runs two processes until its relationship ends (a hidden day):

* **Serious harm** is a Poisson process. Its intensity (constant within each week) depends on
  the pair's hidden danger and escalation, the 90 days after a hidden separation day, and on
  histories that do not change while the pair runs: the suspect's recorded offences by group
  and his domestic-abuse incidents with other victims, the victim's other victimisation, ages
  and area. It never depends on the pair's own incidents, so its chance over any 12 months has
  a closed form.
* **Other incidents** follow each other: after every incident of the pair (of either kind) the
  next one is drawn afresh. It comes within 365 days with probability ``sigmoid(eta)``, where
  ``eta`` reads the pair's whole history at that moment (observable: prior incidents in the last
  year and the two years before, days since the last, the suspect's offences, other victims and
  breaches, escalation in severity, the victim's other victimisation, separation, injury, ages,
  area; hidden: danger, escalation, an order in force, a per-incident term) and the gap is then
  exponential (truncated to the year). Otherwise the chain may resume after more than a year, or
  stop.

For an incident at ``t`` with serious-harm integral ``L`` over ``(t, min(t + 365, end)]``:

* P(serious harm in the pair within 12 months) = ``1 - exp(-L)``;
* P(another incident of the pair within 12 months) =
  ``1 - (1 - sigmoid(eta) * F(min(365, end - t))) * exp(-L)``, ``F`` the gap's CDF given it
  falls inside the year: serious harm and the next other incident are independent draws, and
  either one makes the outcome true.

Sex and ethnicity appear in no formula; area moves risk by at most 0.1 on the log-odds scale.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25
WINDOW = 365.0
AREA_EFFECT = (-0.1, 0.0, 0.1)

# Serious harm, log intensity per year.
SERIOUS_BASE = -4.6
SERIOUS_DANGER = 0.7
SERIOUS_ESCALATION_PER_YEAR = 0.35
SERIOUS_SEPARATION = 0.8
SERIOUS_SUSPECT_VIOLENT = 1.0
SERIOUS_SUSPECT_SEXUAL = 0.3
SERIOUS_SUSPECT_OTHER = 0.3
SERIOUS_OTHER_VICTIMS = 0.4
SERIOUS_VICTIMISATION = 0.15
SERIOUS_YOUNG_VICTIM = 0.3
SERIOUS_FRAILTY_SD = 0.4

# Other incidents: the log-odds that the next comes within 365 days.
NEXT_BASE = -0.9
NEXT_LAST_YEAR = 1.0
NEXT_YEARS_BEFORE = 0.35
NEXT_DAYS_SINCE = -0.35
NEXT_FIRST = -0.3
NEXT_SUSPECT_VIOLENT = 0.55
NEXT_SUSPECT_SEXUAL = 0.2
NEXT_SUSPECT_OTHER = 0.35
NEXT_OTHER_VICTIMS = 0.4
NEXT_BREACHES = 0.35
NEXT_ESCALATION = 0.45
NEXT_VICTIMISATION = 0.12
NEXT_VICTIM_AGE = -0.015
NEXT_SUSPECT_AGE = -0.012
NEXT_SEPARATED = 0.2
NEXT_NEAR_SEPARATION = 0.15
NEXT_INJURY = 0.2
NEXT_SERIOUS = -0.4
NEXT_DANGER = 0.2
NEXT_ESCALATING_PER_INCIDENT = 0.06
NEXT_ORDER_IN_FORCE = -0.15
NEXT_NOISE_SD = 0.25
#: Gap (days) given it falls within the year: exponential with this log rate at eta = 0.
GAP_LOG_RATE = -4.7
GAP_ETA = 0.35
RESUME_AFTER_A_YEAR = 0.35
RESUME_MEAN_DAYS = 400.0


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def count_before(days: Sequence[float], t: float) -> int:
    """How many of the sorted ``days`` fall before ``t``."""
    return bisect_left(days, t)


def count_between(days: Sequence[float], lo: float, hi: float) -> int:
    """How many of the sorted ``days`` fall in [lo, hi)."""
    return bisect_left(days, hi) - bisect_left(days, lo)


@dataclass(frozen=True, slots=True)
class Exogenous:
    """Histories that do not change while a pair runs (sorted day lists)."""

    suspect_violent: Sequence[float]
    suspect_sexual: Sequence[float]
    suspect_other: Sequence[float]
    suspect_other_victims: Sequence[float]
    victim_victimised: Sequence[float]


class SeriousHarm:
    """The pair's serious-harm intensity, constant within each week of a grid from the start
    of the abuse, and its cumulative integral (the process is defined on this grid)."""

    STEP = 7.0

    def __init__(
        self,
        first_day: float,
        last_day: float,
        *,
        danger: float,
        escalating: bool,
        begins: float,
        separation: float | None,
        young_victim: bool,
        area: int,
        frailty: float,
        history: Exogenous,
    ) -> None:
        self.first = first_day
        weeks = max(1, math.ceil((last_day - first_day) / self.STEP))
        grid = first_day + self.STEP * np.arange(weeks, dtype=np.float64)
        log_rate = np.full(
            weeks,
            SERIOUS_BASE
            + SERIOUS_DANGER * danger
            + (SERIOUS_YOUNG_VICTIM if young_victim else 0.0)
            + AREA_EFFECT[area]
            + frailty,
        )
        if escalating:
            log_rate += SERIOUS_ESCALATION_PER_YEAR * np.clip((grid - begins) / DAYS_PER_YEAR, 0, 4)
        if separation is not None:
            log_rate += SERIOUS_SEPARATION * ((grid >= separation) & (grid < separation + 90))
        for days, weight in (
            (history.suspect_violent, SERIOUS_SUSPECT_VIOLENT),
            (history.suspect_sexual, SERIOUS_SUSPECT_SEXUAL),
            (history.suspect_other, SERIOUS_SUSPECT_OTHER),
            (history.suspect_other_victims, SERIOUS_OTHER_VICTIMS),
            (history.victim_victimised, SERIOUS_VICTIMISATION),
        ):
            if len(days):
                log_rate += weight * np.log1p(np.searchsorted(np.asarray(days), grid))
        #: Intensity per day within each week.
        self.rate = np.exp(log_rate) / DAYS_PER_YEAR
        self.cum = np.concatenate(([0.0], np.cumsum(self.rate * self.STEP)))

    def cumulative(self, x: float) -> float:
        """The integral of the intensity from the start of the grid to ``x``."""
        offset = x - self.first
        if offset <= 0:
            return 0.0
        i = int(offset // self.STEP)
        if i >= len(self.rate):
            return float(self.cum[-1])
        return float(self.cum[i] + (offset - i * self.STEP) * self.rate[i])

    def integral(self, a: float, b: float) -> float:
        return max(0.0, self.cumulative(b) - self.cumulative(a)) if b > a else 0.0

    def next_after(self, x: float, exp_draw: float) -> float:
        """The next event after ``x`` given an Exp(1) draw (inverse of the cumulative); inf if
        none falls on the grid."""
        target = self.cumulative(x) + exp_draw
        if target >= self.cum[-1]:
            return math.inf
        i = int(np.searchsorted(self.cum, target, side="right")) - 1
        return self.first + i * self.STEP + (target - float(self.cum[i])) / float(self.rate[i])


@dataclass(frozen=True, slots=True)
class NextIncident:
    """The draw that schedules the pair's next other incident, and what it implies."""

    logit: float
    within_year: float
    gap_rate: float

    def gap_cdf(self, days: float) -> float:
        """P(gap <= days | the gap falls within the year)."""
        if days <= 0:
            return 0.0
        d = min(days, WINDOW)
        return (1.0 - math.exp(-self.gap_rate * d)) / (1.0 - math.exp(-self.gap_rate * WINDOW))

    def gap(self, u: float) -> float:
        """A gap inside the year by inversion of the truncated exponential."""
        r = self.gap_rate
        return max(1e-3, -math.log(1.0 - u * (1.0 - math.exp(-r * WINDOW))) / r)


@dataclass(frozen=True, slots=True)
class PairMoment:
    """What the chain reads at one incident of a pair (all as of its time ``t``)."""

    last_year: int
    years_before: int
    days_since: float | None
    suspect_violent: int
    suspect_sexual: int
    suspect_other: int
    other_victims: int
    breaches: int
    escalation: bool
    victimised: int
    victim_age: float
    suspect_age: float
    separated: bool
    near_separation: bool
    injured: bool
    serious: bool
    area: int
    danger: float
    escalating_incidents: int
    order_in_force: bool
    noise: float


def next_incident(m: PairMoment) -> NextIncident:
    """The log-odds that the pair's next other incident comes within 365 days, and its gap."""
    eta = (
        NEXT_BASE
        + NEXT_LAST_YEAR * math.log1p(m.last_year)
        + NEXT_YEARS_BEFORE * math.log1p(m.years_before)
        + (
            NEXT_DAYS_SINCE * math.log1p(m.days_since / 30.0)
            if m.days_since is not None
            else NEXT_FIRST
        )
        + NEXT_SUSPECT_VIOLENT * math.log1p(m.suspect_violent)
        + NEXT_SUSPECT_SEXUAL * math.log1p(m.suspect_sexual)
        + NEXT_SUSPECT_OTHER * math.log1p(m.suspect_other)
        + NEXT_OTHER_VICTIMS * math.log1p(m.other_victims)
        + NEXT_BREACHES * min(m.breaches, 3)
        + (NEXT_ESCALATION if m.escalation else 0.0)
        + NEXT_VICTIMISATION * math.log1p(m.victimised)
        + NEXT_VICTIM_AGE * (m.victim_age - 35.0)
        + NEXT_SUSPECT_AGE * (m.suspect_age - 35.0)
        + (NEXT_SEPARATED if m.separated else 0.0)
        + (NEXT_NEAR_SEPARATION if m.near_separation else 0.0)
        + (NEXT_INJURY if m.injured else 0.0)
        + (NEXT_SERIOUS if m.serious else 0.0)
        + AREA_EFFECT[m.area]
        + NEXT_DANGER * m.danger
        + NEXT_ESCALATING_PER_INCIDENT * min(m.escalating_incidents, 5)
        + (NEXT_ORDER_IN_FORCE if m.order_in_force else 0.0)
        + m.noise
    )
    return NextIncident(eta, sigmoid(eta), math.exp(GAP_LOG_RATE + GAP_ETA * eta))


def repeat_probability(nxt: NextIncident, room: float, serious_integral: float) -> float:
    """P(another incident of the pair within 12 months): the next other incident inside the
    year and before the relationship ends (``room`` days left), or serious harm first."""
    p_next = nxt.within_year * nxt.gap_cdf(room)
    return 1.0 - (1.0 - p_next) * math.exp(-serious_integral)


def serious_probability(serious_integral: float) -> float:
    return 1.0 - math.exp(-serious_integral)
