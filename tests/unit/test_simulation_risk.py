"""The simulator's true risk: the probabilities it writes are those its draws follow."""

from __future__ import annotations

import dataclasses
import inspect
import math

import numpy as np

from safeguard.simulation import domestic_risk as risk
from safeguard.simulation.missing import next_episode_logit

NO_HISTORY = risk.Exogenous((), (), (), (), ())


def _harm(**overrides: object) -> risk.SeriousHarm:
    args: dict[str, object] = {
        "danger": 1.0,
        "escalating": True,
        "begins": 0.0,
        "separation": 200.0,
        "young_victim": False,
        "area": 1,
        "frailty": 0.0,
        "history": risk.Exogenous((50.0, 120.0), (), (300.0,), (), (10.0,)),
    }
    args.update(overrides)
    return risk.SeriousHarm(0.0, 1200.0, **args)  # type: ignore[arg-type]


def test_serious_harm_events_fall_in_a_year_as_often_as_the_closed_form_says() -> None:
    harm = _harm()
    rng = np.random.default_rng(3)
    t = 150.0
    hits = sum(
        harm.next_after(t, float(rng.exponential())) <= t + risk.WINDOW for _ in range(40_000)
    )
    expected = risk.serious_probability(harm.integral(t, t + risk.WINDOW))
    assert 0.05 < expected < 0.9
    assert abs(hits / 40_000 - expected) < 4 * math.sqrt(expected * (1 - expected) / 40_000)


def test_the_serious_harm_intensity_rises_with_the_suspects_record_and_after_separation() -> None:
    clean = _harm(history=NO_HISTORY, escalating=False, separation=None)
    violent = _harm(
        history=risk.Exogenous((1.0, 2.0, 3.0), (), (), (), ()), escalating=False, separation=None
    )
    separated = _harm(history=NO_HISTORY, escalating=False, separation=100.0)
    assert violent.integral(400, 500) > clean.integral(400, 500) * 2
    assert separated.integral(100, 189) > clean.integral(100, 189) * 2
    assert math.isclose(separated.integral(196, 300), clean.integral(196, 300))
    assert clean.integral(500, 400) == 0.0
    assert clean.next_after(1199.0, 1e9) == math.inf
    assert clean.cumulative(-5.0) == 0.0 and clean.cumulative(5000.0) == float(clean.cum[-1])


def _moment(**overrides: object) -> risk.PairMoment:
    base: dict[str, object] = {f.name: 0 for f in dataclasses.fields(risk.PairMoment)}
    base.update(
        days_since=None,
        escalation=False,
        separated=False,
        near_separation=False,
        injured=False,
        serious=False,
        order_in_force=False,
        victim_age=35.0,
        suspect_age=35.0,
        danger=0.0,
        noise=0.0,
        area=1,
    )
    base.update(overrides)
    return risk.PairMoment(**base)  # type: ignore[arg-type]


def test_the_next_incident_is_within_the_year_as_often_as_its_probability() -> None:
    nxt = risk.next_incident(_moment(last_year=2, days_since=40.0, suspect_violent=1))
    rng = np.random.default_rng(5)
    n = 40_000
    gaps = [nxt.gap(float(u)) for u in rng.random(n)]
    assert max(gaps) <= risk.WINDOW
    for days in (30.0, 120.0, 300.0):
        share = sum(g <= days for g in gaps) / n
        assert abs(share - nxt.gap_cdf(days)) < 0.01
    assert nxt.gap_cdf(0.0) == 0.0 and math.isclose(nxt.gap_cdf(400.0), 1.0)


def test_the_repeat_probability_combines_the_next_incident_and_serious_harm() -> None:
    """A Monte Carlo of the two independent draws agrees with the closed form."""
    nxt = risk.next_incident(_moment(last_year=1, days_since=100.0))
    room, integral = 200.0, 0.3
    rng = np.random.default_rng(7)
    n = 60_000
    within = rng.random(n) < nxt.within_year
    gaps = np.array([nxt.gap(float(u)) for u in rng.random(n)])
    other = within & (gaps <= room)
    serious = rng.random(n) < risk.serious_probability(integral)
    share = float((other | serious).mean())
    expected = risk.repeat_probability(nxt, room, integral)
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / n)
    assert risk.repeat_probability(nxt, 0.0, 0.0) == 0.0  # the relationship has ended


def test_history_raises_the_risk_of_another_incident() -> None:
    quiet = risk.next_incident(_moment()).within_year
    busy = risk.next_incident(
        _moment(last_year=3, days_since=20.0, suspect_violent=4, breaches=1, escalation=True)
    ).within_year
    assert busy > quiet + 0.3


def test_sex_and_ethnicity_enter_no_risk_formula() -> None:
    """Fairness is measured later; the truth itself must not use sex or ethnicity."""
    names = {f.name for f in dataclasses.fields(risk.PairMoment)}
    names |= set(inspect.signature(risk.SeriousHarm).parameters)
    names |= set(inspect.signature(next_episode_logit).parameters)
    banned = {n for n in names if n.split("_")[-1] in ("sex", "gender") or "ethnic" in n}
    assert banned == set()
    assert "suspect_sexual" in names  # offending of the sexual group is history, not sex
