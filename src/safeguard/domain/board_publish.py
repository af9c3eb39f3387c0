"""Turn raw board figures into what may be published: disclosure control, trends, intervals.

Nothing reaches a template, a chart or a web page except through :func:`publish`. Each
breakdown is protected period by period (:func:`~safeguard.domain.disclosure.protect_series`);
a headline count that is also a breakdown's total or cell takes that protected value, and a rate
whose numerator or denominator is made of breakdown cells is withheld when any of them is, so no
figure can undo another's suppression.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.domain.board import (
    BREAKDOWNS,
    FIGURES,
    SECTIONS,
    BreakdownDefinition,
    FigureDefinition,
    Interval,
    Period,
    Trend,
    trend,
    wilson_interval,
)
from safeguard.domain.board_figures import RawReport, SplitRow
from safeguard.domain.board_validity import PredictiveValidity
from safeguard.domain.disclosure import (
    DisclosurePolicy,
    ProtectedTable,
    count_or_none,
    protect_series,
    protect_table,
    rate_is_publishable,
)

# Headline counts that are a breakdown's total (None) or one of its categories.
COUNT_FROM_BREAKDOWN: dict[str, tuple[str, str | None]] = {
    "marac.referrals": ("marac.routes", None),
    "missing.episodes": ("missing.risk_grades", None),
    "exploitation.concerns": ("exploitation.kinds", None),
    "hate.incidents": ("hate.strands", None),
    "mash.contacts": ("mash.rag", None),
    "victims.idva_referrals": ("victims.support", "idva"),
    "victims.sarc_referrals": ("victims.support", "sarc"),
}
# Headline rates whose current value is the "All" row of a table.
RATE_FROM_TABLE: dict[str, str] = {
    "procedures.compliance": "procedures.by_rule",
    "judgement.differs_from_computed": "judgement.differs_by_team",
    "judgement.changed_on_review": "judgement.review_by_team",
}
# Rates built from a breakdown's cells: withheld when any of those cells is.
RATE_FROM_BREAKDOWN: dict[str, tuple[str, tuple[str, ...]]] = {
    "missing.high_risk_share": ("missing.risk_grades", ("high", "not_graded")),
    "mash.decided_in_time": ("mash.rag", ("blue", "not_rated")),
}

Reason = str  # why a value is not shown: "small" (disclosure), "none" (no cases), "no rules"


@dataclass(frozen=True, slots=True)
class Shown:
    """One published value: ``value`` is None when withheld, with ``reason``."""

    value: float | None
    reason: Reason | None = None
    denominator: int | None = None

    @property
    def withheld(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    definition: FigureDefinition
    values: tuple[Shown, ...]  # one per period, oldest first
    trend: Trend
    interval: Interval | None = None

    @property
    def current(self) -> Shown:
        return self.values[-1]

    @property
    def previous(self) -> Shown | None:
        return self.values[-2] if len(self.values) > 1 else None


@dataclass(frozen=True, slots=True)
class PublishedBreakdown:
    definition: BreakdownDefinition
    rows: tuple[tuple[str, tuple[int | None, ...]], ...]  # category, value per period
    totals: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class RateRow:
    label: str
    hits: int | None
    total: int | None
    rate: float | None


@dataclass(frozen=True, slots=True)
class PublishedRateTable:
    id: str
    title: str
    measure: str
    rows: tuple[RateRow, ...]
    total: RateRow


@dataclass(frozen=True, slots=True)
class PublishedReport:
    """The report as it may be shown: every small number already withheld."""

    periods: tuple[Period, ...]
    figures: dict[str, PublishedFigure]
    breakdowns: dict[str, PublishedBreakdown]
    tables: dict[str, PublishedRateTable]
    overdue_by_rule: tuple[tuple[str, int | None], ...]
    overdue_total: int | None
    rules_available: bool
    threshold: int
    linked_share: float | None = None
    validity: PredictiveValidity | None = None  # the risk grading's predictive validity

    @property
    def current(self) -> Period:
        return self.periods[-1]

    def section_figures(self, section: str) -> list[PublishedFigure]:
        return [f for f in self.figures.values() if f.definition.section == section]

    def section_breakdowns(self, section: str) -> list[PublishedBreakdown]:
        return [b for b in self.breakdowns.values() if b.definition.section == section]


TABLE_TITLES: dict[str, tuple[str, str]] = {
    "procedures.by_rule": ("Procedures due in the period, by rule", "done on time"),
    "procedures.by_team": ("Procedures due in the period, by area and team", "done on time"),
    "judgement.differs_by_team": (
        "Officer grade against computed grade, by team",
        "differs from computed",
    ),
    "judgement.review_by_team": ("Grades changed on review, by team", "changed on review"),
}


def _protect_breakdowns(
    raw: RawReport, policy: DisclosurePolicy
) -> tuple[dict[str, PublishedBreakdown], dict[str, list[ProtectedTable]]]:
    out: dict[str, PublishedBreakdown] = {}
    protected: dict[str, list[ProtectedTable]] = {}
    for b in BREAKDOWNS:
        tables = protect_series(raw.breakdowns[b.id], policy)
        protected[b.id] = tables
        rows = tuple(
            (cat, tuple(t.value(i, 0) for t in tables)) for i, cat in enumerate(b.categories)
        )
        out[b.id] = PublishedBreakdown(b, rows, tuple(t.col_total(0) for t in tables))
    return out, protected


def _shown_count(value: int | None, policy: DisclosurePolicy) -> Shown:
    if value is None:
        return Shown(None, "small")
    v = count_or_none(value, policy)
    return Shown(None, "small") if v is None else Shown(float(v))


def _figure_values(
    f: FigureDefinition,
    raw: RawReport,
    protected: dict[str, list[ProtectedTable]],
    policy: DisclosurePolicy,
) -> list[Shown]:
    shown: list[Shown] = []
    for k, v in enumerate(raw.figures[f.id]):
        if f.section == "procedures" and not raw.rules_available:
            shown.append(Shown(None, "no rules"))
        elif f.id in COUNT_FROM_BREAKDOWN:
            bid, cat = COUNT_FROM_BREAKDOWN[f.id]
            table = protected[bid][k]
            if cat is None:
                shown.append(_shown_count(table.col_total(0), policy))
            else:
                idx = next(d for d in BREAKDOWNS if d.id == bid).categories.index(cat)
                shown.append(_shown_count(table.value(idx, 0), policy))
        elif f.unit == "count":
            shown.append(_shown_count(v.count or 0, policy))
        elif f.unit == "rate":
            num, den = v.numerator or 0, v.denominator or 0
            linked_hidden = False
            if f.id in RATE_FROM_BREAKDOWN:
                bid, cats = RATE_FROM_BREAKDOWN[f.id]
                table = protected[bid][k]
                names = next(d for d in BREAKDOWNS if d.id == bid).categories
                linked_hidden = any(table.value(names.index(c), 0) is None for c in cats)
            if den == 0:
                shown.append(Shown(None, "none"))
            elif linked_hidden or not rate_is_publishable(num, den, policy):
                shown.append(Shown(None, "small", None))
            else:
                shown.append(Shown(num / den, None, den))
        else:  # a median over cases
            n = v.count or 0
            if n == 0 or v.measure is None:
                shown.append(Shown(None, "none"))
            elif n < policy.threshold:
                shown.append(Shown(None, "small"))
            else:
                shown.append(Shown(v.measure, None, n))
    return shown


def _rate_table(
    tid: str, t: ProtectedTable | None, rows: list[SplitRow], policy: DisclosurePolicy
) -> PublishedRateTable:
    title, measure = TABLE_TITLES[tid]
    if t is None or not rows:
        return PublishedRateTable(tid, title, measure, (), RateRow("All", 0, 0, None))

    def rate(hits: int | None, total: int | None) -> float | None:
        if hits is None or not total or not rate_is_publishable(hits, total, policy):
            return None
        return hits / total

    published = tuple(
        RateRow(r.label, t.value(i, 0), t.row_total(i), rate(t.value(i, 0), t.row_total(i)))
        for i, r in enumerate(rows)
    )
    hits, total = t.col_total(0), t.grand_total()
    return PublishedRateTable(
        tid, title, measure, published, RateRow("All", hits, total, rate(hits, total))
    )


def _protect_split_tables(
    raw: RawReport, policy: DisclosurePolicy
) -> dict[str, ProtectedTable | None]:
    """Protect each rate table; tables over the same cases (by rule, by team) share totals.

    Two tables with the same total row must withhold the same totals, or one would reveal what
    the other hides: the union of their withheld totals is forced on both until they agree.
    """
    out: dict[str, ProtectedTable | None] = {}
    groups = [("procedures.by_rule", "procedures.by_team")]
    grouped = {tid for g in groups for tid in g}
    for tid, rows in raw.tables.items():
        if tid not in grouped:
            out[tid] = protect_table([[r.yes, r.no] for r in rows], policy) if rows else None
    for group in groups:
        present = [tid for tid in group if raw.tables.get(tid)]
        forced: set[int] = set()
        while True:
            tables = {
                tid: protect_table(
                    [[r.yes, r.no] for r in raw.tables[tid]],
                    policy,
                    forced=[(len(raw.tables[tid]), j) for j in forced],
                )
                for tid in present
            }
            hidden = {
                j
                for tid, t in tables.items()
                for j in range(3)
                if (len(raw.tables[tid]), j) in t.suppressed
            }
            if hidden == forced:
                break
            forced = hidden
        out.update(tables)
    return out


def publish(raw: RawReport, policy: DisclosurePolicy | None = None) -> PublishedReport:
    """Apply disclosure control and compare each figure with the previous period.

    Args:
        raw: figures from :func:`safeguard.domain.board_figures.compute`.
        policy: the disclosure threshold (default: counts 1-4 withheld).

    Returns:
        The publishable report.
    """
    pol = policy or DisclosurePolicy()
    breakdowns, protected = _protect_breakdowns(raw, pol)
    figures: dict[str, PublishedFigure] = {}
    for definition in FIGURES:
        shown = _figure_values(definition, raw, protected, pol)
        prev = shown[-2].value if len(shown) > 1 else None
        tr = trend(shown[-1].value, prev, definition.better, definition.unit)
        interval = None
        if definition.id == "victims.satisfaction" and shown[-1].value is not None:
            hits, n = raw.satisfaction
            interval = wilson_interval(hits, n)
        figures[definition.id] = PublishedFigure(definition, tuple(shown), tr, interval)
    protected_tables = _protect_split_tables(raw, pol)
    tables = {
        tid: _rate_table(tid, protected_tables.get(tid), rows, pol)
        for tid, rows in raw.tables.items()
    }
    # The current period's headline rates are the tables' "All" rows, so they cannot differ.
    for fid, tid in RATE_FROM_TABLE.items():
        if tid in tables and raw.tables[tid]:
            all_row = tables[tid].total
            last = figures[fid].values[-1]
            if all_row.rate is None and last.value is not None:
                values = figures[fid].values[:-1] + (Shown(None, "small"),)
                prev = values[-2].value if len(values) > 1 else None
                figures[fid] = PublishedFigure(
                    figures[fid].definition,
                    values,
                    trend(None, prev, figures[fid].definition.better, "rate"),
                )
    overdue = protect_table([[n] for _, n in raw.overdue_by_rule], pol, row_totals=False)
    overdue_rows = tuple(
        (rule, overdue.value(i, 0)) for i, (rule, _) in enumerate(raw.overdue_by_rule)
    )
    overdue_total = overdue.col_total(0) if raw.overdue_by_rule else None
    if raw.rules_available:
        f = figures["procedures.overdue"]
        values = f.values[:-1] + (_shown_count(overdue_total, pol),)
        prev = values[-2].value if len(values) > 1 else None
        figures["procedures.overdue"] = PublishedFigure(
            f.definition, values, trend(values[-1].value, prev, f.definition.better, "count")
        )
    return PublishedReport(
        periods=tuple(raw.periods),
        figures=figures,
        breakdowns=breakdowns,
        tables=tables,
        overdue_by_rule=overdue_rows,
        overdue_total=overdue_total,
        rules_available=raw.rules_available,
        threshold=pol.threshold,
        linked_share=raw.linked_share,
    )


def section_titles() -> dict[str, str]:
    return dict(SECTIONS)
