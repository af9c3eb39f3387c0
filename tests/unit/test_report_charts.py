"""Chart specs: valid Vega-Lite, greyscale, and the same spec for the web page and the PDF."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from altair.vegalite.v6.schema.core import load_schema

from safeguard.adapters.reports import render
from safeguard.adapters.reports.charts import Chart
from safeguard.domain.board_figures import compute
from safeguard.domain.board_publish import PublishedReport, publish
from tests.unit.board_data import PERIODS, facts


@pytest.fixture(scope="module")
def report() -> PublishedReport:
    data = facts()
    # enough cases that some charts have published values to draw
    data.responses = data.responses * 3
    return publish(compute(data, PERIODS))


@pytest.fixture(scope="module")
def charts(report: PublishedReport) -> list[Chart]:
    return [c for cs in render.charts(report).values() for c in cs]


def test_every_chart_spec_is_valid_vega_lite(charts: list[Chart]) -> None:
    assert charts, "the hand-built data has publishable figures to chart"
    validator = jsonschema.Draft7Validator(load_schema())
    for chart in charts:
        errors = list(validator.iter_errors(json.loads(chart.to_json())))
        assert not errors, f"{chart.id}: {errors[0].message}"


def test_charts_are_drawn_in_greys_only(charts: list[Chart]) -> None:
    for chart in charts:
        svg = chart.to_svg()
        assert svg.lstrip().startswith("<svg")
        for r, g, b in re.findall(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})\b", svg):
            assert r.lower() == g.lower() == b.lower(), f"{chart.id} uses colour #{r}{g}{b}"
        for r, g, b in re.findall(r"rgb\((\d+),\s*(\d+),\s*(\d+)\)", svg):
            assert r == g == b, f"{chart.id} uses colour rgb({r},{g},{b})"


def test_withheld_values_are_not_drawn(report: PublishedReport, charts: list[Chart]) -> None:
    by_id = {c.id: c for c in charts}
    shown = {v for f in report.figures.values() for v in [f.current.value] if v is not None}
    assert shown
    grades = by_id.get("breakdown-da.risk_grades")
    if grades is not None:  # every DASH grade count is small here: drawn as 0 and labelled *
        values = grades.spec["data"]["values"]
        current = [r for r in values if r["period"] == PERIODS[-1].short_label]
        assert all(r["value"] == 0 and r["text"] == "*" for r in current)


def test_the_web_page_embeds_the_same_specs_as_its_charts(report: PublishedReport) -> None:
    page = render.html(report, medium="web")
    specs = re.findall(
        r'<script type="application/vnd.vegalite\+json" data-chart="([^"]+)">(.*?)</script>',
        page,
        flags=re.S,
    )
    built = {c.id: c.to_json() for cs in render.charts(report).values() for c in cs}
    assert {cid for cid, _ in specs} == set(built)
    for cid, text in specs:
        assert json.loads(text) == json.loads(built[cid])
    assert page.count("OFFICIAL-SENSITIVE") >= 2


def test_trend_charts_run_oldest_to_newest_whatever_the_labels(charts: list[Chart]) -> None:
    expected = [p.short_label for p in PERIODS]
    assert expected != sorted(expected)  # "Oct-Dec 24" sorts after "Jan-Mar 25" as text
    for chart in charts:
        if chart.id.startswith("trend-"):
            x = chart.spec["layer"][0]["encoding"]["x"]
            assert [s.removesuffix(" *") for s in x["sort"]] == expected
