"""Render a published board report: Jinja2 HTML (web page or print), and A4 PDF by WeasyPrint.

The same template, the same chart specs and the same SVGs serve both media; only the page
furniture differs (the PDF's running header, footer and page numbers come from CSS @page).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import jinja2
from markupsafe import Markup, escape

from safeguard.adapters.reports.charts import Chart, breakdown_bars, figure_trend
from safeguard.domain.board import BREAKDOWNS, FIGURES, SECTIONS, Trend
from safeguard.domain.board_publish import PublishedFigure, PublishedReport, Shown

MARKING = "OFFICIAL-SENSITIVE"
Medium = Literal["web", "print"]
ChartImages = Literal["svg", "png"]
PNG_SCALE = 2.5

# Headline figures on the first page, in the order a board member reads them.
SUMMARY = (
    "da.repeat_victims",
    "da.dash_completion",
    "missing.repeat_children",
    "missing.rhi_72h",
    "exploitation.screened_in_time",
    "procedures.compliance",
    "mash.decided_in_time",
    "victims.code_timeliness",
    "victims.satisfaction",
)
CHARTS: dict[str, tuple[tuple[Literal["trend", "breakdown"], str], ...]] = {
    "domestic_abuse": (
        ("trend", "da.incidents"),
        ("trend", "da.repeat_victims"),
        ("trend", "da.dash_completion"),
        ("breakdown", "da.risk_grades"),
        ("breakdown", "marac.routes"),
        ("trend", "marac.repeat_rate"),
    ),
    "missing": (
        ("trend", "missing.episodes"),
        ("trend", "missing.rhi_72h"),
        ("breakdown", "missing.risk_grades"),
        ("trend", "missing.repeat_children"),
    ),
    "exploitation": (
        ("trend", "exploitation.screened_in_time"),
        ("breakdown", "exploitation.kinds"),
        ("breakdown", "exploitation.movement"),
        ("breakdown", "hate.strands"),
    ),
    "procedures": (("trend", "procedures.compliance"),),
    "judgement": (
        ("trend", "judgement.differs_from_computed"),
        ("trend", "judgement.changed_on_review"),
    ),
    "hub": (("trend", "mash.decided_in_time"), ("breakdown", "mash.rag")),
    "victims": (
        ("trend", "victims.code_timeliness"),
        ("trend", "victims.satisfaction"),
        ("breakdown", "victims.support"),
    ),
}


def fmt(shown: Shown | None, unit: str) -> str:
    """A value as the report prints it; ``*`` withheld, ``-`` no cases, ``n/a`` not measured."""
    if shown is None:
        return ""
    if shown.value is None:
        return {"small": "*", "none": "-", "no rules": "n/a"}.get(shown.reason or "", "-")
    v = shown.value
    if unit == "rate":
        return f"{v * 100:.1f}%"
    if unit == "days":
        return f"{v:.1f} days"
    if unit == "hours":
        return f"{v:.1f} h"
    return f"{v:,.0f}"


def fmt_change(t: Trend, unit: str) -> str:
    if t.change is None:
        return ""
    c = t.change
    if unit == "rate":
        return f"{c * 100:+.1f} pts"
    if unit in ("days", "hours"):
        return f"{c:+.1f}"
    return f"{c:+,.0f}"


def arrow(t: Trend) -> str:
    return {"up": "▲", "down": "▼", "same": "●", "unknown": ""}[t.direction]


def verdict(t: Trend) -> str:
    return {"better": "better", "worse": "worse", "steady": "steady", "none": ""}[t.verdict]


def count(value: int | None) -> str:
    return "*" if value is None else f"{value:,}"


def pct(value: float | None) -> str:
    return "*" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True, slots=True)
class RenderedChart:
    chart: Chart
    svg: Markup


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("safeguard.adapters.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fmt=fmt,
        fmt_change=fmt_change,
        arrow=arrow,
        verdict=verdict,
        count=count,
        pct=pct,
        rule_name=rule_name,
    )
    return env


def rule_name(label: str) -> str:
    """A rule's name in words where ``label`` is a rule id (a board never reads raw ids)."""
    from safeguard.rules.rules import RULES_BY_ID

    rule = RULES_BY_ID.get(label)
    return rule.title if rule else label


def _sentence(f: PublishedFigure, previous_label: str) -> str:
    d, t = f.definition, f.trend
    now = fmt(f.current, d.unit)
    before = fmt(f.previous, d.unit)
    verb = {"up": "rose", "down": "fell", "same": "held at"}.get(t.direction, "was")
    if t.direction == "same":
        return f"{d.title} held at {now} (previously {before})."
    text = f"{d.title} {verb} from {before} in {previous_label} to {now}"
    if d.target is not None and d.unit == "rate" and f.current.value is not None:
        text += f", against a target of {d.target * 100:.0f}%"
    return text + "."


def summary(report: PublishedReport) -> dict[str, list[str]]:
    """The first-page sentences: what improved, what needs attention, what held steady."""
    labels = [p.label for p in report.periods]
    prev_label = labels[-2] if len(labels) > 1 else ""
    out: dict[str, list[str]] = {"better": [], "worse": [], "steady": []}
    for fid in SUMMARY:
        f = report.figures[fid]
        if f.trend.verdict in out:
            out[f.trend.verdict].append(_sentence(f, prev_label))
    return out


def charts(report: PublishedReport) -> dict[str, list[Chart]]:
    """Every chart of the report by section: the single definition the PDF and web page share."""
    labels = [p.short_label for p in report.periods]
    out: dict[str, list[Chart]] = {}
    for section, items in CHARTS.items():
        built: list[Chart] = []
        for kind, ident in items:
            chart = (
                figure_trend(report.figures[ident], labels)
                if kind == "trend"
                else breakdown_bars(report.breakdowns[ident], labels)
            )
            if chart is not None:
                built.append(chart)
        out[section] = built
    return out


def html(
    report: PublishedReport,
    *,
    medium: Medium = "print",
    generated_at: datetime | None = None,
    title: str = "Protecting vulnerable people",
    images: ChartImages = "svg",
) -> str:
    """The report as one self-contained HTML document (inline charts, inline CSS)."""
    rendered = {
        section: [RenderedChart(c, _drawing(c, images)) for c in cs]
        for section, cs in charts(report).items()
    }
    labels = [p.short_label for p in report.periods]
    template = _environment().get_template("report.html")
    return template.render(
        report=report,
        medium=medium,
        title=title,
        marking=MARKING,
        period=report.current,
        labels=labels,
        previous_label=report.periods[-2].label if len(labels) > 1 else None,
        generated_at=(generated_at or datetime.now(UTC)).strftime("%d %B %Y %H:%M UTC"),
        sections=SECTIONS,
        summary_ids=SUMMARY,
        summary=summary(report),
        worst_overdue=max(
            ((n, rule) for rule, n in report.overdue_by_rule if n is not None), default=(0, None)
        )[1],
        charts=rendered,
        figures_def=FIGURES,
        breakdowns_def=BREAKDOWNS,
    )


def _strip_xml(svg: str) -> str:
    return svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg


def _drawing(chart: Chart, images: ChartImages) -> Markup:
    """The chart for the page: inline SVG, or an inline PNG of the very same spec.

    WeasyPrint lays out a report's inline SVG charts in about 1.5 s of CPU but places PNGs in a
    fraction of that, so the PDF uses PNG by default; the web page keeps the SVG.
    """
    if images == "svg":
        return Markup(_strip_xml(chart.to_svg()))  # noqa: S704 - vl-convert's own SVG output
    png = chart.to_png(PNG_SCALE)
    # Sized in CSS pixels as the SVG would be, so both media lay out the same.
    width = int.from_bytes(png[16:20], "big") / PNG_SCALE
    height = int.from_bytes(png[20:24], "big") / PNG_SCALE
    data = base64.b64encode(png).decode("ascii")
    return Markup(  # noqa: S704 - a data URI of our own PNG and an escaped title
        f'<img class="chart-image" alt="{escape(chart.title)}" width="{width:.0f}" '
        f'height="{height:.0f}" style="width: {width:.1f}px; height: {height:.1f}px" '
        f'src="data:image/png;base64,{data}">'
    )


def pdf(
    report: PublishedReport, *, generated_at: datetime | None = None, images: ChartImages = "png"
) -> bytes:
    """The report as an A4 PDF with page numbers and the protective marking on every page."""
    import weasyprint

    document = html(report, medium="print", generated_at=generated_at, images=images)
    # PDF/UA-1: a tagged PDF (structure, reading order, language, alt text on the charts) that
    # screen readers can read.
    data: bytes = weasyprint.HTML(string=document).write_pdf(pdf_variant="pdf/ua-1")
    return data
