"""How the report words and formats its figures."""

from __future__ import annotations

from safeguard.adapters.reports.render import SUMMARY, arrow, fmt, fmt_change, summary
from safeguard.domain.board import Trend
from safeguard.domain.board_figures import SurveyResponse, compute
from safeguard.domain.board_publish import Shown, publish
from tests.unit.board_data import PERIODS, at, facts


def test_values_are_formatted_by_unit_and_withheld_ones_marked() -> None:
    assert fmt(Shown(0.9234), "rate") == "92.3%"
    assert fmt(Shown(1234.0), "count") == "1,234"
    assert fmt(Shown(2.56), "days") == "2.6 days"
    assert fmt(Shown(None, "small"), "count") == "*"
    assert fmt(Shown(None, "none"), "rate") == "-"
    assert fmt(Shown(None, "no rules"), "rate") == "n/a"
    assert fmt_change(Trend("up", "better", 0.052), "rate") == "+5.2 pts"
    assert fmt_change(Trend("down", "none", -7.0), "count") == "-7"
    assert arrow(Trend("same", "steady", 0.0)) == "●"


def test_the_summary_says_what_improved_and_what_needs_attention() -> None:
    data = facts()
    # satisfaction: 8 of 10 this quarter against 6 of 10 the quarter before
    data.responses += [SurveyResponse(at(2024, 11, 1), k < 6) for k in range(10)]
    s = summary(publish(compute(data, PERIODS)))
    assert s["better"] == ["Victims satisfied overall rose from 60.0% in Oct-Dec 2024 to 80.0%."]
    assert s["worse"] == []
    assert all(fid.count(".") == 1 for fid in SUMMARY) and len(SUMMARY) == 9


def test_the_cover_says_which_periods_it_compares() -> None:
    from safeguard.adapters.reports.render import html
    from safeguard.domain.board import Period, previous_periods

    q1 = PERIODS[-1]
    one = publish(compute(facts(), PERIODS))
    assert "compared with Oct-Dec 2024</span>" in html(one, medium="web")
    four: list[Period] = [*previous_periods(q1, 4), q1]
    page = html(publish(compute(facts(), four)), medium="web")
    assert "compared with Oct-Dec 2024 and the 3 periods before it" in page
