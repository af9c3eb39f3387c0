"""The model card in words: the Markdown written beside every model's JSON card
(``services/risk_model_card.py`` measures; this module says it), with the card's known limits
and its ALGO-CARE points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from safeguard.domain.risk.targets import Target

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


def _fmt(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _regularisation(r: Mapping[str, Any] | None) -> list[str]:
    """The L2 strength line, on cards that chose it (cards before used C = 1)."""
    if not r:
        return []
    losses = r.get("validation_log_loss")
    how = (
        "lowest log loss on the validation year ("
        + ", ".join(f"C {c} {v:.4f}" for c, v in losses.items())
        + ")"
        if losses
        else r.get("why", "")
    )
    return [f"- Regularisation: inverse L2 strength C = {r['c']:g}, {how}."]


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


def in_the_large(large: Mapping[str, float] | None) -> str:
    if not large:
        return ""
    return (
        f" Observed minus predicted {large['difference']:+.3f}, standard error "
        f"{large['se']:.3f} if outcomes were drawn from the predictions (z {large['z']:+.1f}: "
        + ("beyond the year's noise" if abs(large["z"]) > 2 else "within the year's noise")
        + ")."
    )


def _people(test: Mapping[str, Any], key: str) -> str:
    """The people behind a count, in brackets, on a card whose group test counted them."""
    return f" ({test[key]:,})" if key in test else ""


def _untested(fair: Mapping[str, Any] | None) -> str:
    """What a passing gate could not judge: the gated attributes none of whose groups had
    enough people with an outcome to test."""
    if not fair:
        return ""
    tested = {t["attribute"] for t in fair["tests"]}
    missing = sorted({u["attribute"] for u in fair["not_tested"]} - tested)
    if not missing:
        return ""
    return " where tested (not tested, too few people with an outcome: " + ", ".join(missing) + ")"


def _persons(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def fairness_lines(fair: Mapping[str, Any] | None) -> list[str]:
    if not fair:
        return []
    lines = [
        "## Group test ("
        + (
            "validation and test years " + " and ".join(map(str, fair["years"]))
            if fair.get("years")
            else "test year"
        )
        + ")",
        "",
        f"Each group with at least {fair['min_outcomes']} people with each outcome (and the "
        "rest of its attribute likewise) against the rest of its attribute. *Gap*: the rest's "
        "AUC minus the group's. *Reference*: the same gap of the AUCs the model's own "
        "probabilities imply (expected if each outcome were drawn from its probability; a group "
        "whose risk is less spread ranks worse under any model, the truth included). *Excess*: "
        f"gap minus reference, with {fair['draws']} bootstrap resamples of the group and of the "
        "rest, each taking whole people (all of a person's rows: one person's incidents are not "
        "independent outcomes). The gate refuses a gated attribute's group whose excess is over "
        "the limit and whose lower bound (family-wise "
        f"{1 - fair['level']:.0%} over the gated groups) is over zero.",
        "",
        "| attribute | group | rows (people) | positive rows (people) | AUC | rest AUC | gap | "
        "reference | excess | 95% interval | lower bound | gated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in fair["tests"]:
        lines.append(
            f"| {t['attribute']} | {t['group']} | {t['n']:,}{_people(t, 'people')} | "
            f"{t['positives']:,}{_people(t, 'people_positive')} | "
            f"{_fmt(t['auc'])} | {_fmt(t['rest_auc'])} | {_fmt(t['gap'])} | "
            f"{_fmt(t['reference_gap'])} | {_fmt(t['excess'])} | {_fmt(t['ci95'][0])} to "
            f"{_fmt(t['ci95'][1])} | {_fmt(t['lower'])} | {'yes' if t['gated'] else 'no'} |"
        )
    if fair["not_tested"]:
        lines += ["", "Not tested (too few people with an outcome to rank): " + ", ".join(
            f"{u['attribute']}={u['group']} ({u['n']:,} rows, {u['positives']:,} positive"
            + (f", of {_persons(u['people_positive'])}; the rest "
               f"{_persons(u['rest_people_positive'])}" if "people_positive" in u else "")
            + ")"
            for u in fair["not_tested"]
        ) + "."]  # fmt: skip
    if not fair["tests"] and fair["not_tested"]:
        lines += ["", "**No group could be tested on these years**: the gate judged this "
                  "model on its ranking and calibration only; fairness by group is unmeasured "
                  "here, not shown to hold."]  # fmt: skip
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
        *_regularisation(card.get("regularisation")),
        f"- Calibration: {_calibration(card.get('calibration'))}.",
        "",
        "## Performance on the test year",
        "",
        f"AUC {_fmt(test['auc'])}, ECE {_fmt(test['ece'])} (ten equal-width bins), "
        f"outcome rate {_fmt(test['observed'])}, mean prediction {_fmt(test['predicted'])}."
        + in_the_large(test.get("in_the_large"))
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
    lines += fairness_lines(card.get("fairness"))
    lines += ["## Activation gate", ""]
    gate = card.get("refusals") or []
    lines.append(
        "Passes: beats the DASH count by the margin, ECE within the limit or within what a "
        "calibrated model scores on these rows from noise alone, group AUC gap within bounds"
        + _untested(card.get("fairness"))
        + "."
        if not gate
        else "Refused:\n\n" + "\n".join(f"- {r}" for r in gate)
    )
    lines += ["", "## Known limits", ""] + [f"- {x}" for x in KNOWN_LIMITS]
    lines += ["", "## ALGO-CARE", ""] + [f"- **{k}**: {v}" for k, v in ALGO_CARE.items()]
    return "\n".join(lines) + "\n"
