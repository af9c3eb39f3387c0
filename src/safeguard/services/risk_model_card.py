"""The model card written with every model: what it was trained on, how well it ranks and how
well it is calibrated beside the force's own instruments on the same test incidents, by group,
its known limits and the ALGO-CARE points. JSON (stored with the model) and Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from safeguard.adapters import ml
from safeguard.domain.risk.gate import Measures, Thresholds, refusals
from safeguard.domain.risk.targets import Target
from safeguard.services.risk_model_data import IndexRow, age_band

MIN_GROUP = 100  # rows (with both outcomes) a group needs to be reported and gated
GATED_BY = ("victim sex", "ethnicity")

KNOWN_LIMITS = (
    "Advisory only: it never changes an instrument's grade; a high band beside a standard grade "
    "asks a supervisor to review the grade.",
    "Learns what the force recorded: abuse never reported, and people linking failed to join, "
    "are invisible to it; links are today's links, not those known at the time.",
    "Records corrected after an incident show their corrected values when features are "
    "computed (earlier versions are in record_history).",
    "The stored model is the one validated: fitted on the years before the test year and "
    "recalibrated on the held-out rows just before it; the test year's outcomes are not in it "
    "until the next training.",
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


def gate_measures(card: Mapping[str, Any]) -> Measures:
    groups: dict[str, float] = {}
    for name in GATED_BY:
        for g in card["groups"].get(name, []):
            if g["auc"] is not None and g["n"] >= MIN_GROUP and 0 < g["positives"] < g["n"]:
                groups[f"{name}={g['group']}"] = g["auc"]
    dash = card["test"]["same_incidents"].get("dash_count_auc")
    return Measures(
        auc=card["test"]["same_incidents"].get("model_auc") or card["test"]["auc"] or 0.0,
        dash_auc=dash,
        ece=card["test"]["ece"],
        group_aucs=groups,
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
    where = f"{c['rows']:,} held-out rows ({c['positives']:,} positive)"
    if "window" in c:
        where += f" of {c['window'][0]} to {c['window'][1]}"
    if c["method"] != "platt":
        return f"none ({c.get('why', '')}; {where})"
    return (
        f"Platt on the log-odds (slope {c['slope']:.3f}, intercept {c['intercept']:+.3f}) "
        f"fitted on {where}, after the training rows and before the test year; test ECE "
        f"before it {_fmt(c['test_ece_before'])}"
    )


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
        f"outcome rate {_fmt(test['observed'])}, mean prediction {_fmt(test['predicted'])}.",
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
    lines += ["## Activation gate", ""]
    gate = card.get("refusals") or []
    lines.append(
        "Passes: beats the DASH count by the margin, ECE within bounds, group AUC gap within "
        "bounds."
        if not gate
        else "Refused:\n\n" + "\n".join(f"- {r}" for r in gate)
    )
    lines += ["", "## Known limits", ""] + [f"- {x}" for x in KNOWN_LIMITS]
    lines += ["", "## ALGO-CARE", ""] + [f"- **{k}**: {v}" for k, v in ALGO_CARE.items()]
    return "\n".join(lines) + "\n"
