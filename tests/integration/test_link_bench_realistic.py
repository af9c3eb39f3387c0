"""The realistic linking benchmark: metrics on hand-built truth, and a small run end to end."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from bench import link_realistic, link_truth

# Five people; mentions keyed as (system, source id). Person a and b are twins, c is their
# father, d his partner; e lives elsewhere.
TRUTH = link_truth.Truth(
    person={
        ("S", "1"): "a",
        ("S", "2"): "a",
        ("S", "3"): "a",
        ("S", "4"): "b",
        ("S", "5"): "b",
        ("S", "6"): "c",
        ("S", "7"): "d",
        ("S", "8"): "e",
    },
    variations={("S", "3"): ("typo",), ("S", "5"): ("nickname", "typo"), ("S", "8"): ("typo",)},
    relations=[
        ("a", "b", "twin"),
        ("c", "a", "parent_child"),
        ("c", "b", "parent_child"),
        ("c", "d", "partner"),
    ],  # fmt: skip
)


def test_a_perfect_clustering_scores_one_and_merges_no_relation() -> None:
    acc = link_truth.score(dict(TRUTH.person), TRUTH)
    assert (acc.precision, acc.recall, acc.f1) == (1.0, 1.0, 1.0)
    assert acc.merged["twin"] == (0, 1)
    assert acc.merged["parent_child"] == (0, 2)
    assert acc.false_pairs == {}
    assert acc.missed["typo"] == (0, 2)  # e has one mention: not counted


def test_twins_merged_and_a_typo_cut_off_are_counted_by_relation_and_variation() -> None:
    clusters = {
        ("S", "1"): 1,
        ("S", "2"): 1,
        ("S", "3"): 2,  # a's typo mention on its own
        ("S", "4"): 1,  # b merged into a
        ("S", "5"): 1,
        ("S", "6"): 3,
        ("S", "7"): 3,  # partners merged
        ("S", "8"): 4,
    }
    acc = link_truth.score(clusters, TRUTH)
    # true pairs: a 3, b 1 = 4; predicted: cluster 1 (4 mentions) 6 + cluster 3 1 = 7;
    # correct: a's two in cluster 1 (1) + b's two (1) = 2
    assert acc.precision == pytest.approx(2 / 7)
    assert acc.recall == pytest.approx(2 / 4)
    assert acc.merged["twin"] == (1, 1)
    assert acc.merged["partner"] == (1, 1)
    assert acc.merged["parent_child"] == (0, 2)
    assert acc.false_pairs == {"twin": 4, "partner": 1}
    assert acc.missed["typo"] == (1, 2)  # a's mention 3 is cut off, b's mention 5 is not
    assert acc.missed["nickname"] == (0, 1)
    assert acc.merge_rate("twin") == 1.0 and acc.merge_rate("sibling") is None


def test_the_report_states_every_target_as_met_or_not_met() -> None:
    run = link_realistic.Run("police 8", 8)
    acc = link_truth.score(dict(TRUTH.person), TRUTH).as_dict()
    run.safeguard = acc | {"link_s": 10.0, "link_peak_mb": 500, "saved_s": 4.0}
    run.generic = acc | {"link_s": 12.0, "link_peak_mb": 600}
    lines = link_realistic.report([run])
    targets = [line for line in lines if line.endswith(("MET |", "MEASURED |"))]
    assert len(targets) == 10
    assert any("generic F1" in t and t.endswith("NOT MET |") for t in targets)  # F1 1.0: too easy
    assert any("no slower" in t and t.endswith("| MET |") for t in targets)
    assert any("siblings" in t and t.endswith("| NOT MEASURED |") for t in targets)  # no pairs


@pytest.mark.slow
def test_the_harness_runs_end_to_end_on_a_few_thousand_mentions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run = link_realistic.evaluate("police", 2_000, 3, ("safeguard", "generic"))
    for result in (run.safeguard, run.generic):
        assert result["mentions"] > 1_500
        assert 0.5 < result["f1"] <= 1.0
        assert result["link_peak_mb"] > 50
        assert sum(n for _, n in result["merged"].values()) > 100
    assert run.safeguard["saved_s"] > 0
    assert run.safeguard["stored_mentions"] >= run.safeguard["mentions"]
    lines = link_realistic.report([run])
    assert any("police 2,000" in line and "safeguard" in line for line in lines)
