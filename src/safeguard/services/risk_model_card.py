"""The model card written with every model: what it was trained on, how well it ranks and how
well it is calibrated beside the force's own instruments on the same test incidents, by group,
its known limits and the ALGO-CARE points, as JSON stored with the model; its Markdown is
``services/risk_model_card_text.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from safeguard.adapters import ml
from safeguard.domain.risk.gate import GroupTest, Measures, Thresholds, refusals
from safeguard.services.risk_model_data import IndexRow, age_band

MIN_GROUP = 100  # rows (with both outcomes) a group needed to be gated on cards before tests
GATED_BY = ("victim sex", "ethnicity")
#: People (victims, or children) with each outcome a group, and the rest of its attribute,
#: need for the group test: with fewer, a group's AUC has a standard error of about 0.05 or
#: more and is reported, not tested. Counted in people, not rows: one person's incidents share
#: one history and mostly one future (a victim with 16 incidents in the year and one serious
#: harm after them is 16 positive rows), so rows overstate what a group's AUC rests on.
MIN_OUTCOMES = 50
#: Bootstrap resamples of each group and of the rest of its attribute. Each resample takes
#: whole people (every row of a person, Poisson(1) times): the cluster bootstrap, whose
#: interval holds when one person's rows are alike in outcome and score.
DRAWS = 300
#: Family-wise error of the gate's group tests (Bonferroni over the gated groups tested): the
#: chance that a model whose probabilities are the truth is refused for noise. The gate runs on
#: every training, so 5% would refuse one such model in twenty.
LEVEL = 0.01


def _rate(y: np.ndarray) -> float | None:
    return float(y.mean()) if len(y) else None


def _groups(rows: Sequence[IndexRow]) -> dict[str, Callable[[IndexRow], str | None]]:
    return {
        "victim sex" if rows and rows[0].kind == "da" else "child sex": lambda r: r.sex,
        "age band": lambda r: age_band(r.age),
        "ethnicity": lambda r: r.ethnicity,
        "area": lambda r: r.area,
    }


def breakdown(
    rows: Sequence[IndexRow], y: np.ndarray, p: np.ndarray
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name, of in _groups(rows).items():
        values = np.array([of(r) or "" for r in rows], dtype=object)
        items = []
        for g in sorted({v for v in values if v}):
            m = values == g
            auc = ml.auc(y[m], p[m])
            items.append(
                {
                    "group": g,
                    "n": int(m.sum()),
                    "positives": int(y[m].sum()),
                    "auc": auc,
                    "ece": ml.expected_calibration_error(y[m], p[m]),
                    "observed": _rate(y[m]),
                    "predicted": float(p[m].mean()),
                }
            )
        out[name.replace("child", "victim")] = items
    return out


def _resampled(rng: np.random.Generator, clusters: np.ndarray, draws: int) -> np.ndarray:
    """Weights of the rows as they are (first) and of ``draws`` bootstrap resamples: how many
    times each row is taken. A row is taken as often as its cluster (``clusters``: one integer
    per row), each cluster Poisson(1) times: the Poisson bootstrap (a standard approximation of
    resampling n of n that needs no draw of indices), over clusters, so that rows which are
    not independent of each other are not counted as if they were."""
    n_clusters = int(clusters.max()) + 1 if len(clusters) else 0
    taken = rng.poisson(1.0, size=(draws, n_clusters))
    return np.vstack([np.ones((1, len(clusters))), taken[:, clusters]])


def _people(rows: Sequence[IndexRow]) -> np.ndarray:
    """One integer per row naming its person (the victim of an incident, the child of an
    episode): the clusters of the bootstrap."""
    index: dict[str, int] = {}
    return np.array([index.setdefault(r.person_key, len(index)) for r in rows], dtype=int)


def _outcome_people(people: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[int, int]:
    """(people with a row with the outcome, people with a row without it) among ``mask``."""
    return (
        len(np.unique(people[mask & (y == 1)])),
        len(np.unique(people[mask & (y == 0)])),
    )


def fairness(
    rows: Sequence[IndexRow],
    y: np.ndarray,
    p: np.ndarray,
    *,
    draws: int = DRAWS,
    min_outcomes: int = MIN_OUTCOMES,
    level: float = LEVEL,
    seed: int = 0,
) -> dict[str, Any]:
    """The group tests of the gate: each group of a gated attribute (victim sex, ethnicity)
    with at least ``min_outcomes`` people with each outcome (and its rest likewise) against
    the rest of that attribute. (Age band and area are in :func:`breakdown`, not tested.)

    For each: the AUC gap (rest minus group), the gap the model's own probabilities imply (the
    AUCs expected were each outcome drawn from its probability: what a model that is the truth
    would show, from the group's case mix alone; no truth is read), the excess beyond it, and a
    bootstrap of the excess (people resampled, with all their rows, within the group and
    within the rest): its standard error, 95% percentile interval and a lower bound at a
    family-wise ``level`` over the gated groups tested. Groups with too few people with an
    outcome are listed as not tested, with why. The resamples are seeded, so a card is
    reproducible.

    Why people and not rows: an index row is an incident (or an episode), and a person's rows
    are alike, one history and mostly one future. On the default force's 2024 serious-harm
    year the 66 positive rows of the ethnic minorities were 19 victims, three of them 45 rows;
    resampling rows treated them as 66 independent outcomes, and the test refused the
    simulator's true probability itself (excess 0.108, lower bound 0.057)."""
    # One set of resampling weights for every test row, by person: a person's rows share a
    # sex and an ethnicity, so a group's and its rest's weights are disjoint sets of people,
    # so independent.
    people = _people(rows)
    weights = _resampled(np.random.default_rng(seed), people, draws)
    found: list[dict[str, Any]] = []
    untested: list[dict[str, Any]] = []
    for name, of in _groups(rows).items():
        attribute = name.replace("child", "victim")
        if attribute not in GATED_BY:
            continue
        values = np.array([of(r) or "" for r in rows], dtype=object)
        recorded = (values != "") & (values != "unknown")
        for g in sorted({str(v) for v in values[recorded]}):
            mine, rest = values == g, recorded & (values != g)
            counts = [int(y[m].sum()) for m in (mine, rest)]
            mine_people, rest_people = (_outcome_people(people, y, m) for m in (mine, rest))
            fewest = min(*mine_people, *rest_people)
            if fewest < min_outcomes:
                untested.append({"attribute": attribute, "group": g, "n": int(mine.sum()),
                                 "positives": counts[0], "people_positive": mine_people[0],
                                 "rest_people_positive": rest_people[0],
                                 "why": f"fewer than {min_outcomes} people with an outcome (or "
                                 "without it) in the group or the rest"})  # fmt: skip
                continue
            obs, ref = [], []
            for m in (mine, rest):
                w = weights[:, m]
                obs.append(ml.weighted_aucs(p[m], y[m], w))
                ref.append(ml.weighted_aucs(p[m], p[m], w))
            gap, ref_gap = obs[1] - obs[0], ref[1] - ref[0]
            excess = gap - ref_gap
            boot = excess[1:][~np.isnan(excess[1:])]
            if len(boot) < draws // 2:  # resamples without a pair to rank: not testable
                untested.append({"attribute": attribute, "group": g, "n": int(mine.sum()),
                                 "positives": counts[0],
                                 "why": "too few resamples with both outcomes"})  # fmt: skip
                continue
            found.append(
                {
                    "attribute": attribute,
                    "group": g,
                    "gated": True,
                    "n": int(mine.sum()),
                    "positives": counts[0],
                    "people": len(np.unique(people[mine])),
                    "people_positive": mine_people[0],
                    "rest_people_positive": rest_people[0],
                    "auc": float(obs[0][0]),
                    "rest_auc": float(obs[1][0]),
                    "gap": float(gap[0]),
                    "reference_gap": float(ref_gap[0]),
                    "excess": float(excess[0]),
                    "se": float(boot.std(ddof=1)),
                    "ci95": [float(x) for x in np.percentile(boot, [2.5, 97.5])],
                }
            )
    z = NormalDist().inv_cdf(1 - level / max(1, len(found)))
    for t in found:
        t["tested"] = len(found)
        t["lower"] = t["excess"] - z * t["se"]
    return {
        "method": "each group against the rest of its attribute; AUC gap beyond the gap the "
        "model's own probabilities imply; bootstrap lower bound, family-wise over the gated "
        "groups",
        "min_outcomes": min_outcomes,
        "draws": draws,
        "level": level,
        "gated_by": list(GATED_BY),
        "tests": found,
        "not_tested": untested,
    }


def group_tests(card: Mapping[str, Any]) -> tuple[GroupTest, ...]:
    fair = card.get("fairness") or {}
    return tuple(
        GroupTest(
            t["attribute"],
            t["group"],
            t["n"],
            t["positives"],
            t["auc"],
            t["rest_auc"],
            t["gap"],
            t["reference_gap"],
            t["excess"],
            t["lower"],
            (t["ci95"][0], t["ci95"][1]),
            t["tested"],
        )  # fmt: skip
        for t in fair.get("tests", [])
        if t["gated"]
    )


def gate_measures(card: Mapping[str, Any]) -> Measures:
    """The gate's figures of a card. A card written before the group tests (no "fairness")
    is gated as it was then: the raw largest AUC gap over groups of at least ``MIN_GROUP``."""
    groups: dict[str, float] = {}
    if "fairness" not in card:
        for name in GATED_BY:
            for g in card["groups"].get(name, []):
                if g["auc"] is not None and g["n"] >= MIN_GROUP and 0 < g["positives"] < g["n"]:
                    groups[f"{name}={g['group']}"] = g["auc"]
    dash = card["test"]["same_incidents"].get("dash_count_auc")
    floor = card["test"].get("ece_floor")
    return Measures(
        auc=card["test"]["same_incidents"].get("model_auc") or card["test"]["auc"] or 0.0,
        dash_auc=dash,
        ece=card["test"]["ece"],
        group_aucs=groups,
        group_tests=group_tests(card),
        ece_floor=None if floor is None else (float(floor["mean"]), float(floor["p95"])),
    )


def card_refusals(card: Mapping[str, Any], thresholds: Thresholds | None = None) -> list[str]:
    return refusals(gate_measures(card), thresholds)
