"""Publishing the board figures: small numbers withheld everywhere they could show through."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguard.domain.board_figures import MissingEpisode, RawReport, SplitRow, compute
from safeguard.domain.board_publish import PublishedReport, _protect_split_tables, publish
from safeguard.domain.disclosure import DisclosurePolicy
from tests.unit.board_data import PERIODS, Q1, K, at, facts
from tests.unit.test_disclosure import attack


@pytest.fixture(scope="module")
def report() -> PublishedReport:
    return publish(compute(facts(), PERIODS))


def test_counts_of_five_or_more_and_zeros_are_published(report: PublishedReport) -> None:
    f = report.figures["da.incidents"]
    assert [v.value for v in f.values] == [0.0, 6.0]
    assert f.trend.direction == "up"


def test_small_counts_are_withheld_and_say_why(report: PublishedReport) -> None:
    marac = report.figures["marac.referrals"].current
    assert marac.value is None and marac.reason == "small"
    grades = report.breakdowns["da.risk_grades"]
    assert [v[-1] for _, v in grades.rows] == [None, None, None]
    assert grades.totals[-1] is None


def test_rates_over_fewer_than_five_cases_are_withheld(report: PublishedReport) -> None:
    assert report.figures["da.repeat_victims"].current.value is None
    assert report.figures["da.dash_completion"].current.value is None  # 3 of 5: 3 is small


def test_a_rate_with_no_cases_is_shown_as_none_not_as_withheld(report: PublishedReport) -> None:
    prev = report.figures["da.dash_completion"].values[0]
    assert prev.value is None and prev.reason == "none"


def test_satisfaction_is_published_with_its_wilson_interval(report: PublishedReport) -> None:
    f = report.figures["victims.satisfaction"]
    assert f.current.value == pytest.approx(0.8)
    assert f.current.denominator == 10
    assert f.interval is not None
    assert (round(f.interval.low, 4), round(f.interval.high, 4)) == (0.4902, 0.9433)


def test_headline_counts_take_the_breakdowns_protected_values(report: PublishedReport) -> None:
    assert report.figures["mash.contacts"].current.value is None  # 4: small
    assert report.breakdowns["mash.rag"].totals[-1] is None
    assert report.figures["victims.idva_referrals"].current.value is None


def test_procedure_figures_without_the_rules_engine_are_not_measured() -> None:
    r = publish(compute(facts(with_procedures=False), PERIODS))
    assert r.figures["procedures.compliance"].current.reason == "no rules"
    assert r.rules_available is False


def test_a_high_risk_share_is_withheld_when_the_high_risk_count_is() -> None:
    data = facts()
    data.missing = [
        MissingEpisode(100 + i, K + 100 + i, at(2025, 2, 1 + i % 20), False, None, grade)
        for i, grade in enumerate(["high"] * 3 + ["medium"] * 20 + ["low"] * 20)
    ]
    r = publish(compute(data, PERIODS))
    grades = dict(r.breakdowns["missing.risk_grades"].rows)
    assert grades["high"][-1] is None
    assert r.figures["missing.high_risk_share"].current.value is None
    assert r.figures["missing.episodes"].current.value == 43.0


def test_the_threshold_can_be_raised() -> None:
    r = publish(compute(facts(), PERIODS), DisclosurePolicy(threshold=10))
    assert r.figures["da.incidents"].current.value is None
    assert r.threshold == 10


def test_the_current_headline_rate_is_the_tables_all_row(report: PublishedReport) -> None:
    table = report.tables["procedures.by_rule"]
    assert report.figures["procedures.compliance"].current.value == table.total.rate
    assert report.overdue_total is None  # one overdue: small


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    by_rule=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=4),
    data=st.data(),
)
def test_tables_over_the_same_cases_withhold_the_same_totals_and_resist_attack(
    by_rule: list[tuple[int, int]], data: st.DataObject
) -> None:
    # Re-split the same cases by team: same column totals, different rows.
    yes_total = sum(y for y, _ in by_rule)
    no_total = sum(n for _, n in by_rule)
    teams = data.draw(st.integers(1, 4))
    cuts_yes = sorted(
        data.draw(st.lists(st.integers(0, yes_total), min_size=teams - 1, max_size=teams - 1))
    )
    cuts_no = sorted(
        data.draw(st.lists(st.integers(0, no_total), min_size=teams - 1, max_size=teams - 1))
    )
    ys = [b - a for a, b in zip([0, *cuts_yes], [*cuts_yes, yes_total], strict=True)]
    ns = [b - a for a, b in zip([0, *cuts_no], [*cuts_no, no_total], strict=True)]
    raw = RawReport(
        periods=[Q1],
        figures={},
        breakdowns={},
        overdue_by_rule=[],
        satisfaction=(0, 0),
        rules_available=True,
        tables={
            "procedures.by_rule": [SplitRow(f"r{i}", y, n) for i, (y, n) in enumerate(by_rule)],
            "procedures.by_team": [
                SplitRow(f"t{i}", y, n) for i, (y, n) in enumerate(zip(ys, ns, strict=True))
            ],
        },
    )
    tables = _protect_split_tables(raw, DisclosurePolicy())
    a, b = tables["procedures.by_rule"], tables["procedures.by_team"]
    assert a is not None and b is not None
    total_a = {j for (i, j) in a.suppressed if i == a.n_rows}
    total_b = {j for (i, j) in b.suppressed if i == b.n_rows}
    assert total_a == total_b
    # The attacker sees both tables and knows their totals are the same numbers.
    extra = []
    for j in range(3):
        if (a.n_rows, j) in a.suppressed:
            extra.append(({(0, a.n_rows, j): 1, (1, b.n_rows, j): -1}, 0))
    for (_, i, j), (lo, hi) in attack([a, b], extra).items():
        assert hi - lo >= 1, f"cell {(i, j)} recovered"
