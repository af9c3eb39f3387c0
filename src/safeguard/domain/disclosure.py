"""Statistical disclosure control for aggregate tables: primary and secondary cell suppression.

A *table* is a grid of whole-number counts with (optionally) published row and column totals.
Cells holding a small count (``1 <= n < threshold``, default threshold 5) are suppressed
(*primary* suppression). Suppressing those alone is not enough: an attacker who sees the totals
can subtract. So further cells are suppressed (*secondary* suppression) until, for every
suppressed cell, the attacker cannot pin its value down:

1. every published line (a row or column whose total is published, the total included) holds
   either no suppressed cell or at least two, so no single subtraction recovers one;
2. in every line whose total is published, the suppressed cells add up to enough that none of
   them can be shown to be below the threshold from that line alone
   (``sum - (k - 1) >= threshold`` for ``k`` suppressed cells each known to be at least 1);
3. every suppressed cell lies on a *cycle* of suppressed cells (rows and columns as the nodes of
   a graph, suppressed cells as its edges). A suppressed cell that is a bridge of that graph is
   fixed exactly by the totals, however many cells share its lines, so a rectangle of cells is
   added through it.

Totals that are themselves small counts are suppressed like any other cell. Secondary cells are
chosen as the smallest non-zero published counts, preferring inner cells to totals, so that the
least information is lost; the choice is deterministic, so the same figures always give the same
pattern. Across periods, each period is protected as its own table (``protect_series``) so that a
period's pattern is the same in every report that shows it, and a change between periods is
withheld when either side is (``change``): the previous period cannot be used to recover a cell.

Tests attack the output with linear programming over the published figures and fail to recover
any suppressed cell (``tests/unit/test_disclosure.py``).

About 450 lines on purpose: one algorithm, whose rules and search only make sense together.

About 450 lines on purpose: primary suppression, secondary suppression and the check that
no suppressed cell can be recovered are one algorithm over one grid, with shared invariants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

DEFAULT_THRESHOLD = 5

Cell = tuple[int, int]


class Suppression(StrEnum):
    """Why a cell is not published."""

    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    """The local disclosure rules.

    Args:
        threshold: counts from 1 to ``threshold - 1`` are suppressed.
        suppress_zero: also treat a zero as a small count (off by default: a zero is published).
    """

    threshold: int = DEFAULT_THRESHOLD
    suppress_zero: bool = False

    def __post_init__(self) -> None:
        if self.threshold < 2:
            raise ValueError(f"disclosure threshold must be at least 2, got {self.threshold}")

    def is_small(self, value: int) -> bool:
        """Whether a count must be suppressed on its own (primary suppression)."""
        if value == 0:
            return self.suppress_zero
        return 0 < value < self.threshold


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """A table after disclosure control.

    ``grid`` includes the totals: with row totals published the last column holds them, with
    column totals the last row; with both, the bottom-right cell is the grand total.
    ``suppressed`` maps each withheld cell of the grid to the reason.
    """

    grid: tuple[tuple[int, ...], ...]
    n_rows: int
    n_cols: int
    row_totals: bool
    col_totals: bool
    suppressed: dict[Cell, Suppression]

    def value(self, row: int, col: int) -> int | None:
        """The published value of an inner cell, or None when suppressed."""
        return self._get(row, col)

    def row_total(self, row: int) -> int | None:
        if not self.row_totals:
            raise ValueError("this table publishes no row totals")
        return self._get(row, self.n_cols)

    def col_total(self, col: int) -> int | None:
        if not self.col_totals:
            raise ValueError("this table publishes no column totals")
        return self._get(self.n_rows, col)

    def grand_total(self) -> int | None:
        if not (self.row_totals and self.col_totals):
            raise ValueError("this table publishes no grand total")
        return self._get(self.n_rows, self.n_cols)

    def published(self) -> list[list[int | None]]:
        """The whole grid as published: None where suppressed."""
        return [
            [None if (i, j) in self.suppressed else v for j, v in enumerate(row)]
            for i, row in enumerate(self.grid)
        ]

    def _get(self, row: int, col: int) -> int | None:
        if (row, col) in self.suppressed:
            return None
        return self.grid[row][col]


def _grid(values: Sequence[Sequence[int]], row_totals: bool, col_totals: bool) -> list[list[int]]:
    rows = [list(r) for r in values]
    if rows and any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("every row of a table must have the same number of cells")
    for r in rows:
        for v in r:
            if v < 0:
                raise ValueError(f"a count cannot be negative: {v}")
    n_cols = len(rows[0]) if rows else 0
    if row_totals:
        for r in rows:
            r.append(sum(r))
    if col_totals:
        width = n_cols + (1 if row_totals else 0)
        rows.append([sum(r[j] for r in rows) for j in range(width)])
    return rows


class _Protector:
    def __init__(
        self,
        grid: list[list[int]],
        n_rows: int,
        n_cols: int,
        rt: bool,
        ct: bool,
        p: DisclosurePolicy,
    ) -> None:
        self.grid, self.n_rows, self.n_cols, self.rt, self.ct, self.p = (
            grid,
            n_rows,
            n_cols,
            rt,
            ct,
            p,
        )
        self.height = len(grid)
        self.width = len(grid[0]) if grid else 0
        self.sup: dict[Cell, Suppression] = {}

    # A line is a row (when row totals are published) or a column (when column totals are);
    # its cells sum to its last cell, so it is one equation an attacker can use.
    def lines(self) -> list[list[Cell]]:
        out: list[list[Cell]] = []
        if self.rt:
            out += [[(i, j) for j in range(self.width)] for i in range(self.height)]
        if self.ct:
            out += [[(i, j) for i in range(self.height)] for j in range(self.width)]
        return out

    def is_total(self, cell: Cell) -> bool:
        i, j = cell
        return (self.rt and j == self.n_cols) or (self.ct and i == self.n_rows)

    def cost(self, cell: Cell) -> tuple[int, int, int, int, int]:
        """Order candidates: non-zero before zero, inner before totals, small before large."""
        v = self.grid[cell[0]][cell[1]]
        return (1 if v == 0 else 0, 1 if self.is_total(cell) else 0, v, cell[0], cell[1])

    def run(self, forced: Iterable[Cell] = ()) -> dict[Cell, Suppression]:
        for cell in forced:
            self.sup[cell] = Suppression.SECONDARY
        for i in range(self.height):
            for j in range(self.width):
                if self.p.is_small(self.grid[i][j]):
                    self.sup[(i, j)] = Suppression.PRIMARY
        if not self.sup:
            return self.sup
        changed = True
        while changed:
            changed = self.fix_lines() or self.fix_bridges()
            # The heuristics above cover the usual cases; the audit is the guarantee. It solves
            # the attacker's linear programme for every hidden cell and widens the suppression
            # until no hidden cell is pinned and no small cell is provably small.
            if not changed:
                changed = self.fix_exposed()
        return self.sup

    def fix_exposed(self) -> bool:
        exposed = self.exposed()
        if not exposed:
            return False
        for cell in exposed:
            neighbours = [
                c for line in self.lines() if cell in line for c in line if c not in self.sup
            ]
            if neighbours:
                self.add(min(neighbours, key=self.cost))
                return True
        # Every line through the exposed cells is hidden already: hide what is left.
        rest = [
            (i, j) for i in range(self.height) for j in range(self.width) if (i, j) not in self.sup
        ]
        if not rest:
            return False
        self.add(min(rest, key=self.cost))
        return True

    def exposed(self) -> list[Cell]:
        """Hidden cells an attacker can pin to one value, or prove to be below the threshold,
        from the published cells and totals (counts are whole numbers >= 0; where every hidden
        cell is non-zero, an attacker who knows zeros are published also uses >= 1)."""
        hidden = sorted(self.sup)
        index = {c: k for k, c in enumerate(hidden)}
        rows_a: list[list[float]] = []
        rows_b: list[float] = []
        for line in self.lines():
            coeffs = [0.0] * len(hidden)
            rhs = 0.0
            for pos, (i, j) in enumerate(line):
                sign = -1.0 if pos == len(line) - 1 else 1.0
                if (i, j) in index:
                    coeffs[index[(i, j)]] += sign
                else:
                    rhs -= sign * self.grid[i][j]
            if any(coeffs):
                rows_a.append(coeffs)
                rows_b.append(rhs)
        if not rows_a:
            return []
        # Imported on first use: SciPy's optimiser costs about a second of CPU to import, and
        # every command (and every spawned worker, which imports the CLI) reaches this module.
        from scipy.optimize import linprog

        a_eq, b_eq = np.array(rows_a), np.array(rows_b)
        lowers = [0]
        if all(self.grid[i][j] > 0 for i, j in hidden):
            lowers.append(1)
        out: list[Cell] = []
        for lower in lowers:
            bounds = [(lower, None)] * len(hidden)
            for cell, k in index.items():
                c = np.zeros(len(hidden))
                c[k] = 1.0
                lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
                if lo.status != 0:
                    continue
                upper = float("inf") if hi.status == 3 else -hi.fun
                small = self.sup[cell] is Suppression.PRIMARY and upper < self.p.threshold
                if (upper - lo.fun < 1 - 1e-9 or small) and cell not in out:
                    out.append(cell)
        return out

    def add(self, cell: Cell) -> None:
        self.sup.setdefault(cell, Suppression.SECONDARY)

    def fix_lines(self) -> bool:
        for line in self.lines():
            hidden = [c for c in line if c in self.sup]
            if not hidden:
                continue
            open_ = [c for c in line if c not in self.sup]
            total = line[-1]
            too_few = len(hidden) == 1
            too_small = False
            if total not in self.sup:
                k = len(hidden)
                amount = sum(self.grid[i][j] for i, j in hidden)
                too_small = amount - (k - 1) < self.p.threshold
            if (too_few or too_small) and open_:
                self.add(min(open_, key=self.cost))
                return True
        return False

    def _node(self, cell: Cell) -> tuple[str, str]:
        # Graph nodes: each row line and each column line; a cell whose row (or column) is not a
        # published line hangs on the free node "*", which carries no equation.
        i, j = cell
        row = f"r{i}" if self.rt else "*"
        col = f"c{j}" if self.ct else "*"
        return row, col

    def bridges(self) -> list[Cell]:
        edges = sorted(self.sup)
        adj: dict[str, list[tuple[str, int]]] = {}
        for k, cell in enumerate(edges):
            a, b = self._node(cell)
            adj.setdefault(a, []).append((b, k))
            adj.setdefault(b, []).append((a, k))
        disc: dict[str, int] = {}
        low: dict[str, int] = {}
        found: list[Cell] = []
        counter = 0
        for root in sorted(adj):
            if root in disc:
                continue
            # Iterative Tarjan bridge finding (graphs here are small, but recursion is avoided).
            disc[root] = low[root] = counter
            counter += 1
            stack: list[tuple[str, int, int]] = [(root, -1, 0)]
            while stack:
                node, via, idx = stack.pop()
                if idx < len(adj[node]):
                    stack.append((node, via, idx + 1))
                    nxt, k = adj[node][idx]
                    if k == via:
                        continue
                    if nxt in disc:
                        low[node] = min(low[node], disc[nxt])
                    else:
                        disc[nxt] = low[nxt] = counter
                        counter += 1
                        stack.append((nxt, k, 0))
                elif via >= 0:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        found.append(edges[via])
        return found

    def fix_bridges(self) -> bool:
        bridges = self.bridges()
        if not bridges:
            return False
        i, j = bridges[0]
        best: tuple[tuple[int, int, int], list[Cell]] | None = None
        for i2 in range(self.height):
            for j2 in range(self.width):
                if i2 == i or j2 == j:
                    continue
                new = [c for c in ((i, j2), (i2, j), (i2, j2)) if c not in self.sup]
                costs = [self.cost(c) for c in new]
                key = (
                    sum(c[0] for c in costs),
                    sum(c[1] for c in costs),
                    sum(c[2] for c in costs),
                )
                if best is None or key < best[0]:
                    best = (key, new)
        if best is None or not best[1]:
            # A table one cell wide or high: nothing can form a cycle, so hide the whole line.
            line = (
                [(i, c) for c in range(self.width)]
                if self.width > 1
                else [(r, j) for r in range(self.height)]
            )
            new_cells = [c for c in line if c not in self.sup]
            if not new_cells:
                return False
            for c in new_cells:
                self.add(c)
            return True
        for c in best[1]:
            self.add(c)
        return True


def protect_table(
    values: Sequence[Sequence[int]],
    policy: DisclosurePolicy | None = None,
    *,
    row_totals: bool = True,
    col_totals: bool = True,
    forced: Iterable[Cell] = (),
) -> ProtectedTable:
    """Apply primary and secondary suppression to a table of counts.

    Args:
        values: inner cells, one sequence per row, counts >= 0.
        policy: threshold and zero handling; the default suppresses 1 to 4.
        row_totals: the table publishes a total for each row.
        col_totals: the table publishes a total for each column.
        forced: grid cells to withhold whatever their value, e.g. a total that another table
            sharing it withholds; secondary cells are added around them too.

    Returns:
        The table with its totals and the set of suppressed cells.

    Examples:
        >>> t = protect_table([[10, 3], [12, 20]])
        >>> t.value(0, 1) is None and t.value(0, 0) is None
        True
    """
    pol = policy or DisclosurePolicy()
    grid = _grid(values, row_totals, col_totals)
    n_rows = len(values)
    n_cols = len(values[0]) if values else 0
    sup = _Protector(grid, n_rows, n_cols, row_totals, col_totals, pol).run(forced)
    return ProtectedTable(
        grid=tuple(tuple(r) for r in grid),
        n_rows=n_rows,
        n_cols=n_cols,
        row_totals=row_totals,
        col_totals=col_totals,
        suppressed=dict(sup),
    )


def protect_breakdown(
    values: Sequence[int], policy: DisclosurePolicy | None = None
) -> ProtectedTable:
    """Protect a one-way breakdown (categories of one period) published with its total."""
    return protect_table([[v] for v in values], policy, row_totals=False, col_totals=True)


def protect_series(
    columns: Iterable[Sequence[int]], policy: DisclosurePolicy | None = None
) -> list[ProtectedTable]:
    """Protect each period's breakdown on its own, so a period looks the same in every report."""
    return [protect_breakdown(col, policy) for col in columns]


def count_or_none(value: int, policy: DisclosurePolicy | None = None) -> int | None:
    """A single published count (no totals around it): None when it is a small count."""
    pol = policy or DisclosurePolicy()
    return None if pol.is_small(value) else value


def rate_is_publishable(
    numerator: int, denominator: int, policy: DisclosurePolicy | None = None
) -> bool:
    """A rate is published when its numerator is not a small count and it is over enough cases.

    Publishing ``numerator / denominator`` beside the denominator reveals the numerator, so the
    numerator is held to the count rule, and a rate over fewer than ``threshold`` cases is never
    shown. (The complement, e.g. incidents *without* a DASH, counts failures of a procedure, not
    people, and is published.)
    """
    pol = policy or DisclosurePolicy()
    if denominator < pol.threshold:
        return False
    return not pol.is_small(numerator)


def change(current: int | None, previous: int | None) -> int | None:
    """Change since the previous period, withheld when either side is withheld."""
    if current is None or previous is None:
        return None
    return current - previous
