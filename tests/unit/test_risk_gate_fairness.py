"""The gate's group test: a real gap refuses (naming the group and its numbers), a gap that a
tiny group's noise or a group's case mix explains does not; groups are compared within their
own attribute; a person's rows are resampled together and people, not rows, are counted; the
bootstrap's AUCs are the AUCs."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from scipy.special import expit

from safeguard.adapters import ml
from safeguard.domain.risk.features import FeatureRow
from safeguard.domain.risk.gate import Measures, ece_refusal, refusals
from safeguard.services import risk_model
from safeguard.services import risk_model_card as cards
from safeguard.services import risk_model_card_text as card_text
from safeguard.services.risk_model_data import IndexRow

WHEN = datetime(2024, 3, 1, tzinfo=UTC)


def _rows(
    sexes: list[str], ethnicities: list[str] | None = None, people: list[int] | None = None
) -> list[IndexRow]:
    """One row per incident; ``people`` names each row's victim (by default, one each)."""
    eth = ethnicities or [""] * len(sexes)
    who = people if people is not None else list(range(len(sexes)))
    return [
        IndexRow(
            "da",
            f"s{i}",
            f"P{who[i]}",
            None,
            i,
            None,
            WHEN,
            FeatureRow({}, {}),
            {},
            area="North",
            sex=s,
            ethnicity=e or None,
            age=30.0,
        )  # fmt: skip
        for i, (s, e) in enumerate(zip(sexes, eth, strict=True))
    ]


def _gate(rows: list[IndexRow], y: np.ndarray, p: np.ndarray) -> tuple[list[str], dict]:  # type: ignore[type-arg]
    fair = cards.fairness(rows, y, p, draws=200)
    card = {"fairness": fair, "groups": {}, "test": {"ece": 0.01, "auc": 0.8,
            "same_incidents": {"model_auc": 0.8, "dash_count_auc": 0.56}}}  # fmt: skip
    return cards.card_refusals(card), fair


def _test_of(fair: dict, attribute: str, group: str) -> dict:  # type: ignore[type-arg]
    return next(t for t in fair["tests"] if t["attribute"] == attribute and t["group"] == group)


def test_weighted_aucs_are_the_auc_of_the_resample_and_the_expected_auc() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=400)
    y = (rng.uniform(size=400) < p).astype(int)
    s = np.round(p, 1)  # ties
    assert ml.weighted_aucs(s, y, np.ones((1, 400)))[0] == pytest.approx(ml.auc(y, s))
    w = rng.multinomial(400, np.full(400, 1 / 400), size=2)
    taken = np.repeat(np.arange(400), w[1])
    assert ml.weighted_aucs(s, y, w)[1] == pytest.approx(ml.auc(y[taken], s[taken]))
    # Outcomes redrawn from p 4,000 times; the AUC of each by the rank-sum formula (no ties).
    drawn = rng.uniform(size=(4000, 400)) < p
    ranks = np.argsort(np.argsort(p)) + 1
    n1 = drawn.sum(axis=1)
    aucs = ((drawn * ranks).sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * (400 - n1))
    assert ml.weighted_aucs(p, p, np.ones((1, 400)))[0] == pytest.approx(aucs.mean(), abs=0.002)
    assert np.isnan(ml.weighted_aucs(s, np.zeros(400), np.ones((1, 400)))[0])


def test_a_real_gap_refuses_with_the_group_and_its_numbers() -> None:
    rng = np.random.default_rng(1)
    n_f, n_m = 3000, 1000
    z = rng.normal(size=n_f + n_m)
    truth = expit(-0.7 + z)
    y = (rng.uniform(size=len(z)) < truth).astype(int)
    # For men the model's probabilities are as spread as the truth's but rank them poorly.
    z_model = z.copy()
    z_model[n_f:] = 0.4 * z[n_f:] + np.sqrt(1 - 0.16) * rng.normal(size=n_m)
    why, fair = _gate(_rows(["F"] * n_f + ["M"] * n_m), y, expit(-0.7 + z_model))
    men = _test_of(fair, "victim sex", "M")
    assert men["gap"] > 0.1 and abs(men["reference_gap"]) < 0.03 and men["lower"] > 0
    assert len(why) == 1
    assert why[0].startswith("victim sex=M is ranked worse than the rest of victim sex: AUC ")
    assert f"{men['auc']:.3f} against {men['rest_auc']:.3f}" in why[0]
    assert "1,000 rows" in why[0]


def test_a_real_gap_in_a_small_group_still_refuses() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    truth = expit(-0.7 + rng.normal(size=n))
    y = (rng.uniform(size=n) < truth).astype(int)
    eth = ["A1"] * 2800 + ["A9"] * 200
    p = truth.copy()
    p[2800:] = rng.permutation(truth[2800:])  # the model does not rank this group at all
    why, fair = _gate(_rows(["F"] * n, eth), y, p)
    a9 = _test_of(fair, "ethnicity", "A9")
    assert a9["positives"] >= 50 and a9["n"] - a9["positives"] >= 50
    assert any(w.startswith("ethnicity=A9 is ranked worse") for w in why)


def test_a_group_whose_risk_is_less_spread_is_not_refused_for_it() -> None:
    """The truth itself ranks such a group worse: the gap the model's own probabilities imply
    explains it, so it is the case mix, not the model."""
    rng = np.random.default_rng(4)
    n_f, n_m = 3000, 3000
    z = np.r_[rng.normal(size=n_f), 0.4 * rng.normal(size=n_m)]
    p = expit(-0.7 + z)  # the model is the truth
    y = (rng.uniform(size=len(z)) < p).astype(int)
    why, fair = _gate(_rows(["F"] * n_f + ["M"] * n_m), y, p)
    men = _test_of(fair, "victim sex", "M")
    assert men["gap"] > 0.08  # the raw rule (largest gap over 0.05) refused this model
    assert abs(men["excess"]) < 0.05 and why == []
    old = refusals(Measures(0.8, 0.56, 0.01, {"sex=F": men["rest_auc"], "sex=M": men["auc"]}))
    assert old and "AUC gap between groups" in old[0]


def test_noise_in_a_tiny_group_does_not_refuse_a_model_that_is_the_truth() -> None:
    raw_refusals = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        n, tiny = 2000, 170  # about 55 positives
        p = expit(-0.7 + rng.normal(size=n))
        y = (rng.uniform(size=n) < p).astype(int)
        eth = ["A1"] * (n - tiny) + ["A9"] * tiny
        why, fair = _gate(_rows(["F"] * n, eth), y, p)
        tested = [t for t in fair["tests"] if t["group"] == "A9"]
        if tested and abs(tested[0]["gap"]) > 0.05:
            raw_refusals += 1  # a raw gap over the limit, from noise alone
        assert why == [], f"seed {100 + seed}: {why}"
    assert raw_refusals >= 2  # the draws did include noise gaps the raw rule would refuse


def test_groups_with_too_few_outcomes_are_listed_not_tested() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    p = expit(-0.7 + rng.normal(size=n))
    y = (rng.uniform(size=n) < p).astype(int)
    eth = ["A1"] * 1940 + ["A9"] * 60
    why, fair = _gate(_rows(["F"] * 1000 + ["M"] * 1000, eth), y, p)
    assert {(u["attribute"], u["group"]) for u in fair["not_tested"]} >= {("ethnicity", "A9")}
    assert not any(t["group"] == "A9" for t in fair["tests"])
    assert {t["group"] for t in fair["tests"] if t["attribute"] == "victim sex"} == {"F", "M"}
    assert "Not tested" in "\n".join(card_text.fairness_lines(fair))


def test_a_card_written_before_the_group_test_keeps_the_raw_rule() -> None:
    card = {
        "groups": {"victim sex": [
            {"group": "F", "n": 900, "positives": 300, "auc": 0.80},
            {"group": "M", "n": 300, "positives": 100, "auc": 0.70},
        ]},
        "test": {"ece": 0.01, "auc": 0.8, "same_incidents": {"model_auc": 0.8,
                                                              "dash_count_auc": 0.56}},
    }  # fmt: skip
    assert "victim sex=M 0.700" in cards.card_refusals(card)[0]


def test_the_ece_floor_is_the_noise_of_outcomes_drawn_from_the_probabilities() -> None:
    # One bin at p = 0.3: the ECE is |mean of n Bernoulli(0.3) - 0.3|, of mean
    # sqrt(2 / pi) * sqrt(0.21 / n) (half-normal).
    for n in (1000, 10000):
        mean, p95 = ml.ece_floor(np.full(n, 0.3), draws=400)
        assert mean == pytest.approx(np.sqrt(2 / np.pi) * np.sqrt(0.21 / n), rel=0.15)
        assert p95 > mean
    assert ml.ece_floor(np.array([])) == (0.0, 0.0)


def test_the_gate_judges_the_ece_against_the_noise_of_a_calibrated_model() -> None:
    # Missing episodes on the default force: ECE 0.039 where a calibrated model scores 0.031
    # on average (95th percentile 0.046) from the outcomes' noise: not refused.
    assert ece_refusal(0.039, (0.031, 0.046), 0.03) is None
    assert refusals(Measures(0.8, 0.56, 0.039, ece_floor=(0.031, 0.046))) == []
    # Over the limit and beyond what noise gives 95 times in 100: refused, saying so.
    why = ece_refusal(0.05, (0.031, 0.046), 0.03)
    assert why is not None and "0.050 is over 0.030 and over 0.046" in why
    # A large error in a small year is refused even within its wide noise.
    why = ece_refusal(0.12, (0.06, 0.13), 0.03)
    assert why is not None and "0.060 beyond" in why
    # Within the limit: never refused; a card without a floor is gated on the raw ECE.
    assert ece_refusal(0.02, (0.0, 0.0), 0.03) is None
    assert ece_refusal(0.039, None, 0.03) == "miscalibrated: ECE 0.039 is over 0.030"


def test_the_calibration_method_is_chosen_on_the_validation_year_by_cross_validation() -> None:
    rng = np.random.default_rng(3)
    z_true = rng.normal(-0.5, 1.2, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-z_true))).astype(int)
    # Calibrated log-odds: nothing beats them (a tie goes to the simpler).
    method, losses = risk_model.choose_calibration(z_true, y)
    assert method in ("none", "intercept") and losses[method] <= min(losses.values()) + 1e-4
    # Over-confident log-odds (twice the truth's): Platt's slope is needed.
    method, _ = risk_model.choose_calibration(2 * z_true, y)
    assert method == "platt"
    # Shifted log-odds: a shift (or Platt) repairs it; "none" loses.
    method, losses = risk_model.choose_calibration(z_true + 1.0, y)
    assert method != "none" and losses["none"] > losses[method]
    assert risk_model._fit_calibration("intercept", z_true + 1.0, y)[1] == pytest.approx(
        -1, abs=0.15
    )


def test_calibration_in_the_large_tells_a_shifted_level_from_a_small_years_noise() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.1, 0.9, 1000)
    y = (rng.random(1000) < p).astype(float)
    calibrated = risk_model.in_the_large(y, p)
    assert calibrated["se"] == pytest.approx(np.sqrt(np.sum(p * (1 - p))) / 1000)
    assert calibrated["difference"] == pytest.approx(y.mean() - p.mean())
    assert abs(calibrated["z"]) < 2  # the truth itself: within the noise
    low = risk_model.in_the_large(y, p - 0.05)  # every prediction 0.05 too low
    assert low["difference"] == pytest.approx(calibrated["difference"] + 0.05)
    assert low["z"] > 2
    line = card_text.in_the_large(low)
    assert "beyond the year's noise" in line and f"{low['difference']:+.3f}" in line
    assert risk_model.in_the_large(np.array([]), np.array([]))["z"] == 0.0


def _clustered(
    seed: int, *, gap: bool = False, n_people: int = 3000, minority: int = 400
) -> tuple[list[int], list[str], np.ndarray, np.ndarray]:
    """Victims with several incidents each, whose rows share one score and one outcome (one
    history, one future), people with the outcome having more of them; the first
    ``minority`` people are the group "A9". With ``gap`` the model ranks that group poorly."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n_people)
    y_person = (rng.uniform(size=n_people) < expit(-1.5 + 1.2 * z)).astype(int)
    k = rng.geometric(0.3, size=n_people) * (1 + y_person)
    person = np.repeat(np.arange(n_people), k)
    z_model = z.copy()
    if gap:
        z_model[:minority] = 0.3 * z[:minority] + np.sqrt(1 - 0.09) * rng.normal(size=minority)
    eth = np.where(person < minority, "A9", "W1").tolist()
    return person.tolist(), eth, y_person[person], expit(-1.5 + 1.2 * z_model)[person]


def test_a_persons_rows_are_resampled_together_so_a_model_that_is_the_truth_passes() -> None:
    """Resampling rows as if each were an independent outcome narrows the interval: on the
    same draws it refuses the truth itself (as it did the simulator's true probability of
    serious harm on the default force); resampling people does not."""
    by_rows = 0
    for seed in range(20):
        people, eth, y, p = _clustered(seed)
        why, fair = _gate(_rows(["F"] * len(y), eth, people), y, p)
        assert why == [], f"seed {seed}: {why}"
        a9 = _test_of(fair, "ethnicity", "A9")
        assert a9["people_positive"] >= 50 and a9["people"] == 400
        assert a9["positives"] > a9["people_positive"]  # several rows each
        rows_why, _ = _gate(_rows(["F"] * len(y), eth), y, p)
        by_rows += bool(rows_why)
    assert by_rows >= 1


def test_a_real_gap_among_people_with_several_incidents_still_refuses() -> None:
    people, eth, y, p = _clustered(1, gap=True)
    why, fair = _gate(_rows(["F"] * len(y), eth, people), y, p)
    a9 = _test_of(fair, "ethnicity", "A9")
    assert a9["excess"] > 0.1 and a9["lower"] > 0
    assert any(w.startswith("ethnicity=A9 is ranked worse") for w in why)


def test_a_group_is_judged_on_its_people_not_its_rows() -> None:
    """As on the default force's serious-harm year: the minority's positive rows are many,
    but a few victims' (three of them with 15 each); too few people to rank, so not tested,
    and the card says how many people there were."""
    rng = np.random.default_rng(6)
    n = 4000
    p = expit(-2.5 + rng.normal(size=n))
    y = (rng.uniform(size=n) < p).astype(int)
    people = list(range(n))
    eth = ["W1"] * n
    # The minority: 400 people with one incident and no outcome, then 19 victims with the
    # outcome, three of them with 15 incidents in the year and 16 with one.
    for v, incidents in enumerate([15, 15, 15] + [1] * 16):
        for _ in range(incidents):
            people.append(n + v)
            eth.append("A9")
    people += list(range(n + 19, n + 19 + 400))
    eth += ["A9"] * 400
    extra = len(people) - n
    y = np.r_[y, np.ones(61), np.zeros(400)].astype(int)
    p = np.r_[p, np.full(61, 0.3), np.full(400, 0.05)][: n + extra]
    why, fair = _gate(_rows(["F"] * len(y), eth, people), y, p)
    assert not any(t["group"] == "A9" for t in fair["tests"])
    a9 = next(u for u in fair["not_tested"] if u["group"] == "A9")
    assert a9["positives"] == 61 and a9["people_positive"] == 19
    assert "19 people" in "\n".join(card_text.fairness_lines(fair))
    # Counted in rows (each row its own person) the same group was tested.
    _, by_rows = _gate(_rows(["F"] * len(y), eth), y, p)
    assert any(t["group"] == "A9" for t in by_rows["tests"])


def test_a_card_with_no_group_tested_says_fairness_is_unmeasured() -> None:
    rng = np.random.default_rng(7)
    p = expit(-3 + rng.normal(size=600))
    y = (rng.uniform(size=600) < p).astype(int)
    _, fair = _gate(_rows(["F"] * 300 + ["M"] * 300), y, p)
    assert fair["tests"] == [] and fair["not_tested"]
    assert "No group could be tested" in "\n".join(card_text.fairness_lines(fair))
    # A passing gate says what it could not judge.
    assert card_text._untested(fair) == (
        " where tested (not tested, too few people with an outcome: victim sex)"
    )


def test_the_l2_strength_is_chosen_on_the_validation_year() -> None:
    """A rare outcome with many noise features over-fits at C = 1: the validation year's log
    loss picks a stronger penalty; a common outcome with few features keeps C = 1's fit or
    close to it; too few validation outcomes keep C = 1."""
    from safeguard.domain.risk.targets import Label, Target

    target = Target.DA_SERIOUS_HARM
    names = tuple(f"f{j}" for j in range(40))
    kinds = dict.fromkeys(names, "number")

    def rows_of(x: np.ndarray, y: np.ndarray) -> list[IndexRow]:
        return [
            IndexRow("da", f"s{i}", f"P{i}", None, i, None, WHEN,
                     FeatureRow(dict(zip(names, map(float, xi), strict=True)), {}),
                     {target: Label(bool(yi))})
            for i, (xi, yi) in enumerate(zip(x, y, strict=True))
        ]  # fmt: skip

    rng = np.random.default_rng(8)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n, 40))
        return x, (rng.uniform(size=n) < expit(-3.5 + 0.8 * x[:, 0])).astype(int)

    x_train, y_train = draw(3000)  # about 120 positives for 40 features and their splines
    x_val, y_val = draw(3000)
    c, info, fitted = risk_model.choose_regularisation(
        names, x_train, y_train, rows_of(x_val, y_val), target, 50, kinds=kinds
    )
    assert c < 1.0 and info["c"] == c
    refit = ml.fit(ml.SPLINE_LOGISTIC, names, kinds, x_train, y_train, c=c)
    assert np.allclose(fitted.probability(x_val), refit.probability(x_val))
    losses = info["validation_log_loss"]
    assert losses[str(c)] <= min(losses.values()) + 1e-4 < losses["1.0"]
    few = rows_of(x_val[:400], y_val[:400])  # under 50 positives
    assert (
        risk_model.choose_regularisation(names, x_train, y_train, few, target, 50, kinds=kinds)[0]
        == 1.0
    )
