"""Every board figure on a small hand-built data set whose answers are known exactly."""

from __future__ import annotations

from datetime import date

import pytest

from safeguard.domain.board import Period, Value
from safeguard.domain.board_figures import RawReport, compute
from tests.unit.board_data import PERIODS, facts


@pytest.fixture(scope="module")
def raw() -> RawReport:
    return compute(facts(), PERIODS)


def current(raw: RawReport, fid: str) -> Value:
    return raw.figures[fid][-1]


def previous(raw: RawReport, fid: str) -> Value:
    return raw.figures[fid][-2]


def test_periods_are_the_quarter_and_the_quarter_before() -> None:
    assert [p.label for p in PERIODS] == ["Oct-Dec 2024", "Jan-Mar 2025"]


def test_domestic_abuse_incidents_count_flagged_events_of_any_type(raw: RawReport) -> None:
    assert current(raw, "da.incidents").count == 6
    assert previous(raw, "da.incidents").count == 0


def test_repeat_victimisation_counts_people_with_an_incident_in_the_year_before(
    raw: RawReport,
) -> None:
    # A (two in the quarter) and B (June 2024) are repeats; C (Dec 2023, > 365 days) and D not.
    v = current(raw, "da.repeat_victims")
    assert (v.numerator, v.denominator) == (2, 4)


def test_dash_completion_is_over_incidents_with_a_victim(raw: RawReport) -> None:
    v = current(raw, "da.dash_completion")
    assert (v.numerator, v.denominator) == (3, 5)


def test_dash_risk_grades_use_the_reviewed_grade_where_there_is_one(raw: RawReport) -> None:
    assert raw.breakdowns["da.risk_grades"][-1] == [1, 1, 1]  # standard, medium, high


def test_marac_referrals_by_route_and_the_repeat_rate(raw: RawReport) -> None:
    assert current(raw, "marac.referrals").count == 2
    assert raw.breakdowns["marac.routes"][-1] == [1, 1, 0, 0, 0]
    v = current(raw, "marac.repeat_rate")
    assert (v.numerator, v.denominator) == (1, 2)


def test_time_to_marac_referral_is_the_median_of_days_from_incident(raw: RawReport) -> None:
    v = current(raw, "marac.days_to_referral")
    assert v.count == 2 and v.measure == pytest.approx((5 + 32) / 2)


def test_missing_episodes_children_and_repeat_missing_children(raw: RawReport) -> None:
    assert current(raw, "missing.episodes").count == 4
    assert current(raw, "missing.children").count == 2  # K and L; M is an adult
    assert current(raw, "missing.repeat_children").count == 1  # K: 3 in the 12 months
    assert raw.breakdowns["missing.risk_grades"][-1] == [0, 1, 1, 1, 1]


def test_high_risk_share_is_over_graded_episodes(raw: RawReport) -> None:
    v = current(raw, "missing.high_risk_share")
    assert (v.numerator, v.denominator) == (1, 3)


def test_return_home_interviews_offered_within_72_hours_of_return(raw: RawReport) -> None:
    # K returned 6 Jan (offered after 73 h), K 11 Mar (never), L 2 Feb (71 h).
    v = current(raw, "missing.rhi_72h")
    assert (v.numerator, v.denominator) == (1, 3)


def test_exploitation_concerns_by_kind_and_screenings_done(raw: RawReport) -> None:
    assert current(raw, "exploitation.concerns").count == 2
    assert raw.breakdowns["exploitation.kinds"][-1] == [1, 1]
    assert current(raw, "exploitation.screenings_done").count == 1
    assert previous(raw, "exploitation.screenings_done").count == 2


def test_screenings_due_fall_28_days_after_the_concern(raw: RawReport) -> None:
    # Due in the quarter: R (concern 20 Dec), P (10 Jan), Q (20 Feb); Q never screened.
    assert current(raw, "exploitation.screenings_due").count == 3
    v = current(raw, "exploitation.screened_in_time")
    assert (v.numerator, v.denominator) == (2, 3)


def test_risk_movement_compares_a_screening_with_the_childs_previous_one(raw: RawReport) -> None:
    assert raw.breakdowns["exploitation.movement"][-1] == [0, 0, 1]  # P: low -> medium


def test_hate_crime_strands_and_repeat_victims(raw: RawReport) -> None:
    assert current(raw, "hate.incidents").count == 3
    # race, religion, sexual orientation, disability, transgender, other, multiple
    assert raw.breakdowns["hate.strands"][-1] == [1, 0, 0, 1, 0, 0, 1]
    v = current(raw, "hate.repeat_victims")
    assert (v.numerator, v.denominator) == (1, 2)


def test_officer_grade_against_computed_and_reviewed_grades(raw: RawReport) -> None:
    differs = current(raw, "judgement.differs_from_computed")
    assert (differs.numerator, differs.denominator) == (2, 4)
    review = current(raw, "judgement.changed_on_review")
    assert (review.numerator, review.denominator) == (1, 1)
    by_team = {r.label: (r.yes, r.no) for r in raw.tables["judgement.differs_by_team"]}
    assert by_team == {"North": (1, 1), "PPU": (1, 0), "South": (0, 1)}


def test_hub_contacts_rag_mix_and_decisions_against_working_hour_clocks(raw: RawReport) -> None:
    assert current(raw, "mash.contacts").count == 4
    assert raw.breakdowns["mash.rag"][-1] == [1, 1, 1, 1, 0]
    v = current(raw, "mash.decided_in_time")
    assert (v.numerator, v.denominator) == (2, 3)
    hours = current(raw, "mash.hours_to_decision")
    assert hours.count == 3 and hours.measure == pytest.approx(24.0)  # of 3, 72 and 24 hours
    assert current(raw, "mash.backlog").count == 1  # the green contact


def test_victims_code_updates_within_one_or_five_working_days(raw: RawReport) -> None:
    v = current(raw, "victims.code_timeliness")
    assert (v.numerator, v.denominator) == (1, 3)


def test_support_referrals_and_satisfaction(raw: RawReport) -> None:
    assert raw.breakdowns["victims.support"][-1] == [2, 1, 0]
    assert current(raw, "victims.idva_referrals").count == 2
    assert previous(raw, "victims.idva_referrals").count == 1
    assert current(raw, "victims.sarc_referrals").count == 1
    v = current(raw, "victims.satisfaction")
    assert (v.numerator, v.denominator) == (8, 10)
    assert raw.satisfaction == (8, 10)


def test_procedure_compliance_and_overdue_from_the_rules_engines_checks(raw: RawReport) -> None:
    v = current(raw, "procedures.compliance")
    assert (v.numerator, v.denominator) == (1, 3)
    assert current(raw, "procedures.overdue").count == 1
    p = previous(raw, "procedures.compliance")
    assert (p.numerator, p.denominator) == (1, 1)
    assert previous(raw, "procedures.overdue").count == 0
    by_rule = {r.label: (r.yes, r.no) for r in raw.tables["procedures.by_rule"]}
    assert by_rule == {"dash-completed": (1, 1), "rhi-offered": (0, 1)}
    by_team = {r.label: (r.yes, r.no) for r in raw.tables["procedures.by_team"]}
    assert by_team == {"West / North": (1, 1), "East / Missing": (0, 1)}
    assert raw.overdue_by_rule == [("dash-completed", 0), ("rhi-offered", 1)]


def test_without_rules_engine_output_procedure_figures_are_not_measured() -> None:
    raw = compute(facts(with_procedures=False), PERIODS)
    assert raw.rules_available is False
    assert current(raw, "procedures.compliance") == Value()
    assert "procedures.by_rule" not in raw.tables


def test_compute_needs_at_least_one_period() -> None:
    with pytest.raises(ValueError, match="at least one period"):
        compute(facts(), [])


def test_dates_are_inclusive_of_the_last_day() -> None:
    assert PERIODS[-1].last_day == date(2025, 3, 31)
    # Local days: the quarter ends at midnight BST on 1 April, 23:00 UTC on 31 March.
    assert PERIODS[-1].start.isoformat() == "2025-01-01T00:00:00+00:00"
    assert PERIODS[-1].end.isoformat() == "2025-03-31T23:00:00+00:00"
    assert PERIODS[-1].label == "Jan-Mar 2025"


def test_a_period_is_the_forces_local_days() -> None:
    """An incident at 00:30 BST on 1 April (23:30 UTC on 31 March) is April's."""
    from datetime import UTC, datetime

    from safeguard.domain.board import previous_periods
    from safeguard.domain.board_facts import BoardFacts, Incident

    april = Period.from_dates(date(2025, 4, 1), date(2025, 4, 30))
    march = previous_periods(april, 1)[0]
    assert (march.first_day, march.last_day, march.label) == (
        date(2025, 3, 1),
        date(2025, 3, 31),
        "Mar 2025",
    )
    night = datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    assert april.contains(night) and not march.contains(night)
    incidents = [Incident(1, "domestic_abuse", night)]
    counts = compute(BoardFacts(incidents=incidents), [march, april]).figures["da.incidents"]
    assert [v.count for v in counts] == [0, 1]
    utc_days = Period.from_dates(date(2025, 4, 1), date(2025, 4, 30), "UTC")
    assert not utc_days.contains(night)


def test_each_period_is_computed_alone_even_when_periods_overlap() -> None:
    # Periods that overlap (or are out of order) are each counted in full, as one alone would be.
    wide = Period.from_dates(date(2024, 11, 15), date(2025, 2, 15))
    periods = [PERIODS[1], wide, PERIODS[0]]
    together = compute(facts(), periods)
    for k, p in enumerate(periods):
        alone = compute(facts(), [p])
        for fid, values in alone.figures.items():
            assert together.figures[fid][k] == values[0], (fid, p.label)
        for bid, rows in alone.breakdowns.items():
            assert together.breakdowns[bid][k] == rows[0], (bid, p.label)


def test_repeat_window_counts_local_dates_as_the_rules_do() -> None:
    """A second incident on the 365th local date after the first is a repeat, however late in
    the day (elapsed time would be 365 days and 13 hours)."""
    from datetime import UTC, datetime

    from safeguard.domain.board_facts import BoardFacts, Incident
    from safeguard.domain.history import PersonKey

    v = PersonKey.of(7001, 1)
    first = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)  # 2024-03-01 08:00 GMT
    last = datetime(2025, 3, 1, 21, 0, tzinfo=UTC)  # 365 local dates later, 21:00 GMT
    late = datetime(2025, 3, 2, 0, 30, tzinfo=UTC)  # the 366th local date
    periods = [Period.from_dates(date(2025, 1, 1), date(2025, 3, 31))]

    def repeat(second: datetime) -> Value:
        incidents = [
            Incident(1, "domestic_abuse", first, victims=frozenset({v})),
            Incident(2, "domestic_abuse", second, victims=frozenset({v})),
        ]
        return compute(BoardFacts(incidents=incidents), periods).figures["da.repeat_victims"][-1]

    assert (repeat(last).numerator, repeat(last).denominator) == (1, 1)
    assert (repeat(late).numerator, repeat(late).denominator) == (0, 1)


def test_screening_window_counts_local_dates() -> None:
    """A CSE screening is in time on the 28th local date after the concern, however late in the
    day and across the spring clock change; on the 29th it is late."""
    from datetime import UTC, datetime

    from safeguard.domain.board_facts import Assessment, BoardFacts, Incident
    from safeguard.domain.history import PersonKey

    child = PersonKey.of(7002, 1)
    concern = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)  # 08:00 GMT; the clocks go forward 30 March
    on_the_28th = datetime(2025, 4, 17, 19, 0, tzinfo=UTC)  # 20:00 BST, 28 days 11 hours later
    on_the_29th = datetime(2025, 4, 17, 23, 30, tzinfo=UTC)  # 00:30 BST on 18 April
    periods = [Period.from_dates(date(2025, 4, 1), date(2025, 6, 30))]

    def in_time(done: datetime) -> Value:
        concerns = [Incident(1, "child_sexual_exploitation", concern, victims=frozenset({child}))]
        screening = Assessment(1, "cse-seraf", done, child)
        found = BoardFacts(incidents=concerns, assessments=[screening])
        return compute(found, periods).figures["exploitation.screened_in_time"][-1]

    assert (in_time(on_the_28th).numerator, in_time(on_the_28th).denominator) == (1, 1)
    assert (in_time(on_the_29th).numerator, in_time(on_the_29th).denominator) == (0, 1)
