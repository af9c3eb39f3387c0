"""Risk model use cases: train (temporal validation, model card, gate verdict), activate (the
gate, and a stored file that must match the code), score everyone, re-score some people.

A model is trained on the index events whose follow-up was over before the test year began and
tested on the latest year with complete follow-up. Of the families compared, the glass-box
``spline_logistic`` goes into the store (each prediction explains itself exactly); gradient
boosting is fitted beside it on the same split to show what the additive form gives up.

The stored model is then recalibrated (Platt, on its log-odds, so every explanation stays
exact) on the held-out rows between the training rows and the test year, when each outcome has
enough of them; the card records it and the test ECE before it.

About 600 lines: train (with its recalibration), activate, score and re-score share the
temporal split, the gate and the model store's checks. The data set is already in
``risk_model_data`` and the arithmetic in ``adapters.ml``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters import ml
from safeguard.adapters import model_store as store
from safeguard.adapters.db import risk_model_store as stored
from safeguard.domain.access import Action, Principal, recorded_as
from safeguard.domain.risk.bands import BAND_ORDER, band
from safeguard.domain.risk.explanation import drivers
from safeguard.domain.risk.features import DA_HISTORY, DASH, MISSING_HISTORY, kinds_of
from safeguard.domain.risk.targets import MIN_POSITIVES, Target
from safeguard.errors import NotFound, ValidationFailed
from safeguard.services import risk_model_card as cards
from safeguard.services import risk_model_card_text as card_text
from safeguard.services import risk_model_data as data
from safeguard.services.risk_model_data import IndexRow
from safeguard.services.unit_of_work import authorize

log = logging.getLogger(__name__)
KINDS = kinds_of(DA_HISTORY, DASH, MISSING_HISTORY)
#: A recalibration is considered only on a validation year with at least this many rows of
#: each outcome; above it the data chooses (cross-validated log loss on that year alone), so a
#: small year picks "none" or the one-parameter intercept rather than a noisy Platt fit.
MIN_CALIBRATION = 50
#: Calibration methods, simplest first (a tie goes to the simpler). All keep each prediction
#: exactly explained (a shift and a scale of the log-odds); isotonic regression is not offered:
#: a step function of the log-odds would break the exact per-feature explanation.
CALIBRATIONS = ("none", "intercept", "platt")
CALIBRATION_FOLDS = 5
#: The inverse L2 strengths ``C`` tried for the spline logistic regression, on the validation
#: year (:func:`choose_regularisation`).
REGULARISATIONS = (1.0, 0.3, 0.1, 0.03)
CHOSEN = ml.SPLINE_LOGISTIC
WHY = (
    "glass-box: each prediction is the baseline plus one exact contribution per feature, so "
    "it can name what drove it; gradient boosting is fitted beside it on the same split and "
    "its AUC is shown, to measure what the additive form gives up"
)


@dataclass(frozen=True)
class Trained:
    model_id: int
    target: Target
    version: int
    card: dict[str, Any]
    refusals: list[str]
    seconds: dict[str, float]


def _year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=UTC)


def split(
    rows: Sequence[IndexRow], target: Target, data_end: datetime
) -> tuple[int, list[IndexRow], list[IndexRow]]:
    """(test year, train rows, test rows): the latest year whose follow-up is complete, and
    the rows before the validation year (the year before it, :func:`held_out`) whose
    follow-up was over before the test year began. Only labelled rows."""
    window = timedelta(days=target.window_days)
    labelled = [r for r in rows if r.labels.get(target) is not None]
    years = sorted({r.occurred_at.year for r in labelled})
    complete = [y for y in years if _year_start(y + 1) + window <= data_end]
    if not complete:
        raise ValidationFailed(
            f"too few labelled outcomes for {target.value}: no calendar year has complete "
            f"{target.window_days}-day follow-up before {data_end:%Y-%m-%d}"
        )
    year = complete[-1]
    test = [r for r in labelled if r.occurred_at.year == year]
    train = [
        r
        for r in labelled
        if r.occurred_at < _year_start(year - 1) and r.occurred_at + window <= _year_start(year)
    ]
    return year, train, test


def held_out(rows: Sequence[IndexRow], target: Target, year: int) -> list[IndexRow]:
    """The validation year: the labelled rows of the calendar year before the test year. They
    are later than every training row and never test rows; the calibration method is chosen
    and fitted on them alone (the test year never chooses anything)."""
    return [r for r in rows if r.labels.get(target) is not None and r.occurred_at.year == year - 1]


def _y(rows: Sequence[IndexRow], target: Target) -> np.ndarray:
    return np.array([bool(r.labels[target] and r.labels[target].outcome) for r in rows], dtype=int)  # type: ignore[union-attr]


def _x(rows: Sequence[IndexRow], names: tuple[str, ...]) -> np.ndarray:
    return np.array(data.matrix(rows, names), dtype=float).reshape(len(rows), len(names))


def _check_enough(name: str, y: np.ndarray, target: Target, need: int) -> None:
    pos = int(y.sum())
    neg = len(y) - pos
    if pos < need or neg < need:
        raise ValidationFailed(
            f"too few labelled outcomes for {target.value}: the {name} set has {len(y):,} "
            f"rows ({pos:,} with the outcome, {neg:,} without); at least {need} of each needed"
        )


def train(
    engine: Engine,
    target: Target,
    *,
    actor: Principal,
    data_end: datetime | None = None,
    dataset: data.Dataset | None = None,
    min_positives: int = MIN_POSITIVES,
    min_calibration: int = MIN_CALIBRATION,
    compare: bool = True,
) -> Trained:
    """Fit, recalibrate on the held-out rows before the test year (Platt, when there are
    enough), validate on the latest complete year, write the card, store (inactive).

    Raises:
        Refused, PermissionDenied: ``actor`` may not run batch jobs (an account without
            ``RUN_BATCH_JOBS``, or an undeclared job); checked before anything is read.
    """
    authorize(actor, Action.RUN_BATCH_JOBS)
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    with engine.connect() as conn:
        ds = dataset or data.build(conn, data_end=data_end)
    seconds["read"] = time.perf_counter() - began
    began = time.perf_counter()
    year, train_rows, test_rows = split(ds.of(target), target, ds.data_end)
    names = data.features_for(target)
    y_train, y_test = _y(train_rows, target), _y(test_rows, target)
    _check_enough("training", y_train, target, min_positives)
    _check_enough("test", y_test, target, max(2, min_positives // 5))
    x_train, x_test = _x(train_rows, names), _x(test_rows, names)
    validation = held_out(ds.of(target), target, year)
    c, regularisation, chosen = choose_regularisation(
        names, x_train, y_train, validation, target, min_calibration
    )
    chosen, calibration = _recalibrate(chosen, validation, target, x_test, y_test, min_calibration)
    p = chosen.probability(x_test)
    seconds["fit"] = time.perf_counter() - began
    compared = [{"family": CHOSEN, "features": "history + DASH", "auc": ml.auc(y_test, p),
                 "ece": ml.expected_calibration_error(y_test, p)}]  # fmt: skip
    if compare:
        if target is not Target.MISSING_REPEAT:
            hist = data.features_for(target, dash=False)
            h = ml.fit(CHOSEN, hist, KINDS, _x(train_rows, hist), y_train, c=c)
            ph = h.probability(_x(test_rows, hist))
            compared.append({"family": CHOSEN, "features": "history only",
                             "auc": ml.auc(y_test, ph),
                             "ece": ml.expected_calibration_error(y_test, ph)})  # fmt: skip
        g = ml.fit(ml.GRADIENT_BOOSTING, names, KINDS, x_train, y_train)
        pg = g.probability(x_test)
        compared.append({"family": ml.GRADIENT_BOOSTING, "features": "history + DASH",
                         "auc": ml.auc(y_test, pg),
                         "ece": ml.expected_calibration_error(y_test, pg)})  # fmt: skip
    seconds["compare"] = time.perf_counter() - began - seconds["fit"]
    with_form = np.array([not np.isnan(r.dash_count) for r in test_rows], dtype=bool)
    dash = np.array([r.dash_count for r in test_rows])
    officer = np.array([r.officer_grade for r in test_rows])
    instrument = np.array([r.instrument_grade for r in test_rows])
    if target is Target.MISSING_REPEAT:
        has = ~np.isnan(instrument)
        same = {"n": int(has.sum()), "model_auc": ml.auc(y_test[has], p[has]),
                "missing_risk_grade_auc": ml.auc(y_test[has], instrument[has])}  # fmt: skip
    else:
        m = with_form
        same = {"n": int(m.sum()), "model_auc": ml.auc(y_test[m], p[m]),
                "dash_count_auc": ml.auc(y_test[m], dash[m]),
                "officer_grade_auc": ml.auc(y_test[m], officer[m])}  # fmt: skip
    with engine.begin() as conn:
        version = stored.next_version(conn, target.value)
        card: dict[str, Any] = {
            "target": target.value,
            "version": version,
            "family": CHOSEN,
            "why_family": WHY,
            "format_version": store.FORMAT_VERSION,
            "data_end": ds.data_end.isoformat(),
            "test_year": year,
            "train_window": [
                min(r.occurred_at for r in train_rows).date().isoformat(),
                max(r.occurred_at for r in train_rows).date().isoformat(),
            ],
            "counts": {
                "train": len(train_rows),
                "train_positives": int(y_train.sum()),
                "test": len(test_rows),
                "test_positives": int(y_test.sum()),
            },  # fmt: skip
            "features": list(names),
            "regularisation": regularisation,
            "calibration": calibration,
            "test": {
                "auc": ml.auc(y_test, p),
                "ece": ml.expected_calibration_error(y_test, p),
                "ece_floor": dict(zip(("mean", "p95"), ml.ece_floor(p), strict=True)),
                "ece_ci95": list(ece_interval(y_test, p)),
                "observed": float(y_test.mean()),
                "predicted": float(p.mean()),
                "in_the_large": in_the_large(y_test, p),
                "same_incidents": same,
            },  # fmt: skip
            "compared": compared,
            "groups": cards.breakdown(test_rows, y_test, p),
            "fairness": _group_test(chosen, validation, test_rows, y_test, p, target, year),
            "created_by": recorded_as(actor),
            "seconds": {k: round(v, 2) for k, v in seconds.items()},
        }
        refused = cards.card_refusals(card)
        card["refusals"] = refused
        artifact = store.dump(target.value, chosen)
        checked = store.load(artifact, target=target.value, features=names)
        model_id = stored.add_model(
            conn,
            {
                "target": target.value,
                "version": version,
                "family": CHOSEN,
                "format_version": store.FORMAT_VERSION,
                "features": list(names),
                "created_at": datetime.now(UTC),
                "trained_by": recorded_as(actor),
                "data_end": ds.data_end,
                "artifact": artifact,
                "sha256": checked.sha256,
                "card": card,
                "card_markdown": card_text.markdown(card),
                "refusals": refused,
                "active": False,
            },
        )
    log.info("risk model trained", extra={"target": target.value, "version": version})
    return Trained(model_id, target, version, card, refused, seconds)


def choose_regularisation(
    names: tuple[str, ...],
    x_train: np.ndarray,
    y_train: np.ndarray,
    validation: Sequence[IndexRow],
    target: Target,
    need: int,
    *,
    kinds: Mapping[str, str] = KINDS,
) -> tuple[float, dict[str, Any], ml.Fitted]:
    """The inverse L2 strength ``C`` of the spline logistic regression, chosen on the
    validation year (later than every training row; the test year never chooses): the one of
    ``REGULARISATIONS`` whose fit on the training rows has the lowest log loss there, a tie
    (within 1e-4) to the stronger. With fewer than ``need`` validation rows of an outcome,
    ``C = 1``. A rare outcome needs it: serious harm has about 250 training positives for
    some 50 features and their splines, and at ``C = 1`` it over-fits. Returns the fit with
    the chosen ``C`` too (fitted once)."""
    y = _y(validation, target)
    if min(int(y.sum()), len(y) - int(y.sum())) < need:
        why = f"fewer than {need} validation rows of each outcome"
        return 1.0, {"c": 1.0, "why": why}, ml.fit(CHOSEN, names, kinds, x_train, y_train)
    x = _x(validation, names)
    losses: dict[str, float] = {}
    aucs: dict[str, float | None] = {}
    fits: dict[float, ml.Fitted] = {}
    for c in REGULARISATIONS:
        fits[c] = ml.fit(CHOSEN, names, kinds, x_train, y_train, c=c)
        losses[str(c)] = _log_loss(y, fits[c].log_odds(x))
        aucs[str(c)] = ml.auc(y, fits[c].probability(x))
    best = min(losses.values())
    chosen = min(float(c) for c, v in losses.items() if v <= best + 1e-4)
    info = {"c": chosen, "validation_log_loss": losses, "validation_auc": aucs,
            "why": "lowest log loss on the validation year"}  # fmt: skip
    return chosen, info, fits[chosen]


def _group_test(
    fitted: ml.Fitted,
    validation: Sequence[IndexRow],
    test_rows: Sequence[IndexRow],
    y_test: np.ndarray,
    p_test: np.ndarray,
    target: Target,
    year: int,
) -> dict[str, Any]:
    """The gate's group test on the validation year and the test year together: both are
    later than every training row, so both are out of time for the fitted model, and the
    calibration fitted on the validation year is a monotone map of the log-odds, which no AUC
    sees. Two years give the test about twice the people: one year of serious harm on the
    default force has 34 male victims with the outcome, too few to rank (``MIN_OUTCOMES``)."""
    rows = [*validation, *test_rows]
    y = np.r_[_y(validation, target), y_test].astype(int)
    p = np.r_[fitted.probability(_x(validation, fitted.features)), p_test]
    return cards.fairness(rows, y, p) | {"years": [year - 1, year]}


def _log_loss(y: np.ndarray, z: np.ndarray) -> float:
    """Mean log loss of outcomes ``y`` under log-odds ``z`` (numerically safe)."""
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def _intercept(z: np.ndarray, y: np.ndarray) -> float:
    """The shift b of the log-odds that makes the mean prediction the observed rate
    (calibration in the large: maximum likelihood of logit p = z + b, by Newton)."""
    b = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z + b)))
        grad, hess = float(np.sum(y - p)), float(np.sum(p * (1 - p)))
        if hess <= 0:
            break
        step = grad / hess
        b += step
        if abs(step) < 1e-10:
            break
    return b


def _fit_calibration(method: str, z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of ``method`` fitted on log-odds ``z`` and outcomes ``y``."""
    if method == "platt":
        return ml.platt(z, y)
    if method == "intercept":
        return 1.0, _intercept(z, y)
    return 1.0, 0.0


def choose_calibration(
    z: np.ndarray, y: np.ndarray, folds: int = CALIBRATION_FOLDS, seed: int = 0
) -> tuple[str, dict[str, float]]:
    """(method, mean out-of-fold log loss per method) on the validation year alone: each
    method is fitted on all folds but one and scored on that one; the lowest loss wins, a tie
    (within 1e-4) going to the simpler method. Seeded, so a card is reproducible."""
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(order, folds)
    losses: dict[str, float] = {}
    for method in CALIBRATIONS:
        got = []
        for k in range(folds):
            fit = np.concatenate([parts[j] for j in range(folds) if j != k])
            slope, intercept = _fit_calibration(method, z[fit], y[fit])
            got.append(_log_loss(y[parts[k]], slope * z[parts[k]] + intercept) * len(parts[k]))
        losses[method] = float(sum(got) / len(y))
    best = min(losses.values())
    return next(m for m in CALIBRATIONS if losses[m] <= best + 1e-4), losses


def _recalibrate(
    fitted: ml.Fitted,
    rows: Sequence[IndexRow],
    target: Target,
    x_test: np.ndarray,
    y_test: np.ndarray,
    need: int,
) -> tuple[ml.Fitted, dict[str, Any]]:
    """Recalibrate on the validation year with the method it chooses (:func:`choose_calibration`),
    if each outcome has ``need`` rows there; the card records the choice, the cross-validated
    losses and the validation ECE before and after, and the test ECE before it (the test rows
    never enter the choice or the fit)."""
    y = _y(rows, target)
    pos, neg = int(y.sum()), len(y) - int(y.sum())
    info: dict[str, Any] = {"rows": len(y), "positives": pos}
    if rows:
        info["window"] = [
            min(r.occurred_at for r in rows).date().isoformat(),
            max(r.occurred_at for r in rows).date().isoformat(),
        ]
    if min(pos, neg) < need:
        info |= {"method": "none", "why": f"fewer than {need} validation rows of each outcome"}
        return fitted, info
    z = fitted.log_odds(_x(rows, fitted.features))
    method, losses = choose_calibration(z, y)
    before_val = ml.expected_calibration_error(y, 1 / (1 + np.exp(-z)))
    info |= {"method": method, "cv_log_loss": losses, "folds": CALIBRATION_FOLDS,
             "validation_ece_before": before_val}  # fmt: skip
    if method == "none":
        info["why"] = "no method beat the model's own probabilities on the validation year"
        return fitted, info
    slope, intercept = _fit_calibration(method, z, y)
    before = ml.expected_calibration_error(y_test, fitted.probability(x_test))
    info |= {"slope": slope, "intercept": intercept, "test_ece_before": before,
             "validation_ece_after": ml.expected_calibration_error(
                 y, 1 / (1 + np.exp(-(slope * z + intercept))))}  # fmt: skip
    return fitted.recalibrated(slope, intercept), info


def in_the_large(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Calibration in the large: observed rate minus mean prediction, its standard error if
    the outcomes were drawn from the predictions, and the ratio (z). Unlike the binned ECE it
    has no upward bias on a small year, so it says plainly whether the level is off beyond
    the year's noise (|z| over 2) or the year is too small to tell."""
    if len(y) == 0:
        return {"difference": 0.0, "se": 0.0, "z": 0.0}
    diff = float(y.mean() - p.mean())
    se = float(np.sqrt(np.sum(p * (1.0 - p)))) / len(y)
    return {"difference": diff, "se": se, "z": diff / se if se > 0 else 0.0}


def ece_interval(
    y: np.ndarray, p: np.ndarray, draws: int = 200, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap interval of the ECE over resamples of the test rows: how much
    the figure moves with the year's sample (it sits above the true error by the noise the
    floor measures, so the gate judges it against the floor, not this interval)."""
    if len(y) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    got = []
    for _ in range(draws):
        i = rng.integers(0, len(y), len(y))
        got.append(ml.expected_calibration_error(y[i], p[i]))
    return float(np.percentile(got, 2.5)), float(np.percentile(got, 97.5))


def _row(conn: Connection, target: Target, version: int | None) -> Any:
    row = stored.model(conn, target.value, version)
    if row is None:
        what = f"version {version}" if version else "an active model"
        raise NotFound(f"risk model {target.value}: no {what}")
    return row


def card(engine: Engine, target: Target, version: int | None = None) -> dict[str, Any]:
    with engine.connect() as conn:
        row = _row(conn, target, version)
        return {"card": row["card"], "markdown": row["card_markdown"], "active": row["active"]}


def versions(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return stored.versions(conn)


def _checked(row: Any) -> store.StoredModel:
    target = Target(row["target"])
    return store.load(
        bytes(row["artifact"]),
        target=target.value,
        features=data.features_for(target),
        origin=f"risk model {target.value} v{row['version']}",
    )


def activate(engine: Engine, target: Target, version: int, *, actor: Principal) -> list[str]:
    """Make this version the active one, if it passes the gate and its stored file matches
    the code; otherwise raise and leave the active model as it was.

    Raises:
        Refused, PermissionDenied: ``actor`` may not run batch jobs (nothing is changed).
    """
    authorize(actor, Action.RUN_BATCH_JOBS)
    with engine.begin() as conn:
        row = _row(conn, target, version)
        if row["format_version"] != store.FORMAT_VERSION:
            raise store.ModelRefused(
                f"risk model {target.value} v{version}: model format version "
                f"{row['format_version']} is unknown (this code reads {store.FORMAT_VERSION})"
            )
        reasons = cards.card_refusals(row["card"])
        if reasons:
            raise ValidationFailed(
                f"risk model {target.value} v{version} may not be activated: " + "; ".join(reasons)
            )
        _checked(row)
        stored.make_active(conn, target.value, row["id"], recorded_as(actor), datetime.now(UTC))
    _LOADED.clear()
    return []


_LOADED: dict[str, store.StoredModel] = {}


def active_models(conn: Connection) -> list[tuple[int, Target, store.StoredModel]]:
    """The active model of each target, checked (a bad stored file raises ModelRefused).
    The stored file is read and checked once per content hash and process: a re-score reads
    only the active models' ids and hashes."""
    out = []
    for model_id, target, sha in stored.active_hashes(conn):
        m = _LOADED.get(sha)
        if m is None:
            m = _LOADED[sha] = _checked(stored.model_by_id(conn, model_id))
        out.append((model_id, Target(target), m))
    return out


def _score_rows(
    model_id: int, target: Target, model: store.StoredModel, rows: Sequence[IndexRow],
    now: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    if not rows:
        return []
    names = model.fitted.features
    x = _x(rows, names)
    p, _, contrib = model.fitted.explained(x)
    out = []
    for i, r in enumerate(rows):
        c = dict(zip(names, contrib[i].tolist(), strict=True))
        label = r.labels.get(target)
        out.append(
            {
                "model_id": model_id,
                "target": target.value,
                "subject_key": r.subject_key,
                "person_key": r.person_key,
                "other_key": r.other_key,
                "event_id": r.event_id,
                "episode_id": r.episode_id,
                "occurred_at": r.occurred_at,
                "probability": float(p[i]),
                "band": band(float(p[i]), target),
                "drivers": [
                    {
                        "feature": d.feature,
                        "words": d.words,
                        "contribution": d.contribution,
                        "records": list(d.records),
                    }
                    for d in drivers(r.features, c)
                ],
                "scored_at": now,
                "outcome": None if label is None else label.outcome,
                "dash_count": None if math.isnan(r.dash_count) else r.dash_count,
                "officer_grade": r.officer_grade_text,
                "area": r.area,
                "team": r.team,
            }  # fmt: skip
        )
    return out


def _kind(target: Target) -> str:
    return "missing" if target is Target.MISSING_REPEAT else "da"


def score_all(engine: Engine, *, dataset: data.Dataset | None = None) -> dict[str, int]:
    """Score every incident and episode with the active models (replacing earlier scores)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        models = active_models(conn)
        if not models:
            raise NotFound("no active risk model: train one and activate it first")
        ds = dataset or data.build(conn)
        counts = {}
        for model_id, target, m in models:
            scored = _score_rows(model_id, target, m, ds.of(target), now)
            stored.replace_scores(conn, model_id, scored)
            counts[target.value] = len(scored)
    return counts


def rescore_people(conn: Connection, keys: Iterable[str]) -> int:
    """Re-score everything that involves these people, in the caller's transaction (after
    ingest or assessment of the people touched). No active model: nothing to do."""
    models = active_models(conn)
    wanted = sorted(set(keys))
    if not models or not wanted:
        return 0
    rows = data.rows_of_people(conn, wanted)
    now = datetime.now(UTC)
    n = 0
    for model_id, target, m in models:
        mine = [r for r in rows if r.kind == _kind(target)]
        scored = _score_rows(model_id, target, m, mine, now)
        stored.replace_scores_of(conn, model_id, scored)
        n += len(scored)
    return n


def scores_of(conn: Connection, person_key: str) -> list[dict[str, Any]]:
    """The active models' scores of incidents and episodes of this person (as victim or
    child, or as the suspect), latest first."""
    return stored.scores_of(conn, person_key)


def _rank(score: dict[str, Any]) -> tuple[int, float]:
    return BAND_ORDER.get(score["band"], 0), float(score["probability"])


_PERSON_BANDS: dict[str, tuple[tuple[int, int], dict[int, str]]] = {}


def person_bands(conn: Connection) -> dict[int, str]:
    """Person id -> the highest band of their latest scores under the active model, for the
    triaged worklists' priority. Read again only when the active model or its scores change
    (scores are replaced by delete and insert, so the newest score id marks a change)."""
    version = stored.scores_version(conn)
    if version is None:
        return {}
    cache_key = conn.engine.url.render_as_string()
    hit = _PERSON_BANDS.get(cache_key)
    if hit is not None and hit[0] == version:
        return hit[1]
    out = {
        int(key[1:]): str(score["band"])
        for key, score in _highest_of_latest(stored.bands_of_model(conn, version[0])).items()
        if key.startswith("P") and key[1:].isdigit()
    }
    _PERSON_BANDS[cache_key] = (version, out)
    return out


def bands_of(conn: Connection, person_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Person key -> their latest score (as victim or child) of the highest band, for lists."""
    if not person_keys:
        return {}
    return _highest_of_latest(stored.bands_of_people(conn, person_keys))


def _highest_of_latest(rows: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Person key -> of each person's latest score per target (rows in time order), the one of
    the highest band."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for found in rows:
        latest[(found["person_key"], found["target"])] = dict(found)
    out: dict[str, dict[str, Any]] = {}
    for (key, _), score in latest.items():
        best = out.get(key)
        if best is None or _rank(score) > _rank(best):
            out[key] = score
    return out
