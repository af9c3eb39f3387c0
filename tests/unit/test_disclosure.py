"""Disclosure control: primary and secondary suppression, attacked with linear programming."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from safeguard.domain.disclosure import (
    DisclosurePolicy,
    ProtectedTable,
    Suppression,
    change,
    count_or_none,
    protect_breakdown,
    protect_series,
    protect_table,
    rate_is_publishable,
)


def attack(
    tables: list[ProtectedTable],
    extra: list[tuple[dict[tuple[int, int, int], int], int]] | None = None,
    lower: int = 0,
) -> dict[tuple[int, int, int], tuple[float, float]]:
    """What an attacker can learn: the range of each suppressed cell given everything published.

    Unknowns are the suppressed cells of every table (keyed table, row, col); each published line
    (row or column with its total) gives an equation; ``extra`` adds more equations between
    unknowns (e.g. a published change between periods). Bounds: counts are >= ``lower``.
    """
    unknowns: list[tuple[int, int, int]] = []
    for t_idx, t in enumerate(tables):
        unknowns += [(t_idx, i, j) for (i, j) in sorted(t.suppressed)]
    index = {u: k for k, u in enumerate(unknowns)}
    rows_a: list[list[float]] = []
    rows_b: list[float] = []
    for t_idx, t in enumerate(tables):
        pub = t.published()
        height, width = len(pub), len(pub[0])
        lines: list[list[tuple[int, int]]] = []
        if t.row_totals:
            lines += [[(i, j) for j in range(width)] for i in range(height)]
        if t.col_totals:
            lines += [[(i, j) for i in range(height)] for j in range(width)]
        for line in lines:
            coeffs = [0.0] * len(unknowns)
            rhs = 0.0
            for pos, (i, j) in enumerate(line):
                sign = -1.0 if pos == len(line) - 1 else 1.0
                if pub[i][j] is None:
                    coeffs[index[(t_idx, i, j)]] += sign
                else:
                    rhs -= sign * pub[i][j]
            if any(coeffs):
                rows_a.append(coeffs)
                rows_b.append(rhs)
    for terms, rhs_value in extra or []:
        coeffs = [0.0] * len(unknowns)
        for key, c in terms.items():
            coeffs[index[key]] += c
        rows_a.append(coeffs)
        rows_b.append(float(rhs_value))
    bounds = [(lower, None)] * len(unknowns)
    result: dict[tuple[int, int, int], tuple[float, float]] = {}
    a_eq = np.array(rows_a) if rows_a else None
    b_eq = np.array(rows_b) if rows_b else None
    for u, k in index.items():
        c = np.zeros(len(unknowns))
        c[k] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert lo.status == 0, "the true table is always feasible"
        upper = float("inf") if hi.status == 3 else -hi.fun
        result[u] = (lo.fun, upper)
    return result


def test_small_counts_are_suppressed_and_large_ones_published() -> None:
    t = protect_table([[10, 3], [12, 20]])
    assert t.suppressed[(0, 1)] is Suppression.PRIMARY
    assert t.value(1, 1) is None or t.value(1, 1) == 20
    assert t.grand_total() == 45


def test_a_lone_small_cell_in_a_row_gets_a_partner_so_the_row_total_does_not_reveal_it() -> None:
    t = protect_table([[10, 3, 40], [12, 20, 50], [30, 31, 32]])
    hidden_row0 = [j for j in range(3) if t.value(0, j) is None]
    assert len(hidden_row0) >= 2
    assert t.suppressed[(0, 0)] is Suppression.SECONDARY  # the smallest other cell of the row


def test_zero_is_published_unless_the_policy_says_otherwise() -> None:
    assert protect_breakdown([0, 10, 20]).suppressed == {}
    strict = protect_breakdown([0, 10, 20], DisclosurePolicy(suppress_zero=True))
    assert strict.suppressed[(0, 0)] is Suppression.PRIMARY


def test_a_table_with_no_small_counts_is_published_whole() -> None:
    t = protect_table([[10, 30], [12, 20]])
    assert t.suppressed == {}
    assert t.published() == [[10, 30, 40], [12, 20, 32], [22, 50, 72]]


def test_a_small_total_is_itself_suppressed() -> None:
    t = protect_breakdown([1, 2, 0])
    assert t.col_total(0) is None


def test_breakdown_with_one_small_category_hides_a_second_category() -> None:
    t = protect_breakdown([40, 2, 17, 30])
    assert t.value(1, 0) is None
    assert t.value(2, 0) is None  # 17 is the smallest other category
    assert t.col_total(0) == 89
    assert t.value(0, 0) == 40 and t.value(3, 0) == 30


def test_two_small_cells_summing_below_the_threshold_bring_in_a_third() -> None:
    # 1 + 2 = 3: an attacker who knows each is >= 1 would know both are small.
    t = protect_breakdown([1, 2, 50, 60])
    hidden = [i for i in range(4) if t.value(i, 0) is None]
    assert hidden == [0, 1, 2]


def test_the_threshold_is_configurable() -> None:
    assert protect_breakdown([7, 50, 60], DisclosurePolicy(threshold=10)).value(0, 0) is None
    assert protect_breakdown([7, 50, 60], DisclosurePolicy(threshold=5)).value(0, 0) == 7
    with pytest.raises(ValueError, match="at least 2"):
        DisclosurePolicy(threshold=1)


def test_negative_counts_and_ragged_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        protect_table([[1, -2]])
    with pytest.raises(ValueError, match="same number"):
        protect_table([[1, 2], [3]])


def test_rates_over_small_numbers_are_withheld() -> None:
    assert rate_is_publishable(3, 100) is False
    assert rate_is_publishable(0, 100) is True
    assert rate_is_publishable(50, 100) is True
    assert rate_is_publishable(4, 4) is False  # fewer than five cases
    assert count_or_none(4) is None and count_or_none(5) == 5 and count_or_none(0) == 0


def test_change_is_withheld_when_either_period_is() -> None:
    assert change(None, 10) is None and change(10, None) is None and change(12, 10) == 2


def test_the_same_figures_always_give_the_same_pattern() -> None:
    values = [[3, 8, 1], [9, 2, 40], [6, 7, 5]]
    assert protect_table(values).suppressed == protect_table(values).suppressed


def test_an_attacker_with_the_totals_cannot_recover_a_worked_example() -> None:
    t = protect_table([[10, 3, 40], [12, 1, 50], [2, 31, 32]])
    for (_, i, j), (lo, hi) in attack([t]).items():
        assert hi - lo >= 1, f"cell {(i, j)} recovered"


def _table_strategy() -> st.SearchStrategy[list[list[int]]]:
    cell = st.one_of(st.integers(0, 6), st.integers(0, 60))
    return st.integers(1, 5).flatmap(
        lambda r: st.integers(1, 5).flatmap(
            lambda c: st.lists(st.lists(cell, min_size=c, max_size=c), min_size=r, max_size=r)
        )
    )


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_table_strategy(), row_totals=st.booleans(), col_totals=st.booleans())
def test_an_attacker_using_every_total_cannot_recover_any_suppressed_cell(
    values: list[list[int]], row_totals: bool, col_totals: bool
) -> None:
    t = protect_table(values, row_totals=row_totals, col_totals=col_totals)
    # The attacker knows counts are whole numbers >= 0 and sees every published cell and total.
    for (_, i, j), (lo, hi) in attack([t]).items():
        assert hi - lo >= 1, f"suppressed cell {(i, j)} is pinned to {lo}"
        if t.suppressed[(i, j)] is Suppression.PRIMARY:
            # nor can they prove that a small cell is small
            assert hi >= 5, f"cell {(i, j)} shown to be below the threshold ({hi})"
    # A sharper attacker also knows zeros are always published, so hidden cells are >= 1.
    if all(t.grid[i][j] > 0 for i, j in t.suppressed):
        for (_, i, j), (lo, hi) in attack([t], lower=1).items():
            assert hi - lo >= 1, f"suppressed cell {(i, j)} is pinned to {lo}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    current=st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=2, max_size=6),
    data=st.data(),
)
def test_the_previous_period_and_the_change_do_not_recover_a_suppressed_cell(
    current: list[int], data: st.DataObject
) -> None:
    previous = data.draw(
        st.lists(
            st.one_of(st.integers(0, 6), st.integers(0, 60)),
            min_size=len(current),
            max_size=len(current),
        )
    )
    prev_t, cur_t = protect_series([previous, current])
    # The report publishes each period, its total and the change per category and in total.
    # Every published change is an equation linking the two periods; add them all.
    extra: list[tuple[dict[tuple[int, int, int], int], int]] = []
    rows = len(current) + 1  # the categories and the total
    for i in range(rows):
        delta = change(cur_t.value(i, 0), prev_t.value(i, 0))
        if delta is None:
            continue
        terms: dict[tuple[int, int, int], int] = {}
        if (i, 0) in cur_t.suppressed:
            terms[(1, i, 0)] = 1
        if (i, 0) in prev_t.suppressed:
            terms[(0, i, 0)] = -1
        if terms:  # never happens: a change is only published when both sides are
            extra.append((terms, delta))
    for (_, i, _j), (lo, hi) in attack([prev_t, cur_t], extra).items():
        assert hi - lo >= 1, f"category {i} recovered via the previous period"
    assert extra == []


def test_the_previous_period_looks_the_same_in_this_report_as_it_did_in_its_own() -> None:
    q1 = [20, 3, 15, 40]
    q2 = [22, 18, 2, 41]
    last_report = protect_series([[30, 30, 30, 30], q1])
    this_report = protect_series([q1, q2])
    assert last_report[1].suppressed == this_report[0].suppressed
    # so combining the two reports reveals nothing more about q1
    assert this_report[0].published() == last_report[1].published()
