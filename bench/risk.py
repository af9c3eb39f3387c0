"""Benchmark: how well each risk signal ranks who is harmed again, on a simulated force whose
true probabilities are known (issue 15).

    .venv/bin/python bench/risk.py                  # the default five-year force (500,000)
    .venv/bin/python bench/risk.py --small          # 100,000 people, for speed
    .venv/bin/python bench/risk.py --force DIR      # a force already simulated into DIR
    .venv/bin/python bench/risk.py --force DIR --db DB.sqlite   # + the product's own model

With ``--db`` (the same force ingested and linked by ``safeguard link`` into that database; or
``--link-truth`` to link it from the truth files when it has no links, reported as such), a
``product`` row is added per target: safeguard's own risk model (``services/risk_model.py``)
trained on its own linked history and labels, evaluated against the truth outcomes of the same
test incidents; with its timings (read, train, score everyone, re-score one person after a new
record) and the gate's verdict.

Targets (docs/simulation.md, "True risk"), on the index events of the latest calendar year whose
follow-up lies wholly inside the period:

* ``da_repeat``: another domestic-abuse incident in the same victim–suspect pair within 12 months;
* ``da_serious_harm``: a serious-harm incident in the pair within 12 months (injury serious or
  fatal, or an offence of the sexual group);
* ``missing_repeat``: for a missing episode of a child, another episode within 90 days.

Signals, each a row with its AUC (and calibration error where it is a probability):

* ``truth``: the true probability the outcome was drawn with: the limit;
* ``instrument``: what the force's forms and officers say (DASH yes-count, officer grade, the
  grade after review, safeguard's own DASH grade; the missing-person risk grade);
* ``reference``: a plain logistic regression on a handful of history counts computed from the
  TRUTH files (true person ids), trained on the earlier years: what history can do when linking
  is perfect. It is a yardstick, not the product.

To add a row (for example the product's model on the product's own linking), append a
:class:`Signal` to ``SIGNALS[target]``: a function of the loaded :class:`Force` and the target's
:class:`Split` returning a score per index id (``NaN`` where it has none).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from safeguard.domain.assessments.grading import grade
from safeguard.domain.offences import OffenceGroup, default_classification
from safeguard.instruments import default_catalogue
from safeguard.services.unit_of_work import OPERATOR_RUN
from safeguard.simulation import SimulationConfig, domestic_risk, simulate

DAY = np.timedelta64(1, "D")
GRADE_RANK = {"standard": 0, "medium": 1, "high": 2}
AREAS = ("North", "West", "South")
MISSING_RANK = {"no_apparent_risk": 0, "low": 1, "medium": 2, "high": 3}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _when(col: pd.Series) -> np.ndarray:
    return pd.to_datetime(col, utc=True).dt.tz_localize(None).to_numpy("datetime64[s]")


@dataclass
class Force:
    """The interchange files and truth files of one simulated force, joined to true people."""

    root: Path
    events: pd.DataFrame
    involvements: pd.DataFrame
    assessments: pd.DataFrame
    missing: pd.DataFrame
    people: pd.DataFrame
    outcomes: pd.DataFrame
    missing_outcomes: pd.DataFrame
    charged: frozenset[str]
    end: np.datetime64

    @classmethod
    def load(cls, root: Path) -> Force:
        inter, truth = root / "interchange", root / "truth"
        mentions = _read(truth / "mention_person.csv")[["source_id", "person_key"]]
        events = _read(inter / "event.csv")
        events["when"] = _when(events["occurred_at"])
        offences = default_classification()
        codes = events["offence_code"].dropna().unique()
        groups = {c: offences.classify(c) for c in codes}
        events["group"] = events["offence_code"].map(
            lambda c: groups[c].group.value if isinstance(c, str) else None
        )
        events["breach"] = events["offence_code"].map(
            lambda c: isinstance(c, str) and groups[c].breach_of_order
        )
        inv = _read(inter / "involvement.csv").merge(
            mentions, left_on="mention_ref", right_on="source_id", suffixes=("", "_m")
        )
        inv = inv.merge(
            events[["source_id", "event_type", "when", "group", "breach", "injury_level"]],
            left_on="event_ref",
            right_on="source_id",
            suffixes=("", "_e"),
        )
        missing = _read(inter / "missing_episode.csv").merge(
            mentions, left_on="mention_ref", right_on="source_id", suffixes=("", "_m")
        )
        missing["when"] = _when(missing["last_seen_at"])
        outcomes = _read(truth / "outcomes.csv")
        outcomes["when"] = _when(outcomes["occurred_at"])
        missing_outcomes = _read(truth / "missing_outcomes.csv")
        missing_outcomes["when"] = _when(missing_outcomes["last_seen_at"])
        contacts = pd.read_csv(
            inter / "victim_contact.csv", usecols=["event_ref", "trigger"], dtype=str
        )
        charged = frozenset(contacts.loc[contacts["trigger"] == "charge", "event_ref"])
        readme = (truth / "README.md").read_text(encoding="utf-8")
        end = np.datetime64(readme.split(" to ")[1].split(" ")[0], "s")
        return cls(
            root,
            events,
            inv,
            _read(inter / "risk_assessment.csv"),
            missing,
            _read(truth / "people.csv"),
            outcomes,
            missing_outcomes,
            charged,
            end,
        )


@dataclass
class Split:
    """One target's index events: the test year, and earlier ones whose follow-up was over
    before the test year began (so a model trained on them sees no outcome from the future)."""

    name: str
    window_days: int
    year: int
    test: pd.DataFrame  # index: the index id; columns: y, p_true, when, and target columns
    train: pd.DataFrame


def _split(
    name: str, frame: pd.DataFrame, id_col: str, y: str, p: str, window: int, end: np.datetime64
) -> Split:
    frame = frame.set_index(id_col, drop=False)
    frame = frame.assign(y=frame[y] == "true", p_true=frame[p].astype(float))
    years = pd.DatetimeIndex(frame["when"]).year
    year = int(
        max(yr for yr in set(years) if np.datetime64(date(yr + 1, 1, 1)) + window * DAY <= end)
    )
    start = np.datetime64(date(year, 1, 1), "s")
    test = frame[years == year]
    train = frame[frame["when"] + window * DAY <= start]
    return Split(name, window, year, test, train)


def splits(force: Force) -> dict[str, Split]:
    o, m, end = force.outcomes, force.missing_outcomes, force.end
    return {
        "da_repeat": _split(
            "da_repeat", o, "event_source_id", "repeat_within_12m", "p_repeat_12m", 365, end
        ),
        "da_serious_harm": _split(
            "da_serious_harm",
            o,
            "event_source_id",
            "serious_harm_within_12m",
            "p_serious_harm_12m",
            365,
            end,
        ),
        "missing_repeat": _split(
            "missing_repeat",
            m,
            "missing_episode_source_id",
            "repeat_within_90d",
            "p_repeat_90d",
            90,
            end,
        ),
    }


# --- signals -------------------------------------------------------------------------------

Score = Callable[[Force, Split], pd.Series]


@dataclass(frozen=True)
class Signal:
    name: str
    kind: str  # truth | instrument | reference | product
    score: Score
    probability: bool = False


def true_probability(force: Force, split: Split) -> pd.Series:
    return split.test["p_true"]


def _dash_forms(force: Force) -> pd.DataFrame:
    ra = force.assessments
    ra = (
        ra[ra["instrument_id"] == "dash-police"].drop_duplicates("event_ref").set_index("event_ref")
    )
    return ra


def dash_yes_count(force: Force, split: Split) -> pd.Series:
    ra = _dash_forms(force)
    yes = ra["answers"].map(lambda a: sum(v == "yes" for v in json.loads(a).values()))
    return yes.reindex(split.test.index).astype(float)


def officer_grade(force: Force, split: Split) -> pd.Series:
    ra = _dash_forms(force)
    return ra["officer_grade"].map(GRADE_RANK).reindex(split.test.index).astype(float)


def grade_after_review(force: Force, split: Split) -> pd.Series:
    ra = _dash_forms(force)
    grade = ra["reviewed_grade"].fillna(ra["officer_grade"])
    return grade.map(GRADE_RANK).reindex(split.test.index).astype(float)


def safeguard_grades(force: Force) -> pd.Series:
    """safeguard's DASH grade for each form, by the rules' own grading (``grade``: the
    officer's and reviewer's judgement; a raise without rationale leaves the form ungraded)."""
    ra = _dash_forms(force)
    inst = default_catalogue().get("dash-police", "2009")

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None

    out = {}
    for event, row in ra.iterrows():
        result = grade(
            inst,
            json.loads(row["answers"]),
            text(row["officer_grade"]),
            text(row["reviewed_grade"]),
            text(row["rationale"]),
            subject_age=None,
            assessed_on=date.fromisoformat(row["completed_at"][:10]),
        )
        out[event] = result.grade
    return pd.Series(out)


def safeguard_dash_grade(force: Force, split: Split) -> pd.Series:
    grades = safeguard_grades(force).reindex(split.test.index)
    has_form = pd.Series(split.test.index.isin(_dash_forms(force).index), index=split.test.index)
    ranked = grades.map(GRADE_RANK)
    return ranked.where(~has_form | ranked.notna(), 0.0).astype(float)  # ungraded: standard


@dataclass
class _Timeline:
    """Sorted times (and values) per key, for counting what came before a moment."""

    times: dict[object, np.ndarray] = field(default_factory=dict)
    values: dict[object, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: pd.DataFrame, key: str | list[str], value: str | None = None) -> _Timeline:
        out = cls()
        frame = frame.sort_values("when")
        for k, g in frame.groupby(key, sort=False):
            out.times[k] = g["when"].to_numpy("datetime64[s]")
            if value is not None:
                out.values[k] = g[value].to_numpy()
        return out

    def before(self, key: object, t: np.datetime64, lo_days: float | None = None) -> int:
        arr = self.times.get(key)
        if arr is None:
            return 0
        hi = int(np.searchsorted(arr, t, side="left"))
        if lo_days is None:
            return hi
        return hi - int(np.searchsorted(arr, t - int(lo_days * 86400) * np.timedelta64(1, "s")))


def _severity(frame: pd.DataFrame) -> np.ndarray:
    """0 no crime, 1 other crime, 2 assault without injury, 3 with injury, 4 serious harm."""
    injury = frame["injury_level"].fillna("none")
    sexual = frame["group"] == OffenceGroup.SEXUAL.value
    rank = np.where(frame["group"].notna(), 1, 0)
    rank = np.where(frame["offence_code"] == "105A", 2, rank) if "offence_code" in frame else rank
    rank = np.where(injury == "minor", 3, rank)
    return np.where(injury.isin(["serious", "fatal"]) | sexual, 4, rank)


def da_history_features(force: Force, index: pd.DataFrame) -> pd.DataFrame:
    """History counts for each index incident, from the truth files' person ids."""
    inv = force.involvements
    ev = force.events.set_index("source_id")
    da = inv[inv["event_type"] == "domestic_abuse"]
    victims = da[da["role"] == "victim"][["event_ref", "person_key", "relationship_to_suspect"]]
    suspects = da[da["role"] == "suspect"][["event_ref", "person_key"]]
    pairs = victims.merge(suspects, on="event_ref", suffixes=("_v", "_s"))
    pairs = pairs.join(
        ev[["when", "group", "breach", "injury_level", "offence_code", "area"]], on="event_ref"
    )
    pairs["severity"] = _severity(pairs)
    pair_line = _Timeline.of(pairs, ["person_key_v", "person_key_s"], "severity")
    breach_line = _Timeline.of(pairs[pairs["breach"]], ["person_key_v", "person_key_s"])
    suspect_da = _Timeline.of(pairs, "person_key_s")
    crimes = inv[(inv["event_type"] != "domestic_abuse") & inv["group"].notna()]
    suspect_by_group = {
        g: _Timeline.of(
            crimes[(crimes["role"] == "suspect") & (crimes["group"] == g)], "person_key"
        )
        for g in ("violent", "sexual")
    }
    other = crimes[(crimes["role"] == "suspect") & ~crimes["group"].isin(["violent", "sexual"])]
    suspect_by_group["other"] = _Timeline.of(other, "person_key")
    victim_line = _Timeline.of(inv[inv["role"] == "victim"], "person_key")
    dob = force.people.set_index("person_key")["dob"].map(lambda d: np.datetime64(d, "s"))
    at = pairs.drop_duplicates("event_ref").set_index("event_ref")
    rows = []
    for event, o in index.iterrows():
        t = o["when"]
        v, s = o["victim_person_key"], o["suspect_person_key"]
        key = (v, s)
        times = pair_line.times.get(key, np.array([], dtype="datetime64[s]"))
        k = int(np.searchsorted(times, t, side="left"))
        prior_sev = pair_line.values.get(key, np.array([]))[:k]
        here = at.loc[event] if event in at.index else None
        sev = int(here["severity"]) if here is not None else 0
        days_since = float((t - times[k - 1]) / DAY) if k else 3650.0
        pair_all = pair_line.before(key, t)
        last_year = pair_line.before(key, t, 365)
        rows.append(
            {
                "pair_last_year": math.log1p(last_year),
                "pair_years_before": math.log1p(pair_line.before(key, t, 1095) - last_year),
                "log_months_since_last": math.log1p(days_since / 30.0) if k else 0.0,
                "first_incident": float(k == 0),
                "suspect_violent": math.log1p(suspect_by_group["violent"].before(s, t)),
                "suspect_sexual": math.log1p(suspect_by_group["sexual"].before(s, t)),
                "suspect_other": math.log1p(suspect_by_group["other"].before(s, t)),
                "suspect_other_victims": math.log1p(suspect_da.before(s, t) - pair_all),
                "pair_breaches": breach_line.before(key, t)
                + float(bool(here is not None and here["breach"])),
                "escalation": float(k > 0 and sev > prior_sev.max()),
                "victim_victimised": math.log1p(max(victim_line.before(v, t) - pair_all, 0)),
                "victim_age": float((t - dob.get(v, t)) / DAY) / 365.25,
                "suspect_age": float((t - dob.get(s, t)) / DAY) / 365.25,
                "separated": float(
                    here is not None and here["relationship_to_suspect"] == "ex_partner"
                ),
                "injured": float(sev >= 3),
                "serious_harm": float(sev == 4),
                "charged": float(event in force.charged),
                **{f"area_{a}": float(here is not None and here["area"] == a) for a in AREAS[1:]},
            }
        )
    return pd.DataFrame(rows, index=index.index)


def missing_history_features(force: Force, index: pd.DataFrame) -> pd.DataFrame:
    me = force.missing.assign(interviewed=force.missing["rhi_completed_at"].notna())
    line = _Timeline.of(me, "person_key", "interviewed")
    flags = _Timeline.of(me[me["exploitation_flag"] == "true"], "person_key")
    by_id = me.set_index("source_id")
    dob = force.people.set_index("person_key")["dob"].map(lambda d: np.datetime64(d, "s"))
    rows = []
    for episode, o in index.iterrows():
        t, person = o["when"], o["person_key"]
        times = line.times.get(person, np.array([], dtype="datetime64[s]"))
        k = int(np.searchsorted(times, t, side="left"))
        here = by_id.loc[episode]
        previous_rhi = bool(line.values[person][k - 1]) if k else True
        rows.append(
            {
                "last_90_days": math.log1p(line.before(person, t, 90)),
                "year_before": math.log1p(line.before(person, t, 365) - line.before(person, t, 90)),
                "log_days_since_last": math.log1p(float((t - times[k - 1]) / DAY) if k else 3650.0),
                "in_care": float(here["in_care"] == "true"),
                "flagged": float(here["exploitation_flag"] == "true"),
                "flagged_before": math.log1p(flags.before(person, t)),
                "no_interview_after_last": float(k > 0 and not previous_rhi),
                "age": float((t - dob[person]) / DAY) / 365.25,
                "age_sq": (float((t - dob[person]) / DAY) / 365.25 - 15.0) ** 2,
            }
        )
    return pd.DataFrame(rows, index=index.index)


def _reference(features: Callable[[Force, pd.DataFrame], pd.DataFrame], temporal: bool) -> Score:
    """A plain logistic regression on ``features``: trained on the earlier years (temporal), or
    5-fold cross-validated within the test year (what history can rank when the earlier years
    hold less of it: records start on the first day of the period)."""

    def run(force: Force, split: Split) -> pd.Series:
        x_test = features(force, split.test).to_numpy()
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        if temporal:
            model.fit(features(force, split.train).to_numpy(), split.train["y"].to_numpy())
            p = model.predict_proba(x_test)[:, 1]
        else:
            p = cross_val_predict(
                model, x_test, split.test["y"].to_numpy(), cv=5, method="predict_proba"
            )[:, 1]
        return pd.Series(p, index=split.test.index)

    return run


def missing_risk_grade(force: Force, split: Split) -> pd.Series:
    grade = force.missing.set_index("source_id")["risk_grade"].map(MISSING_RANK)
    return grade.reindex(split.test.index).astype(float)


DA_SIGNALS = [
    Signal("true probability (the limit)", "truth", true_probability, probability=True),
    Signal("DASH yes-count", "instrument", dash_yes_count),
    Signal("officer grade", "instrument", officer_grade),
    Signal("grade after supervisor review", "instrument", grade_after_review),
    Signal("safeguard's DASH grade (ungraded = standard)", "instrument", safeguard_dash_grade),
    Signal(
        "REFERENCE: history counts from truth ids, trained on earlier years",
        "reference",
        _reference(da_history_features, temporal=True),
        probability=True,
    ),
    Signal(
        "REFERENCE: history counts from truth ids, 5-fold CV in the year",
        "reference",
        _reference(da_history_features, temporal=False),
        probability=True,
    ),
]
SIGNALS: dict[str, list[Signal]] = {
    "da_repeat": list(DA_SIGNALS),
    "da_serious_harm": list(DA_SIGNALS),
    "missing_repeat": [
        Signal("true probability (the limit)", "truth", true_probability, probability=True),
        Signal("missing-person risk grade", "instrument", missing_risk_grade),
        Signal(
            "REFERENCE: history counts from truth ids, trained on earlier years",
            "reference",
            _reference(missing_history_features, temporal=True),
            probability=True,
        ),
        Signal(
            "REFERENCE: history counts from truth ids, 5-fold CV in the year",
            "reference",
            _reference(missing_history_features, temporal=False),
            probability=True,
        ),
    ],
}


# --- the ceiling from observable history ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _SeenNext(domestic_risk.NextIncident):
    """The simulator's draw (unchanged) and, beside it, the same formula with every hidden
    term set to zero."""

    observable: domestic_risk.NextIncident


_RealHarm = domestic_risk.SeriousHarm


class _SeenHarm(_RealHarm):
    """The pair's serious-harm process (its draws unchanged), whose ``integral`` answers for
    the same formula with the hidden terms zero: no danger, no hidden escalation, no frailty,
    and the relationship's end unknown (the 12 months after ``a`` in full)."""

    def __init__(self, first_day: float, last_day: float, **kw: object) -> None:
        super().__init__(first_day, last_day, **kw)  # type: ignore[arg-type]
        seen = {**kw, "danger": 0.0, "escalating": False, "frailty": 0.0}
        self.seen = _RealHarm(
            first_day,
            last_day + domestic_risk.WINDOW,
            **seen,  # type: ignore[arg-type]
        )

    def integral(self, a: float, b: float) -> float:
        return self.seen.integral(a, a + domestic_risk.WINDOW)


@contextmanager
def observable_only() -> Iterator[None]:
    """While open, the simulator writes to its truth files, in place of each domestic-abuse
    incident's true probabilities, what its own formulas give from the observable terms alone
    (``simulation/domestic_risk.py``: the danger, the hidden escalation and its per-incident
    term, an order in force, the per-incident noise, the serious-harm frailty and the day the
    relationship ends all set to zero or unknown). Every random draw is the real one, so the
    force and its outcomes are the same as without it (the caller checks). The observable
    terms are the simulator's own counts (incidents never reported included), and the true
    separation day is kept: if anything this ceiling is above what records can reach."""
    saved = (
        domestic_risk.next_incident,
        domestic_risk.repeat_probability,
        domestic_risk.SeriousHarm,
    )
    real_next, real_repeat, _ = saved

    def next_incident(m: domestic_risk.PairMoment) -> domestic_risk.NextIncident:
        nxt = real_next(m)
        hidden_zero = replace(
            m, danger=0.0, escalating_incidents=0, order_in_force=False, noise=0.0
        )
        return _SeenNext(nxt.logit, nxt.within_year, nxt.gap_rate, real_next(hidden_zero))

    def repeat_probability(
        nxt: domestic_risk.NextIncident, room: float, serious_integral: float
    ) -> float:
        if isinstance(nxt, _SeenNext):
            return real_repeat(nxt.observable, domestic_risk.WINDOW, serious_integral)
        return real_repeat(nxt, room, serious_integral)

    domestic_risk.next_incident = next_incident  # type: ignore[assignment]
    domestic_risk.repeat_probability = repeat_probability  # type: ignore[assignment]
    domestic_risk.SeriousHarm = _SeenHarm  # type: ignore[misc]
    try:
        yield
    finally:
        (
            domestic_risk.next_incident,
            domestic_risk.repeat_probability,
            domestic_risk.SeriousHarm,
        ) = saved  # type: ignore[misc]


def ceiling_probabilities(config: SimulationConfig, force: Force, out: Path) -> pd.DataFrame:
    """The force simulated again (same size, seed and period) under :func:`observable_only`:
    per domestic-abuse incident, the observable-only probabilities (``p_repeat_12m``,
    ``p_serious_harm_12m``). Stops if the outcomes differ from ``force``'s (not the same
    force: give its --population and --seed)."""
    with observable_only():
        simulate(config, out)
    seen = _read(out / "truth" / "outcomes.csv").set_index("event_source_id")
    real = force.outcomes.set_index("event_source_id")
    cols = ["victim_person_key", "repeat_within_12m", "serious_harm_within_12m"]
    if len(seen) != len(real) or not seen.loc[real.index, cols].equals(real[cols]):
        raise SystemExit(
            f"the ceiling's force ({config.population:,} people, seed {config.seed}) is not "
            f"{force.root}: its outcomes differ; give that force's --population and --seed"
        )
    return seen[["p_repeat_12m", "p_serious_harm_12m"]].astype(float)


def _ceiling_signal(p: pd.Series) -> Score:
    def score(force: Force, split: Split) -> pd.Series:
        return p.reindex(split.test.index)

    return score


# --- measures ------------------------------------------------------------------------------


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed - predicted| over ten equal-width probability bins, weighted by count.
    ``y`` may be the true probabilities instead of the outcomes: then it is the calibration
    error without the outcomes' sampling noise (bins still by ``p``)."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return total / len(y)


def ece_floor(p_true: np.ndarray, draws: int = 200, seed: int = 0) -> tuple[float, float]:
    """(mean, 95th percentile) of the ECE of the true probability itself against outcomes
    drawn afresh from it on these rows: what a perfectly calibrated model scores from the
    outcomes' sampling noise alone, so the floor under any ECE measured on this many rows."""
    rng = np.random.default_rng(seed)
    got = [
        expected_calibration_error((rng.random(len(p_true)) < p_true).astype(float), p_true)
        for _ in range(draws)
    ]
    return float(np.mean(got)), float(np.percentile(got, 95))


@dataclass(frozen=True)
class Row:
    target: str
    signal: str
    kind: str
    n: int
    positives: int
    auc: float
    ece: float | None
    seconds: float
    ece_vs_truth: float | None = None  # against the true probabilities: no outcome noise


def measure(force: Force, kept: dict[tuple[str, str], pd.Series] | None = None) -> list[Row]:
    """One row per target and signal; each signal's scores are also left in ``kept`` (for the
    fairness table) when it is given."""
    kept = {} if kept is None else kept
    rows = []
    for name, split in splits(force).items():
        for signal in SIGNALS[name]:
            began = time.perf_counter()
            scores = signal.score(force, split)
            seconds = time.perf_counter() - began
            kept[(name, signal.name)] = scores
            have = scores.notna()
            y = split.test.loc[have[have].index, "y"].to_numpy()
            s = scores[have].to_numpy(dtype=float)
            auc = roc_auc_score(y, s) if 0 < y.sum() < len(y) else float("nan")
            ece = (
                expected_calibration_error(y.astype(float), s)
                if signal.probability and len(y)
                else None
            )
            p_true = split.test.loc[have[have].index, "p_true"].to_numpy(dtype=float)
            vs_truth = (
                expected_calibration_error(p_true, s) if signal.probability and len(y) else None
            )
            rows.append(
                Row(name, signal.name, signal.kind, len(y), int(y.sum()), auc, ece, seconds,
                    vs_truth)
            )  # fmt: skip
    return rows


def sex_gaps(
    force: Force, kept: dict[tuple[str, str], pd.Series]
) -> list[tuple[str, str, int, float]]:
    """AUC gap between victims' (or children's) true sexes, on the same test rows, for the true
    probability and for every probability signal: the truth's own gap is the floor a model can
    reach, so a model's gap is read beside it."""
    sex = force.people.set_index("person_key")["sex"]
    out = []
    for name, split in splits(force).items():
        who = "person_key" if name == "missing_repeat" else "victim_person_key"
        group = split.test[who].map(sex)
        for signal in SIGNALS[name]:
            if not signal.probability:
                continue
            scores = kept.get((name, signal.name))
            if scores is None:
                continue
            aucs = []
            n = 0
            for g in sorted(group.dropna().unique()):
                rows = scores.notna() & (group == g)
                y = split.test.loc[rows, "y"].to_numpy()
                if min(y.sum(), len(y) - y.sum()) >= 30:  # enough of each class to rank
                    aucs.append(roc_auc_score(y, scores[rows].to_numpy(dtype=float)))
                    n += len(y)
            if len(aucs) >= 2:
                out.append((name, signal.name, n, max(aucs) - min(aucs)))
    return out


def report(force: Force, rows: list[Row], kept: dict[tuple[str, str], pd.Series]) -> None:
    for name, split in splits(force).items():
        print(
            f"\n{name}: index events of {split.year} with complete {split.window_days}-day "
            f"follow-up: {len(split.test):,} (outcome rate {split.test['y'].mean():.3f}, "
            f"mean true p {split.test['p_true'].mean():.3f}); {len(split.train):,} earlier ones "
            "with follow-up over before the year began"
        )
        floor, floor95 = ece_floor(split.test["p_true"].to_numpy(dtype=float))
        print(
            f"  ECE floor on these rows (the true probability against outcomes redrawn from "
            f"it, 200 draws): mean {floor:.3f}, 95th percentile {floor95:.3f}"
        )
        print(
            f"  {'signal':<68}{'kind':<11}{'n':>7}{'AUC':>7}{'/truth':>7}{'ECE':>7}{'ECE vs p':>9}"
        )
        truth = next((r.auc for r in rows if r.target == name and r.kind == "truth"), math.nan)
        for r in rows:
            if r.target == name:
                ece = f"{r.ece:.3f}" if r.ece is not None else ""
                vs = f"{r.ece_vs_truth:.3f}" if r.ece_vs_truth is not None else ""
                print(
                    f"  {r.signal:<68}{r.kind:<11}{r.n:>7,}{r.auc:>7.3f}{r.auc / truth:>7.3f}"
                    f"{ece:>7}{vs:>9}"
                )
    print(
        "\nAUC gap by true sex (victim; child for missing), same test rows, "
        "groups with >= 30 of each outcome:"
    )
    for name, signal, n, gap in sex_gaps(force, kept):
        print(f"  {name:<16}{signal:<68}{n:>7,}  gap {gap:.3f}")
    grades = safeguard_grades(force)
    print(
        f"\nDASH forms safeguard leaves ungraded (raised grade without rationale): "
        f"{grades.isna().mean():.1%} of {len(grades):,}"
    )


# --- the product's own model -------------------------------------------------------------


@dataclass
class Product:
    """safeguard's own model on a database of this force: probabilities per truth index id."""

    scores: dict[str, pd.Series] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    gaps: dict[str, float] = field(default_factory=dict)
    fairness: list[str] = field(default_factory=list)


def link_from_truth(db: Path, force_root: Path) -> None:
    import sqlalchemy as sa

    from safeguard.adapters.db.engine import make_engine, upgrade
    from safeguard.adapters.db.people import people, person_links
    from safeguard.adapters.db.tables import person_mentions

    eng = make_engine(f"sqlite:///{db}")
    upgrade(eng)
    pairs = _read(force_root / "truth" / "mention_person.csv")
    with eng.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(person_links)).scalar_one():
            return
        pm = person_mentions.c
        ids = {
            (a, b): m for m, a, b in conn.execute(sa.select(pm.id, pm.source_system, pm.source_id))
        }
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
        keys = sorted(set(pairs["person_key"]))
        conn.execute(
            sa.insert(people), [{"id": i + 1, "created_at": now} for i in range(len(keys))]
        )
        of = {k: i + 1 for i, k in enumerate(keys)}
        rows = [
            {"mention_id": ids[(a, b)], "person_id": of[k], "linked_at": now}
            for a, b, k in pairs[["source_system", "source_id", "person_key"]].itertuples(
                index=False
            )
            if (a, b) in ids
        ]
        conn.execute(sa.insert(person_links), rows)
    eng.dispose()


def product_model(force: Force, db: Path, samples: int = 200) -> Product:
    import sqlalchemy as sa

    from safeguard.adapters.db import risk_model_store as stored
    from safeguard.adapters.db.engine import make_engine, upgrade
    from safeguard.adapters.db.history_repository import HistoryRepository
    from safeguard.adapters.db.tables import events, involvements, missing_episodes
    from safeguard.domain.risk.targets import Target
    from safeguard.services import risk_model as svc
    from safeguard.services import risk_model_data as data

    out = Product()
    eng = make_engine(f"sqlite:///{db}")
    upgrade(eng)
    began = time.perf_counter()
    with eng.connect() as conn:
        ds = data.build(conn)
        source = dict(conn.execute(sa.select(events.c.id, events.c.source_id)).all())
        episodes = dict(
            conn.execute(sa.select(missing_episodes.c.id, missing_episodes.c.source_id)).all()
        )
    out.seconds["read every history"] = time.perf_counter() - began
    out.notes.append(f"load average after the read: {os.getloadavg()[0]:.1f}")
    trained = {}
    for target in Target:
        began = time.perf_counter()
        try:
            t = svc.train(eng, target, actor=OPERATOR_RUN, dataset=ds, compare=False)
        except Exception as exc:  # too few outcomes on a small force: say so
            out.notes.append(f"{target.value}: {exc}")
            continue
        out.seconds[f"train {target.value}"] = time.perf_counter() - began
        trained[target] = t
        card = t.card
        out.notes.append(
            f"{target.value} v{t.version}: product's own test year {card['test_year']}, AUC "
            f"{card['test']['auc']:.3f}, ECE {card['test']['ece']:.3f}; gate: "
            + ("passes" if not t.refusals else "; ".join(t.refusals))
        )
        groups = {}
        for name in ("victim sex", "ethnicity"):
            for g in card["groups"].get(name, []):
                if g["auc"] is not None and g["n"] >= 100:
                    groups[f"{name}={g['group']}"] = g["auc"]
        if groups:
            out.gaps[target.value] = max(groups.values()) - min(groups.values())
        for g in card.get("fairness", {}).get("tests", []):
            out.fairness.append(
                f"{target.value:<16}{g['attribute'] + '=' + g['group']:<22}{g['n']:>7,}"
                f"{g['positives']:>6,}{g['auc']:>7.3f}{g['rest_auc']:>7.3f}{g['gap']:>7.3f}"
                f"{g['reference_gap']:>7.3f}{g['excess']:>7.3f}  {g['ci95'][0]:+.3f}..."
                f"{g['ci95'][1]:+.3f}{g['lower']:>8.3f}  {'gated' if g['gated'] else ''}"
                f"  people with it {g.get('people_positive', '-')}, rest "
                f"{g.get('rest_people_positive', '-')}"
            )
        for g in card.get("fairness", {}).get("not_tested", []):
            out.fairness.append(
                f"{target.value:<16}{g['attribute'] + '=' + g['group']:<22}{g['n']:>7,}"
                f"{g['positives']:>6,}  not tested: {g['why']} (people with it "
                f"{g.get('people_positive', '-')}, rest {g.get('rest_people_positive', '-')})"
            )
        cal = card.get("calibration") or {}
        losses = ", ".join(f"{m} {v:.4f}" for m, v in (cal.get("cv_log_loss") or {}).items())
        floor, ci = card["test"].get("ece_floor") or {}, card["test"].get("ece_ci95") or [0, 0]
        out.notes.append(
            f"{target.value}: calibration {cal.get('method')} ({cal.get('why', '')}; "
            f"{cal.get('rows', 0):,} validation rows, CV log loss {losses or '-'}), test "
            f"observed {card['test']['observed']:.3f}, mean predicted "
            f"{card['test']['predicted']:.3f}; ECE {card['test']['ece']:.3f} (bootstrap 95% "
            f"{ci[0]:.3f}-{ci[1]:.3f}; a calibrated model's floor on these rows mean "
            f"{floor.get('mean', 0):.3f}, p95 {floor.get('p95', 0):.3f})"
        )
        with eng.connect() as conn:
            model = svc._checked(stored.model_by_id(conn, t.model_id))
        rows = ds.of(target)
        began = time.perf_counter()
        scored = svc._score_rows(t.model_id, target, model, rows, pd.Timestamp.now(tz="UTC"))
        out.seconds[f"score every {target.subject} ({len(rows):,}) {target.value}"] = (
            time.perf_counter() - began
        )
        by_index: dict[str, float] = {}
        for r, sc in zip(rows, scored, strict=True):
            if target is Target.MISSING_REPEAT:
                key = episodes.get(r.episode_id)
            else:
                key = source.get(r.event_id)
            if key is not None:
                by_index[key] = max(by_index.get(key, 0.0), sc["probability"])
        out.scores[target.value] = pd.Series(by_index, dtype=float)
    # Activate what passes the gate, store every score, then time re-scoring one person after a
    # new record (an incident with the same suspect inserted for a scored victim).
    for target, t in trained.items():
        if not t.refusals:
            svc.activate(eng, target, t.version, actor=OPERATOR_RUN)
    with eng.connect() as conn:
        active = svc.active_models(conn)
    if active:
        began = time.perf_counter()
        svc.score_all(eng, dataset=ds)
        out.seconds["score_all (store every score, active models)"] = time.perf_counter() - began
        # Distinct victims of scored pairs, drawn at random (not the first in key order).
        keys = sorted({r.person_key for r in ds.of(Target.DA_REPEAT) if r.other_key})
        pick = np.random.default_rng(0).choice(len(keys), min(samples, len(keys)), replace=False)
        victims = [keys[i] for i in sorted(pick)]
        times = []
        when = (pd.Timestamp(force.end).tz_localize("UTC") - pd.Timedelta(days=1)).to_pydatetime()
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
        stamp = {"content_hash": "0" * 32, "first_ingested_at": now, "last_changed_at": now}
        for n, key in enumerate(victims):
            with eng.begin() as conn:
                mention = HistoryRepository(conn).mentions_of([key])[0]
                ev = conn.execute(
                    sa.insert(events).values(
                        source_system="bench", source_id=f"bench-e{n}",
                        event_type="domestic_abuse", occurred_at=when, **stamp,
                    ).returning(events.c.id)
                ).scalar_one()  # fmt: skip
                conn.execute(
                    sa.insert(involvements).values(
                        source_system="bench", source_id=f"bench-i{n}", event_id=ev,
                        mention_id=mention, role="victim", **stamp,
                    )
                )  # fmt: skip
                began = time.perf_counter()
                svc.rescore_people(conn, [key])
                times.append(time.perf_counter() - began)
        if len(times) > 1:
            # The first call is shown apart (a process's first re-score also reads and checks
            # the stored model files, unless score_all above already did); the rest are the
            # steady state.
            rest = times[1:]
            out.seconds["re-score one person, first call"] = times[0]
            for name, value in (
                ("median", np.median(rest)),
                ("p90", np.percentile(rest, 90)),
                ("p99", np.percentile(rest, 99)),
                ("max", np.max(rest)),
            ):
                out.seconds[f"re-score one person ({len(rest)} people), {name}"] = float(value)
            out.notes.append(f"load average after re-scoring: {os.getloadavg()[0]:.1f}")
    else:
        out.notes.append("no model passed the gate: score_all and re-scoring not timed")
    eng.dispose()
    return out


def _clusters(conn: object, force_root: Path) -> pd.DataFrame:
    """Per DA victim or suspect involvement: event id, role, the mention's linked person (the
    unlinked mention's own negative id) and its true person key."""
    import sqlalchemy as sa

    q = sa.text(
        "select i.event_id, i.role, m.id as mention_id, m.source_id, "
        "coalesce(l.person_id, -m.id) as person from involvements i "
        "join person_mentions m on m.id = i.mention_id "
        "left join person_links l on l.mention_id = m.id"
    )
    frame = pd.read_sql(q, conn)  # type: ignore[call-overload]
    truth = _read(force_root / "truth" / "mention_person.csv")[["source_id", "person_key"]]
    return frame.merge(truth, on="source_id", how="left")


def compare_linking(force: Force, own_db: Path, truth_db: Path) -> None:
    """Per domestic-abuse index incident (one victim-suspect row in both data sets), each
    history feature and label with the product's own links beside the truth's, and which
    linking error is behind each difference: the victim or suspect split (their true person's
    mentions in more than one linked person) or merged (their linked person holding mentions
    of more than one true person). Prints the table; changes nothing."""
    from safeguard.adapters.db.engine import make_engine
    from safeguard.domain.risk.features import DA_HISTORY
    from safeguard.domain.risk.targets import Target
    from safeguard.services import risk_model_data as data

    def load(db: Path) -> tuple[dict[int, data.IndexRow], pd.DataFrame]:
        eng = make_engine(f"sqlite:///{db}")
        with eng.connect() as conn:
            ds = data.build(conn)
            cl = _clusters(conn, force.root)
        eng.dispose()
        rows: dict[int, list[data.IndexRow]] = {}
        for r in ds.of(Target.DA_REPEAT):
            rows.setdefault(r.event_id, []).append(r)
        return {e: rs[0] for e, rs in rows.items() if len(rs) == 1}, cl

    began = time.perf_counter()
    own, cl = load(own_db)
    truth, _ = load(truth_db)
    print(f"\nlinking comparison: both data sets read in {time.perf_counter() - began:.1f} s")
    people = cl.groupby("person")["person_key"].nunique()
    split = cl.groupby("person_key")["person"].nunique()
    role_person = cl[cl["role"].isin(["victim", "suspect"])].drop_duplicates(["event_id", "role"])
    keyed = role_person.set_index(["event_id", "role"])
    test_year = splits(force)["da_repeat"].year
    names = [n for n, _ in DA_HISTORY]
    table = []
    for event_id, o in own.items():
        t = truth.get(event_id)
        if t is None:
            continue
        row: dict[str, object] = {"event_id": event_id, "test": o.occurred_at.year == test_year}
        for role in ("victim", "suspect"):
            if (event_id, role) in keyed.index:
                k = keyed.loc[(event_id, role)]
                row[f"{role}_split"] = bool(split.get(k["person_key"], 1) > 1)
                row[f"{role}_merged"] = bool(people.get(k["person"], 1) > 1)
        for n in names:
            row[f"d_{n}"] = o.features.values[n] - t.features.values[n]
        lo, lt = o.labels.get(Target.DA_REPEAT), t.labels.get(Target.DA_REPEAT)
        row["label_own"] = None if lo is None else bool(lo.outcome)
        row["label_truth"] = None if lt is None else bool(lt.outcome)
        table.append(row)
    frame = pd.DataFrame(table).fillna(
        dict.fromkeys(("victim_split", "victim_merged", "suspect_split", "suspect_merged"), False)
    )
    test = frame[frame["test"]]
    print(
        f"  {len(frame):,} incidents with one pair row in both ({len(test):,} of {test_year}); "
        f"own-only {len(set(own) - set(truth)):,}, truth-only {len(set(truth) - set(own)):,}"
    )
    print(f"  {'feature':<26}{'differs':>9}{'own<truth':>11}{'own>truth':>11}{'mean d':>9}")
    for n in names:
        d = test[f"d_{n}"]
        print(
            f"  {n:<26}{(d.abs() > 1e-9).mean():>9.3f}{(d < -1e-9).mean():>11.3f}"
            f"{(d > 1e-9).mean():>11.3f}{d.mean():>9.3f}"
        )
    both = test.dropna(subset=["label_own", "label_truth"])
    lost = both["label_truth"].astype(bool) & ~both["label_own"].astype(bool)
    gained = ~both["label_truth"].astype(bool) & both["label_own"].astype(bool)
    print(
        f"  da_repeat label ({len(both):,} of {test_year} labelled both): own rate "
        f"{both['label_own'].astype(bool).mean():.3f}, truth-linked "
        f"{both['label_truth'].astype(bool).mean():.3f}; lost {lost.sum():,}, gained "
        f"{gained.sum():,}"
    )
    hist = [f"d_{n}" for n in names]
    any_diff = (test[hist].abs() > 1e-9).any(axis=1)
    print(f"  {'linking error of the test rows':<34}{'rows':>7}{'features differ':>17}"
          f"{'label lost':>12}{'gained':>8}")  # fmt: skip
    causes = {
        "none": ~test[["victim_split", "victim_merged", "suspect_split", "suspect_merged"]].any(
            axis=1
        ),
        "victim split": test["victim_split"],
        "victim merged": test["victim_merged"],
        "suspect split": test["suspect_split"],
        "suspect merged": test["suspect_merged"],
    }
    for cause, mask in causes.items():
        m = mask.astype(bool)
        sub = both.index.intersection(test.index[m])
        print(
            f"  {cause:<34}{m.sum():>7,}{any_diff[m].mean() if m.any() else 0:>17.3f}"
            f"{lost.loc[sub].sum():>12,}{gained.loc[sub].sum():>8,}"
        )


def _product_signal(product: Product, name: str) -> Score:
    def run(force: Force, split: Split) -> pd.Series:
        scores = product.scores.get(name)
        if scores is None:
            return pd.Series(np.nan, index=split.test.index)
        return scores.reindex(split.test.index)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=500_000)
    parser.add_argument("--small", action="store_true", help="100,000 people (faster)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", type=Path, default=None, help="an already simulated force")
    parser.add_argument("--keep", type=Path, default=None, help="simulate into this directory")
    parser.add_argument("--db", type=Path, default=None, help="the force ingested and linked")
    parser.add_argument("--link-truth", action="store_true", help="link --db from truth first")
    parser.add_argument(
        "--compare-linking",
        type=Path,
        default=None,
        metavar="TRUTH_DB",
        help="with --db (own links): compare each DA incident's features and labels with "
        "TRUTH_DB's (linked from the truth ids), by linking error",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="add the simulator's own formula with every hidden term zero (re-simulates the "
        "force: give its --population and --seed)",
    )
    args = parser.parse_args()
    population = 100_000 if args.small else args.population
    with tempfile.TemporaryDirectory() as tmp:
        root = args.force or args.keep or Path(tmp)
        if args.force is None:
            began = time.perf_counter()
            simulate(SimulationConfig(population=population, seed=args.seed), root)
            seconds = time.perf_counter() - began
            print(f"simulated {population:,} people, seed {args.seed}: {seconds:.1f} s")
        force = Force.load(root)
        if args.ceiling:
            began = time.perf_counter()
            config = SimulationConfig(population=population, seed=args.seed, workers=2)
            seen = ceiling_probabilities(config, force, Path(tmp) / "ceiling")
            print(f"ceiling: the force simulated again, observable terms only: "
                  f"{time.perf_counter() - began:.1f} s")  # fmt: skip
            for name, col in (
                ("da_repeat", "p_repeat_12m"),
                ("da_serious_harm", "p_serious_harm_12m"),
            ):
                SIGNALS[name].insert(1, Signal(
                    "CEILING: simulator's formula, every hidden term zero", "ceiling",
                    _ceiling_signal(seen[col]), probability=True,
                ))  # fmt: skip
        if args.compare_linking is not None and args.db is not None:
            link_from_truth(args.compare_linking, root)
            compare_linking(force, args.db, args.compare_linking)
            return 0
        product = None
        if args.db is not None:
            if args.link_truth:
                link_from_truth(args.db, root)
                print("LINKING FROM TRUTH (not the product's own linking)")
            product = product_model(force, args.db)
            for name in SIGNALS:
                SIGNALS[name].append(
                    Signal("PRODUCT: safeguard risk model, own linking and labels", "product",
                           _product_signal(product, name), probability=True)
                )  # fmt: skip
        kept: dict[tuple[str, str], pd.Series] = {}
        rows = measure(force, kept)
    report(force, rows, kept)
    if product is not None:
        print("\nproduct:")
        for note in product.notes:
            print(f"  {note}")
        for what, sec in product.seconds.items():
            print(f"  {what}: {sec * 1000:.1f} ms" if sec < 1 else f"  {what}: {sec:.1f} s")
        read = product.seconds.get("read every history")
        trains = {k: v for k, v in product.seconds.items() if k.startswith("train ")}
        if read is not None and trains:
            each = ", ".join(f"{k[6:]} {read + v:.1f} s" for k, v in trains.items())
            print(
                f"  train end to end (read every history + fit, validate, card, store): {each}; "
                f"all {len(trains)} targets from one read {read + sum(trains.values()):.1f} s"
            )
        for target, gap in product.gaps.items():
            print(f"  {target}: largest raw AUC gap over victim sex and ethnicity groups of "
                  f">= 100 rows (the gate's rule before the group test) {gap:.3f}")  # fmt: skip
        if product.fairness:
            print(
                "  group test of the card (own labels; each group against the rest of its "
                "attribute):\n  "
                f"{'target':<16}{'group':<22}{'n':>7}{'pos':>6}{'AUC':>7}{'rest':>7}{'gap':>7}"
                f"{'ref':>7}{'excess':>7}  {'95% interval':<14}{'lower':>8}"
            )
            for line in product.fairness:
                print(f"  {line}")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
