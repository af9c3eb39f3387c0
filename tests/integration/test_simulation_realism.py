"""The simulated force meets the published rates in docs/simulation.md, within tolerance.

One mid-sized force (60,000 people, five years) is generated once for the module; each test
checks one published figure against it, reading the interchange files and the truth files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from safeguard.simulation import SimulationConfig, simulate

pytestmark = pytest.mark.slow

POPULATION = 100_000


def _read(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / name, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("force")
    simulate(SimulationConfig(population=POPULATION, seed=11), out)
    return out


@pytest.fixture(scope="module")
def tables(force: Path) -> dict[str, pd.DataFrame]:
    inter = force / "interchange"
    names = ("event", "involvement", "missing_episode", "risk_assessment", "person_mention")
    out = {n: _read(inter, f"{n}.csv") for n in names}
    out["people"] = _read(force / "truth", "people.csv")
    out["mention_person"] = _read(force / "truth", "mention_person.csv")
    out["outcomes"] = _read(force / "truth", "outcomes.csv")
    out["missing_outcomes"] = _read(force / "truth", "missing_outcomes.csv")
    return out


def _child_episodes(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    me = t["missing_episode"].merge(
        t["mention_person"], left_on="mention_ref", right_on="source_id", suffixes=("", "_m")
    )
    people = t["people"][["person_key", "dob", "sex"]]
    me = me.merge(people, on="person_key")
    age = (
        pd.to_datetime(me["reported_missing_at"]).dt.tz_localize(None) - pd.to_datetime(me["dob"])
    ).dt.days / 365.25
    return me[age < 18]


def test_children_in_care_are_about_a_fifth_of_missing_children_and_a_third_of_incidents(
    tables: dict[str, pd.DataFrame],
) -> None:
    me = _child_episodes(tables)
    in_care = me["in_care"] == "true"
    children = me.groupby("person_key")["in_care"].first() == "true"
    assert 0.12 <= children.mean() <= 0.28, children.mean()
    # A county of 100,000 has about 120 children in care, some in homes of three to five, and
    # episodes are heavy-tailed, so the episodes' share varies with the draw: 0.25-0.43 over six
    # seeds at this size; 0.33 on the default 500,000-person force.
    assert 0.22 <= in_care.mean() <= 0.46, in_care.mean()


def test_about_nine_percent_of_missing_incidents_carry_an_exploitation_flag_mostly_girls(
    tables: dict[str, pd.DataFrame],
) -> None:
    me = _child_episodes(tables)
    flagged = me[me["exploitation_flag"] == "true"]
    share = len(flagged) / len(me)
    assert 0.06 <= share <= 0.13, share
    girls = (flagged["sex"] == "female").mean()
    assert 0.52 <= girls <= 0.85, girls


def test_about_63_percent_of_return_home_interviews_are_within_72_hours(
    tables: dict[str, pd.DataFrame],
) -> None:
    me = _child_episodes(tables)
    done = me.dropna(subset=["rhi_completed_at", "found_at"])
    hours = (
        pd.to_datetime(done["rhi_completed_at"]) - pd.to_datetime(done["found_at"])
    ).dt.total_seconds() / 3600
    share = (hours <= 72).mean()
    assert 0.55 <= share <= 0.71, share


def test_a_minority_of_missing_children_go_missing_repeatedly(
    tables: dict[str, pd.DataFrame],
) -> None:
    me = _child_episodes(tables)
    per_child = me.groupby("person_key").size()
    repeat = per_child >= 3
    assert 0.1 <= repeat.mean() <= 0.45, repeat.mean()
    assert per_child[repeat].sum() / per_child.sum() >= 0.4


def test_population_is_old_and_rural_like_cumbria(tables: dict[str, pd.DataFrame]) -> None:
    people = tables["people"]
    age = (pd.Timestamp("2021-01-01") - pd.to_datetime(people["dob"])).dt.days / 365.25
    assert 0.16 <= (age < 18).mean() <= 0.23
    assert 0.17 <= (age >= 65).mean() <= 0.28
    in_care = (people["in_care"] == "true").sum() / (age < 18).sum() * 10_000
    assert 40 <= in_care <= 110, in_care


def _da_features(t: dict[str, pd.DataFrame], since: str = "2023-01-01") -> pd.DataFrame:
    """Per domestic abuse incident with complete follow-up: DASH yes count and officer grade,
    and the pair's and suspect's history as the force's own records show it (via the true
    person behind each mention)."""
    ev = t["event"][["source_id", "event_type", "occurred_at"]].rename(
        columns={"source_id": "event_ref"}
    )
    inv = t["involvement"].merge(ev, on="event_ref")
    inv = inv.merge(
        t["mention_person"][["source_id", "person_key"]],
        left_on="mention_ref",
        right_on="source_id",
        suffixes=("", "_mp"),
    )
    inv["when"] = pd.to_datetime(inv["occurred_at"]).dt.tz_localize(None)
    outcomes = t["outcomes"][t["outcomes"]["followup_complete"] == "true"].copy()
    outcomes["when"] = pd.to_datetime(outcomes["occurred_at"]).dt.tz_localize(None)
    # History builds up from the first day of the period: measure where two years of it exist.
    outcomes = outcomes[outcomes["when"] >= pd.Timestamp(since)]
    da = inv[inv["event_type"] == "domestic_abuse"]
    pairs = da[da["role"] == "victim"].merge(
        da[da["role"] == "suspect"][["event_ref", "person_key"]],
        on="event_ref",
        suffixes=("_v", "_s"),
    )
    by_pair = {
        k: np.sort(g["when"].to_numpy()) for k, g in pairs.groupby(["person_key_v", "person_key_s"])
    }
    suspects = inv[(inv["role"] == "suspect") & (inv["event_type"] != "domestic_abuse")]
    by_suspect = {k: np.sort(g["when"].to_numpy()) for k, g in suspects.groupby("person_key")}
    rows = []
    empty = np.array([], dtype="datetime64[ns]")
    for o in outcomes.itertuples():
        when = o.when.to_datetime64()
        pair = by_pair.get((o.victim_person_key, o.suspect_person_key), empty)
        prior = pair[pair < when]
        s = by_suspect.get(o.suspect_person_key, empty)
        days_since = (when - prior[-1]) / np.timedelta64(1, "D") if len(prior) else 3650.0
        last_year = int((prior >= when - np.timedelta64(365, "D")).sum())
        rows.append(
            {
                "event_ref": o.event_source_id,
                "prior_incidents": np.log1p(last_year),
                "earlier_incidents": np.log1p(len(prior) - last_year),
                "log_days_since_last": np.log1p(days_since),
                "suspect_prior_crimes": np.log1p(int((s < when).sum())),
                "repeat": o.repeat_within_12m == "true",
                "serious": o.serious_harm_within_12m == "true",
            }
        )
    feats = pd.DataFrame(rows)
    ra = t["risk_assessment"]
    ra = ra[ra["instrument_id"] == "dash-police"]
    yes = ra["answers"].map(lambda a: sum(v == "yes" for v in json.loads(a).values()))
    grade = ra["officer_grade"].map({"standard": 0, "medium": 1, "high": 2})
    dash = pd.DataFrame({"event_ref": ra["event_ref"], "dash_yes": yes, "grade": grade})
    return feats.merge(dash, on="event_ref", how="left")


def _aucs(f: pd.DataFrame, target: str) -> tuple[float, float, float]:
    """DASH yes-count, officer grade and a cross-validated history model, for ``target``."""
    with_dash = f.dropna(subset=["dash_yes"])
    dash_auc = roc_auc_score(with_dash[target], with_dash["dash_yes"])
    grade_auc = roc_auc_score(with_dash[target], with_dash["grade"])
    columns = [
        "prior_incidents",
        "earlier_incidents",
        "log_days_since_last",
        "suspect_prior_crimes",
    ]
    x = f[columns].to_numpy()
    p = cross_val_predict(
        LogisticRegression(max_iter=1000), x, f[target], cv=5, method="predict_proba"
    )[:, 1]
    history_auc = roc_auc_score(f[target], p)
    print(f"{target}: AUC dash {dash_auc:.3f} grade {grade_auc:.3f} history {history_auc:.3f}")
    return dash_auc, grade_auc, history_auc


def test_dash_predicts_repeat_abuse_only_weakly_and_history_much_better(
    tables: dict[str, pd.DataFrame],
) -> None:
    f = _da_features(tables)
    dash_auc, grade_auc, history_auc = _aucs(f, "repeat")
    assert 0.52 <= dash_auc <= 0.64, dash_auc
    assert 0.5 <= grade_auc <= 0.62, grade_auc
    assert 0.70 <= history_auc <= 0.82, history_auc
    assert history_auc - dash_auc >= 0.1


def test_dash_predicts_serious_harm_weakly_and_history_better(
    tables: dict[str, pd.DataFrame],
) -> None:
    # Serious harm is rare: every year with complete follow-up, for enough outcomes.
    f = _da_features(tables, since="2021-01-01")
    assert f["serious"].sum() >= 60, "too few serious-harm outcomes to measure"
    dash_auc, grade_auc, history_auc = _aucs(f, "serious")
    assert 0.5 <= dash_auc <= 0.66, dash_auc
    assert 0.48 <= grade_auc <= 0.64, grade_auc
    assert history_auc > dash_auc


def _clustered_se(residual: np.ndarray, cluster: np.ndarray) -> float:
    """Standard error of a mean residual when outcomes of one pair (or child) are correlated:
    their 12-month windows overlap, so one incident can make several outcomes true."""
    sums = pd.Series(residual).groupby(cluster).sum().to_numpy()
    return float(np.sqrt((sums**2).sum()) / len(residual))


def test_outcomes_are_drawn_from_the_true_probabilities(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Each outcome is a draw from its probability: the observed rate matches the mean
    probability overall and in every decile of it, and the probabilities rank well."""
    cases = (
        ("outcomes", "relationship_key", "repeat_within_12m", "p_repeat_12m", (0.74, 0.86)),
        (
            "outcomes",
            "relationship_key",
            "serious_harm_within_12m",
            "p_serious_harm_12m",
            (0.72, 0.93),
        ),
        ("missing_outcomes", "person_key", "repeat_within_90d", "p_repeat_90d", (0.72, 0.92)),
    )
    for table, cluster, outcome, probability, (low, high) in cases:
        o = tables[table]
        o = o[o["followup_complete"] == "true"]
        y = (o[outcome] == "true").to_numpy(dtype=float)
        p = o[probability].astype(float).to_numpy()
        groups = o[cluster].to_numpy()
        se = _clustered_se(y - p, groups)
        assert abs(y.mean() - p.mean()) <= 4 * se, (outcome, y.mean(), p.mean(), se)
        deciles = pd.qcut(p, 10, labels=False, duplicates="drop")
        for d in np.unique(deciles):
            m = deciles == d
            se_d = _clustered_se(y[m] - p[m], groups[m])
            assert abs(y[m].mean() - p[m].mean()) <= 4 * se_d + 0.01, (outcome, d, se_d)
        auc = roc_auc_score(y, p)
        print(f"{outcome}: true-probability AUC {auc:.3f} on {len(y)}")
        assert low <= auc <= high, (outcome, auc)


def test_the_outcomes_can_be_read_off_the_records(tables: dict[str, pd.DataFrame]) -> None:
    """The truth's outcome is what the force's own records show for the true pair or child:
    another recorded incident, a recorded serious-harm incident, another recorded episode."""
    ev = tables["event"].set_index("source_id")
    inv = tables["involvement"].merge(
        tables["mention_person"], left_on="mention_ref", right_on="source_id"
    )
    da = inv[inv["event_ref"].map(ev["event_type"]) == "domestic_abuse"]
    victim = da[da["role"] == "victim"].set_index("event_ref")["person_key"]
    suspect = da[da["role"] == "suspect"].set_index("event_ref")["person_key"]
    when = pd.to_datetime(ev["occurred_at"])
    serious = ev["injury_level"].isin(["serious", "fatal"]) | ev["offence_code"].isin(
        ["19C", "19F"]
    )
    by_pair: dict[tuple[str, str], list[str]] = {}
    for event in victim.index:
        by_pair.setdefault((victim[event], suspect[event]), []).append(event)
    o = tables["outcomes"]
    o = o[o["followup_complete"] == "true"]
    checked = 0
    for row in o.itertuples():
        events = by_pair[(row.victim_person_key, row.suspect_person_key)]
        t = when[row.event_source_id]
        later = [e for e in events if t < when[e] <= t + pd.Timedelta(days=365)]
        # An incident in the last hours before the export may not be reported yet.
        if t + pd.Timedelta(days=366) < pd.Timestamp("2026-01-01", tz="UTC"):
            assert bool(later) == (row.repeat_within_12m == "true"), row.event_source_id
            assert any(serious[e] for e in later) == (row.serious_harm_within_12m == "true")
            checked += 1
    assert checked > 1000
    me = tables["missing_episode"].merge(
        tables["mention_person"], left_on="mention_ref", right_on="source_id"
    )
    me["when"] = pd.to_datetime(me["last_seen_at"]).dt.tz_localize(None)
    episodes = {k: np.sort(g["when"].to_numpy()) for k, g in me.groupby("person_key")}
    mo = tables["missing_outcomes"]
    mo = mo[mo["followup_complete"] == "true"]
    for row in mo.itertuples():
        times = episodes[row.person_key]
        t = pd.Timestamp(row.last_seen_at).tz_localize(None).to_datetime64()
        again = ((times > t) & (times <= t + np.timedelta64(90, "D"))).any()
        assert again == (row.repeat_within_90d == "true"), row.missing_episode_source_id
    assert len(mo) > 100


def test_about_63_percent_of_serious_harm_victims_were_known_to_police_before(
    tables: dict[str, pd.DataFrame],
) -> None:
    o = tables["outcomes"]
    ev = tables["event"].set_index("source_id")
    serious = ev.loc[o["event_source_id"], "injury_level"].isin(["serious", "fatal"]).to_numpy()
    o = o.assign(when=pd.to_datetime(o["occurred_at"]), serious=serious)
    first = o.groupby("victim_person_key")["when"].transform("min")
    known_before = (o["when"] > first)[o["serious"]]
    assert len(known_before) >= 40
    assert 0.50 <= known_before.mean() <= 0.76, known_before.mean()
