"""Chart definitions: one Vega-Lite spec per chart, used by the PDF and the web page alike.

Specs are plain Vega-Lite v6 JSON (what Altair would emit, written directly: Altair's object
copying cost a second per report) and are rendered to SVG offline by vl-convert, with no
browser and no network. The web page embeds the same spec beside its SVG for vega-embed.

Every chart reads in greyscale: this period is black against light-grey earlier periods, a
target is a dashed line with a label, and values are written on the bars and points.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import vl_convert

from safeguard.domain.board_publish import PublishedBreakdown, PublishedFigure

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
FONT = "DejaVu Sans"
INK = "#1a1a1a"
MID = "#6b6b6b"
LIGHT = "#c4c4c4"
WIDTH = 250
HEIGHT = 120
Spec = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart's id, title and Vega-Lite spec (a JSON-ready dict)."""

    id: str
    title: str
    spec: Spec

    def to_json(self) -> str:
        return json.dumps(self.spec, sort_keys=True)

    def to_svg(self) -> str:
        """The chart as SVG, rendered offline."""
        svg: str = vl_convert.vegalite_to_svg(self.to_json())
        return svg

    def to_png(self, scale: float = 2.5) -> bytes:
        """The chart as a PNG (``scale`` x its CSS pixel size: 2.5 prints at about 240 dpi)."""
        png: bytes = vl_convert.vegalite_to_png(self.to_json(), scale=scale)
        return png


def warm_up() -> None:
    """Start the renderer (about a second, once per process) ahead of the first chart."""
    vl_convert.vegalite_to_svg(json.dumps({"mark": "point", "data": {"values": []}}))


CONFIG: Spec = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {
        "labelColor": INK,
        "titleColor": INK,
        "gridColor": "#e3e3e3",
        "domainColor": MID,
        "tickColor": MID,
        "labelFontSize": 9,
        "titleFontSize": 9,
    },
    "legend": {"labelFontSize": 9, "titleFontSize": 9, "orient": "bottom", "symbolSize": 80},
    "title": {"anchor": "start", "fontSize": 11, "color": INK, "fontWeight": "bold"},
}


def _spec(title: str, layers: list[Spec], values: list[dict[str, Any]], **extra: Any) -> Spec:
    return {
        "$schema": SCHEMA,
        "title": title,
        "config": CONFIG,
        "data": {"values": values},
        "layer": layers,
        **extra,
    }


def _label(value: float, unit: str) -> str:
    if unit == "rate":
        return f"{value * 100:.0f}%"
    if unit in ("days", "hours"):
        return f"{value:.1f}"
    return f"{value:,.0f}"


def figure_trend(figure: PublishedFigure, labels: list[str]) -> Chart | None:
    """A figure over the periods: a line with labelled points for rates and times, bars for counts.

    A withheld period is a gap, its axis label marked with ``*``.
    """
    d = figure.definition
    rows = []
    for k, (label, shown) in enumerate(zip(labels, figure.values, strict=True)):
        v = shown.value
        rows.append(
            {
                "period": label + ("" if v is not None else " *"),
                "order": k,
                "value": None if v is None else (v * 100 if d.unit == "rate" else v),
                "text": "" if v is None else _label(v, d.unit),
                "current": "this period" if k == len(labels) - 1 else "earlier periods",
            }
        )
    if all(r["value"] is None for r in rows):
        return None
    x = {
        "field": "period",
        "type": "ordinal",
        "sort": [r["period"] for r in rows],  # oldest first, whatever the labels say
        "title": None,
        "axis": {"labelAngle": 0, "labelFontSize": 8},
    }
    y_title = {"rate": "%", "days": "days", "hours": "hours", "count": None}[d.unit]
    if d.unit == "count":
        layers: list[Spec] = [
            {
                "mark": {"type": "bar", "size": 26},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative", "title": y_title},
                    "color": {
                        "field": "current",
                        "type": "nominal",
                        "scale": {
                            "domain": ["earlier periods", "this period"],
                            "range": [LIGHT, INK],
                        },
                        "legend": None,
                    },
                },
            },
            {
                "mark": {"type": "text", "dy": -6, "fontSize": 9, "color": INK},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "text": {"field": "text"},
                },
            },
        ]
    else:
        scale = {"domain": [0, 100]} if d.unit == "rate" else {"zero": True}
        y = {"field": "value", "type": "quantitative", "title": y_title, "scale": scale}
        layers = [
            {
                "mark": {"type": "line", "color": INK, "strokeWidth": 2},
                "encoding": {"x": x, "y": y},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 55, "color": INK},
                "encoding": {"x": x, "y": y},
            },
            # Labels above the points, or below them near the top, clear of a target line.
            {
                "transform": [{"filter": "datum.value == null || datum.value < 80"}],
                "mark": {"type": "text", "dy": -10, "fontSize": 9, "color": INK},
                "encoding": {"x": x, "y": y, "text": {"field": "text"}},
            },
            {
                "transform": [{"filter": "datum.value != null && datum.value >= 80"}],
                "mark": {"type": "text", "dy": 13, "fontSize": 9, "color": INK},
                "encoding": {"x": x, "y": y, "text": {"field": "text"}},
            },
        ]
        if d.unit != "rate":
            layers.pop()
            layers[-1] = {
                "mark": {"type": "text", "dy": -10, "fontSize": 9, "color": INK},
                "encoding": {"x": x, "y": y, "text": {"field": "text"}},
            }
        if d.target is not None and d.unit == "rate":
            target = {"values": [{"t": d.target * 100, "label": "target"}]}
            layers += [
                {
                    "data": target,
                    "mark": {
                        "type": "rule",
                        "strokeDash": [6, 4],
                        "color": MID,
                        "strokeWidth": 1.5,
                    },
                    "encoding": {"y": {"field": "t", "type": "quantitative"}},
                },
                {
                    "data": target,
                    "mark": {
                        "type": "text",
                        "align": "right",
                        "x": "width",
                        "dy": -6,
                        "fontSize": 8,
                        "color": MID,
                    },
                    "encoding": {
                        "y": {"field": "t", "type": "quantitative"},
                        "text": {"field": "label"},
                    },
                },
            ]
    spec = _spec(d.title, layers, rows, width=WIDTH, height=HEIGHT)
    return Chart(f"trend-{d.id}", d.title, spec)


def breakdown_bars(breakdown: PublishedBreakdown, labels: list[str]) -> Chart | None:
    """A breakdown's categories: this period (black) beside the previous one (light grey)."""
    d = breakdown.definition
    cur = len(labels) - 1
    shown = [k for k in (cur - 1, cur) if k >= 0]
    domain = [labels[k] for k in shown]
    rows = []
    for category, values in breakdown.rows:
        for k in shown:
            v = values[k]
            rows.append(
                {
                    "category": category.replace("_", " "),
                    "period": labels[k],
                    "value": v if v is not None else 0,
                    "text": f"{v:,}" if v is not None else "*",
                }
            )
    if not any(r["value"] for r in rows):
        return None
    y = {
        "field": "category",
        "type": "nominal",
        "sort": [c.replace("_", " ") for c, _ in breakdown.rows],
        "title": None,
        "axis": {"labelLimit": 110, "labelFontSize": 8},
    }
    offset = {"field": "period", "type": "nominal", "sort": domain}
    layers: list[Spec] = [
        {
            "mark": {"type": "bar", "height": {"band": 0.9}},
            "encoding": {
                "y": y,
                "yOffset": offset,
                "x": {"field": "value", "type": "quantitative", "title": None},
                "color": {
                    "field": "period",
                    "type": "nominal",
                    "title": None,
                    "sort": domain,
                    "scale": {"domain": domain, "range": [LIGHT, INK][-len(domain) :]},
                },
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 8, "color": INK},
            "encoding": {
                "y": y,
                "yOffset": offset,
                "x": {"field": "value", "type": "quantitative"},
                "text": {"field": "text"},
            },
        },
    ]
    spec = _spec(d.title, layers, rows, width=WIDTH - 90, height={"step": 13})
    return Chart(f"breakdown-{d.id}", d.title, spec)
