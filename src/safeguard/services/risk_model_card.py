"""The model card written with every model: what it was trained on, how well it ranks and how
well it is calibrated beside the force's own instruments on the same test incidents, by group,
its known limits and the ALGO-CARE points. JSON (stored with the model) and Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from safeguard.adapters import ml
from safeguard.domain.risk.gate import GroupTest, Measures, Thresholds, refusals
from safeguard.domain.risk.targets import Target
from safeguard.services.risk_model_data import IndexRow, age_band

MIN_GROUP = 100  # rows (with both outcomes) a group needed to be gated on cards before tests
GATED_BY = ("victim sex", "ethnicity")
#: Outcomes of each kind a group, and the rest of its attribute, need for the group test: with
#: fewer, a group's AUC has a standard error of about 0.05 or more and is reported, not tested.
MIN_OUTCOMES = 50
DRAWS = 300  # bootstrap resamples of each group and of the rest of its attribute
#: Family-wise error of the gate's group tests (Bonferroni over the gated groups tested): the
#: chance that a model whose probabilities are the truth is refused for noise. The gate runs on
#: every training, so 5% would refuse one such model in twenty.
LEVEL = 0.01

KNOWN_LIMITS = (
    "Advisory only: it never changes an instrument's grade; a high band beside a standard grade "
    "asks a supervisor to review the grade.",
    "Learns what the force recorded: abuse never reported, and people linking failed to join, "
    "are invisible to it; links are today's links, not those known at the time.",
    "Records corrected after an incident show their corrected values when features are "
    "computed (earlier versions are in record_history).",
    "The stored model is the one validated: fitted on the years before the test year and "
    "recalibrated on the validation year just before it (the method chosen there); the test "
    "year's outcomes are not in it until the next training.",
    "The ECE of one test year carries the outcomes' sampling noise (a model whose "
    "probabilities were the truth still scores the floor shown above); the gate judges the "
    "ECE against that floor.",
    "Outcomes are read from the force's own links: a later incident linked to another person "
    "is a lost outcome, so calibration is to the outcomes the force can see (on a simulated "
    "force they were 7% fewer repeats than happened).",
    "Area is not a feature (so no area is scored up for where it is); calibration by area is "
    "reported instead.",
    "Sex and ethnicity are never features; they are used only to measure fairness, where recorded.",
)

ALGO_CARE = {
    "Advisory": "The probability and band inform the practitioner; the DASH grade and "
    "professional judgement decide. The model never lowers a grade.",
    "Lawful": "Processing for policing purposes (DPA 2018 Part 3); a DPIA and the force's "
    "legal review precede activation.",
    "Granularity": "One prediction per incident and victim-suspect pair (or child's episode), "
    "from the person's linked history as of the moment the incident was known.",
    "Ownership": "The force owns the data, the code and the fitted model (skops file in its "
    "own database); no third party holds either.",
    "Challengeable": "Each prediction names the history items that drove it, linked to their "
    "records; a supervisor reviews any grade the model questions; every read is audited.",
    "Accuracy": "Temporal validation on the latest complete year; AUC and calibration beside "
    "the DASH count and officer grade; by sex, age band, ethnicity and area.",
    "Responsible": "Sex and ethnicity are excluded from features; a gate refuses a model "
    "that does not beat DASH, is miscalibrated or ranks one group markedly worse.",
    "Explainable": "A glass-box additive model: each feature's contribution to the log-odds "
    "is exact and shown.",
}


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


def _resampled(rng: np.random.Generator, n: int, draws: int) -> np.ndarray:
    """Weights of the rows as they are (first) and of ``draws`` bootstrap resamples: how many
    times each row is taken, Poisson(1) (the Poisson bootstrap, a standard approximation of
    resampling n of n that needs no draw of indices)."""
    return np.vstack([np.ones((1, n)), rng.poisson(1.0, size=(draws, n))])


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
    with at least ``min_outcomes`` of each outcome (and its rest likewise) against the rest of
    that attribute. (Age band and area are in :func:`breakdown`, not tested.)

    For each: the AUC gap (rest minus group), the gap the model's own probabilities imply (the
    AUCs expected were each outcome drawn from its probability: what a model that is the truth
    would show, from the group's case mix alone; no truth is read), the excess beyond it, and a
    bootstrap of the excess (rows resampled within the group and within the rest): its
    standard error, 95% percentile interval and a lower bound at a family-wise ``level`` over
    the gated groups tested. Groups with too few outcomes are listed as not tested, with why.
    The resamples are seeded, so a card is reproducible."""
    # One set of resampling weights for every test row: a group's and its rest's weights are
    # disjoint columns of it, so independent.
    weights = _resampled(np.random.default_rng(seed), len(rows), draws)
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
            fewest = min(counts[0], int(mine.sum()) - counts[0], counts[1],
                         int(rest.sum()) - counts[1])  # fmt: skip
            if fewest < min_outcomes:
                untested.append({"attribute": attribute, "group": g, "n": int(mine.sum()),
                                 "positives": counts[0],
                                 "why": f"fewer than {min_outcomes} of an outcome in the group "
                                 "or the rest"})  # fmt: skip
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


def _fmt(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _calibration(c: Mapping[str, Any] | None) -> str:
    if not c:
        return "not recorded"
    where = f"{c['rows']:,} validation rows ({c['positives']:,} positive)"
    if "window" in c:
        where += f" of {c['window'][0]} to {c['window'][1]}"
    losses = c.get("cv_log_loss")
    chose = (
        f"chosen by {c.get('folds', 5)}-fold cross-validated log loss on that year alone ("
        + ", ".join(f"{m} {v:.4f}" for m, v in losses.items())
        + "); "
        if losses
        else ""
    )
    if c["method"] not in ("platt", "intercept"):
        return f"none ({chose}{c.get('why', '')}; {where})"
    what = (
        f"Platt on the log-odds (slope {c['slope']:.3f}, intercept {c['intercept']:+.3f})"
        if c["method"] == "platt"
        else f"a shift of the log-odds (intercept {c['intercept']:+.3f})"
    )
    after = (
        f"; validation ECE {_fmt(c['validation_ece_before'])} before, "
        f"{_fmt(c['validation_ece_after'])} after"
        if "validation_ece_after" in c
        else ""
    )
    return (
        f"{what}, {chose}fitted on {where}, after the training rows and before the test year"
        f"{after}; test ECE before it {_fmt(c['test_ece_before'])}"
    )


def _floor(floor: Mapping[str, float] | None, ci: Sequence[float] | None = None) -> str:
    interval = f" Bootstrap 95% interval of the ECE {ci[0]:.3f} to {ci[1]:.3f}." if ci else ""
    if not floor:
        return interval
    return interval + (
        f" On these rows a model whose probabilities were the truth would score ECE "
        f"{floor['mean']:.3f} on average from the outcomes' noise alone (95th percentile "
        f"{floor['p95']:.3f}; outcomes redrawn from this model's probabilities)."
    )


def _in_the_large(large: Mapping[str, float] | None) -> str:
    if not large:
        return ""
    return (
        f" Observed minus predicted {large['difference']:+.3f}, standard error "
        f"{large['se']:.3f} if outcomes were drawn from the predictions (z {large['z']:+.1f}: "
        + ("beyond the year's noise" if abs(large["z"]) > 2 else "within the year's noise")
        + ")."
    )


def _fairness_lines(fair: Mapping[str, Any] | None) -> list[str]:
    if not fair:
        return []
    lines = [
        "## Group test (test year)",
        "",
        f"Each group with at least {fair['min_outcomes']} of each outcome (and the rest of its "
        "attribute likewise) against the rest of its attribute. *Gap*: the rest's AUC minus the "
        "group's. *Reference*: the same gap of the AUCs the model's own probabilities imply "
        "(expected if each outcome were drawn from its probability; a group whose risk is less "
        "spread ranks worse under any model, the truth included). *Excess*: gap minus "
        f"reference, with {fair['draws']} bootstrap resamples of the group and of the rest. The "
        "gate refuses a gated attribute's group whose excess is over the limit and whose lower "
        f"bound (family-wise {1 - fair['level']:.0%} over the gated groups) is over zero.",
        "",
        "| attribute | group | n | positives | AUC | rest AUC | gap | reference | excess | "
        "95% interval | lower bound | gated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in fair["tests"]:
        lines.append(
            f"| {t['attribute']} | {t['group']} | {t['n']:,} | {t['positives']:,} | "
            f"{_fmt(t['auc'])} | {_fmt(t['rest_auc'])} | {_fmt(t['gap'])} | "
            f"{_fmt(t['reference_gap'])} | {_fmt(t['excess'])} | {_fmt(t['ci95'][0])} to "
            f"{_fmt(t['ci95'][1])} | {_fmt(t['lower'])} | {'yes' if t['gated'] else 'no'} |"
        )
    if fair["not_tested"]:
        lines += ["", "Not tested (too few outcomes to rank): " + ", ".join(
            f"{u['attribute']}={u['group']} ({u['n']:,} rows, {u['positives']:,} positive)"
            for u in fair["not_tested"]
        ) + "."]  # fmt: skip
    return lines + [""]


def markdown(card: Mapping[str, Any]) -> str:
    t = Target(card["target"])
    test, same = card["test"], card["test"]["same_incidents"]
    lines = [
        f"# Model card: {t.value} v{card['version']}",
        "",
        f"Predicts **{t.wording}**. Family: `{card['family']}` (chosen: {card['why_family']}).",
        "",
        "## Data",
        "",
        f"- Records up to {card['data_end']}; training: index events of "
        f"{card['train_window'][0]} to {card['train_window'][1]} whose follow-up was over before "
        f"the test year; test: {card['test_year']} (latest year with complete follow-up).",
        f"- Training rows {card['counts']['train']:,} ({card['counts']['train_positives']:,} "
        f"positive); test rows {card['counts']['test']:,} "
        f"({card['counts']['test_positives']:,} positive).",
        f"- Features ({len(card['features'])}): {', '.join(card['features'])}.",
        f"- Calibration: {_calibration(card.get('calibration'))}.",
        "",
        "## Performance on the test year",
        "",
        f"AUC {_fmt(test['auc'])}, ECE {_fmt(test['ece'])} (ten equal-width bins), "
        f"outcome rate {_fmt(test['observed'])}, mean prediction {_fmt(test['predicted'])}."
        + _in_the_large(test.get("in_the_large"))
        + _floor(test.get("ece_floor"), test.get("ece_ci95")),
        "",
        f"On the same {same.get('n', 0):,} test incidents with a form:",
        "",
        "| signal | AUC |",
        "|---|---|",
        f"| this model | {_fmt(same.get('model_auc'))} |",
        f"| DASH yes-count | {_fmt(same.get('dash_count_auc'))} |",
        f"| officer grade | {_fmt(same.get('officer_grade_auc'))} |",
        "",
        "Model families compared (same split):",
        "",
        "| family | features | AUC | ECE |",
        "|---|---|---|---|",
    ]
    for c in card["compared"]:
        lines.append(f"| {c['family']} | {c['features']} | {_fmt(c['auc'])} | {_fmt(c['ece'])} |")
    lines += ["", "## By group (test year)", ""]
    for name, items in card["groups"].items():
        lines += [f"**{name}**", "", "| group | n | positives | AUC | ECE | observed | predicted |"]
        lines.append("|---|---|---|---|---|---|---|")
        for g in items:
            lines.append(
                f"| {g['group']} | {g['n']:,} | {g['positives']:,} | {_fmt(g['auc'])} | "
                f"{_fmt(g['ece'])} | {_fmt(g['observed'])} | {_fmt(g['predicted'])} |"
            )
        lines.append("")
    lines += _fairness_lines(card.get("fairness"))
    lines += ["## Activation gate", ""]
    gate = card.get("refusals") or []
    lines.append(
        "Passes: beats the DASH count by the margin, ECE within the limit or within what a "
        "calibrated model scores on these rows from noise alone, group AUC gap within bounds."
        if not gate
        else "Refused:\n\n" + "\n".join(f"- {r}" for r in gate)
    )
    lines += ["", "## Known limits", ""] + [f"- {x}" for x in KNOWN_LIMITS]
    lines += ["", "## ALGO-CARE", ""] + [f"- **{k}**: {v}" for k, v in ALGO_CARE.items()]
    return "\n".join(lines) + "\n"
