"""Chart definitions: one Vega-Lite spec per chart, used by the PDF and the web page alike.

Specs are built with Altair and rendered to SVG offline by vl-convert (no browser, no network).
Every chart reads in greyscale: current against previous is black against light grey, a target
is a dashed line with a label, and values are written on the bars and points themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import altair as alt
import vl_convert

from safeguard.domain.board_publish import PublishedBreakdown, PublishedFigure

FONT = "DejaVu Sans"
INK = "#1a1a1a"
MID = "#6b6b6b"
LIGHT = "#c8c8c8"
WIDTH = 300
HEIGHT = 150


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart's id, title and Vega-Lite spec (a JSON-ready dict)."""

    id: str
    title: str
    spec: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.spec, sort_keys=True)

    def to_svg(self) -> str:
        """The chart as SVG, rendered offline."""
        svg: str = vl_convert.vegalite_to_svg(self.to_json())
        return svg


def _config(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=INK,
            titleColor=INK,
            gridColor="#e6e6e6",
            domainColor=MID,
            tickColor=MID,
            labelFontSize=10,
            titleFontSize=10,
        )
        .configure_legend(labelFontSize=10, titleFontSize=10, orient="bottom")
        .to_dict()
    )
    return spec


def _label(value: float, unit: str) -> str:
    if unit == "rate":
        return f"{value * 100:.0f}%"
    if unit in ("days", "hours"):
        return f"{value:.1f}"
    return f"{value:,.0f}"


def figure_trend(figure: PublishedFigure, labels: list[str]) -> Chart | None:
    """A figure over the periods: a line with labelled points for rates and times, bars for counts.

    Withheld periods are left as gaps and marked "*" on the axis labels.
    """
    d = figure.definition
    rows = [
        {
            "period": label + ("" if shown.value is not None else " *"),
            "order": k,
            "value": shown.value * 100
            if (shown.value is not None and d.unit == "rate")
            else shown.value,
            "text": _label(shown.value, d.unit) if shown.value is not None else "",
            "current": "this period" if k == len(labels) - 1 else "earlier periods",
        }
        for k, (label, shown) in enumerate(zip(labels, figure.values, strict=True))
    ]
    if all(r["value"] is None for r in rows):
        return None
    data = alt.Data(values=rows)  # type: ignore[no-untyped-call]
    x = alt.X(
        "period:O", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelAngle=0)
    )
    y_title = {"rate": "%", "days": "days", "hours": "hours", "count": None}[d.unit]
    base = alt.Chart(data).properties(
        width=WIDTH,
        height=HEIGHT,
        title=alt.TitleParams(d.title, anchor="start", fontSize=11, color=INK),
    )
    if d.unit == "count":
        bars = base.mark_bar(size=28).encode(
            x=x,
            y=alt.Y("value:Q", title=y_title),
            color=alt.Color(
                "current:N",
                scale=alt.Scale(domain=["earlier periods", "this period"], range=[LIGHT, INK]),
                legend=None,
            ),
        )
        text = base.mark_text(dy=-6, fontSize=10, color=INK).encode(x=x, y="value:Q", text="text:N")
        layers: list[alt.Chart] = [bars, text]
    else:
        scale = alt.Scale(domain=[0, 100]) if d.unit == "rate" else alt.Scale(zero=True)
        line = base.mark_line(color=INK, strokeWidth=2).encode(
            x=x, y=alt.Y("value:Q", title=y_title, scale=scale)
        )
        points = base.mark_point(filled=True, size=60, color=INK, shape="circle").encode(
            x=x, y="value:Q"
        )
        text = base.mark_text(dy=-10, fontSize=10, color=INK).encode(
            x=x, y="value:Q", text="text:N"
        )
        layers = [line, points, text]
        if d.target is not None and d.unit == "rate":
            tdata = alt.Data(values=[{"t": d.target * 100, "label": "target"}])  # type: ignore[no-untyped-call]
            target = alt.Chart(tdata)
            layers.append(
                target.mark_rule(strokeDash=[6, 4], color=MID, strokeWidth=1.5).encode(y="t:Q")
            )
            layers.append(
                target.mark_text(
                    align="right", dx=WIDTH / 2 - 4, dy=-6, fontSize=9, color=MID
                ).encode(y="t:Q", text="label:N")
            )
    return Chart(f"trend-{d.id}", d.title, _config(alt.layer(*layers)))


def breakdown_bars(breakdown: PublishedBreakdown, labels: list[str]) -> Chart | None:
    """A breakdown's categories: this period (black) beside the previous period (light grey)."""
    d = breakdown.definition
    if len(labels) < 1:
        return None
    cur, prev = len(labels) - 1, len(labels) - 2
    rows = []
    for category, values in breakdown.rows:
        name = category.replace("_", " ")
        for k, tag in ((prev, labels[prev] if prev >= 0 else ""), (cur, labels[cur])):
            if k < 0:
                continue
            v = values[k]
            rows.append(
                {
                    "category": name,
                    "period": tag,
                    "order": k,
                    "value": v if v is not None else 0,
                    "text": f"{v:,}" if v is not None else "*",
                }
            )
    if not any(r["value"] for r in rows):
        return None
    data = alt.Data(values=rows)  # type: ignore[no-untyped-call]
    domain = [labels[prev], labels[cur]] if prev >= 0 else [labels[cur]]
    colours = [LIGHT, INK] if prev >= 0 else [INK]
    y = alt.Y("category:N", sort=[c.replace("_", " ") for c, _ in breakdown.rows], title=None)
    base = alt.Chart(data).properties(
        width=WIDTH - 60, title=alt.TitleParams(d.title, anchor="start", fontSize=11, color=INK)
    )
    bars = base.mark_bar(height=9).encode(
        y=y,
        yOffset=alt.YOffset("period:N", sort=domain),
        x=alt.X("value:Q", title=None),
        color=alt.Color(
            "period:N", scale=alt.Scale(domain=domain, range=colours), title=None, sort=domain
        ),
    )
    text = base.mark_text(align="left", dx=3, fontSize=9, color=INK).encode(
        y=y, yOffset=alt.YOffset("period:N", sort=domain), x="value:Q", text="text:N"
    )
    return Chart(f"breakdown-{d.id}", d.title, _config(alt.layer(bars, text)))
