"""The rules at their boundaries: MARAC routes, repeat flags, clocks, children's ages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from safeguard.errors import ValidationFailed
from safeguard.instruments import default_catalogue
from safeguard.rules import RULES, parse_rules_config
from tests.unit.rules_facts import (
    at,
    contact,
    dash,
    episode,
    event,
    fired,
    involved,
    person,
    referral,
    run,
)

FRIDAY_5PM = datetime(2026, 5, 1, 16, 0, tzinfo=UTC)  # 17:00 BST before bank-holiday Monday


def three_incidents(third_after_days: float) -> list:
    evs = [event(1, at(0)), event(2, at(100)), event(3, at(third_after_days))]
    return [involved(e) for e in evs]


@pytest.mark.parametrize(("days", "fires"), [(364, True), (365, True), (366, False)])
def test_the_third_incident_at_364_and_365_days_is_potential_escalation_but_not_at_366(
    days: int, fires: bool
) -> None:
    found = fired(person(involvements=tuple(three_incidents(days))), "MARAC-POTENTIAL-ESCALATION")
    assert bool(found) is fires
    if fires:
        (f,) = found
        assert f.event_id == 3
        assert "3 domestic-abuse incidents as victim within 365 days (>= 3)" in f.explanation
        assert f.severity == "high" and f.category == "marac_due"


def test_potential_escalation_threshold_is_configuration() -> None:
    config = parse_rules_config({"rules": {"MARAC-POTENTIAL-ESCALATION": {"min_incidents": 4}}})
    history = person(involvements=tuple(three_incidents(200)))
    assert not fired(history, "MARAC-POTENTIAL-ESCALATION", config)
    assert fired(history, "MARAC-POTENTIAL-ESCALATION")


def test_a_rules_config_with_an_unknown_rule_parameter_or_type_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="rules.NOPE is not a known rule"):
        parse_rules_config({"rules": {"NOPE": {}}}, "force.yaml")
    with pytest.raises(ValidationFailed, match="MARAC-REPEAT.window is not a parameter"):
        parse_rules_config({"rules": {"MARAC-REPEAT": {"window": 1}}}, "force.yaml")
    with pytest.raises(ValidationFailed, match="must be int, got 'x'"):
        parse_rules_config({"rules": {"MARAC-REPEAT": {"window_days": "x"}}}, "force.yaml")


def test_a_marac_referral_made_in_time_satisfies_escalation_and_is_counted_on_time() -> None:
    invs = three_incidents(200)
    ref = referral(9, "marac", at(200, hours=3), event_id=3)
    evaluation = run(person(involvements=tuple(invs), referrals=(ref,)))
    assert not [f for f in evaluation.findings if f.rule_id == "MARAC-POTENTIAL-ESCALATION"]
    (check,) = [c for c in evaluation.checks if c.rule_id == "MARAC-POTENTIAL-ESCALATION"]
    assert check.on_time and check.done_at == at(200, hours=3)


@pytest.mark.parametrize(("days", "fires"), [(365, True), (366, False)])
def test_an_incident_within_12_months_of_the_last_marac_referral_is_a_repeat(
    days: int, fires: bool
) -> None:
    e = event(2, at(days))
    history = person(involvements=(involved(e),), referrals=(referral(9, "marac", at(0)),))
    found = fired(history, "MARAC-REPEAT")
    assert bool(found) is fires
    if fires:
        assert "within 365 days of MARAC referral 9" in found[0].explanation


@pytest.mark.parametrize(("yes", "fires"), [(13, False), (14, True)])
def test_exactly_14_yes_answers_make_a_marac_referral_due_as_visible_high_risk(
    yes: int, fires: bool
) -> None:
    e = event(1, at(0))
    history = person(involvements=(involved(e),), assessments=(dash(5, at(hours=2), yes, 1),))
    found = fired(history, "MARAC-VISIBLE-HIGH-RISK")
    assert bool(found) is fires
    if fires:
        (f,) = found
        assert f.instrument_id == "dash-police" and f.instrument_version == "2009"
        assert f.due_at == datetime(2025, 1, 13, 17, 0, tzinfo=UTC)  # end of Monday
        assert "14 'yes' answers (>= 14)" in f.explanation and "not done" in f.explanation
        assert f.rule_version.startswith("1.")


def test_judgement_raising_to_high_makes_marac_due_by_professional_judgement() -> None:
    a = dash(5, at(hours=2), 9, 1, officer_grade="high", rationale="victim terrified")
    found = fired(
        person(involvements=(involved(event(1, at(0))),), assessments=(a,)),
        "MARAC-PROFESSIONAL-JUDGEMENT",
    )
    assert len(found) == 1 and "professional judgement graded it high" in found[0].explanation


def test_a_reviewer_raising_the_grade_counts_as_judgement_too() -> None:
    a = dash(5, at(hours=2), 9, 1, reviewed_grade="high", rationale="secondary assessment")
    assert fired(person(assessments=(a,)), "MARAC-PROFESSIONAL-JUDGEMENT")


def test_a_late_marac_referral_is_a_finding_closed_by_rule_with_its_lateness_on_record() -> None:
    a = dash(5, at(hours=2), 15, 1)
    late = referral(9, "marac", at(10), event_id=1)
    (f,) = fired(person(assessments=(a,), referrals=(late,)), "MARAC-VISIBLE-HIGH-RISK")
    assert f.satisfied and f.done_at == at(10)
    assert "done late at 2025-01-20 12:00 GMT" in f.explanation


def test_a_domestic_abuse_victim_without_a_dash_is_an_assurance_finding() -> None:
    e = event(1, at(0))
    (f,) = fired(person(involvements=(involved(e),)), "DA-DASH-COMPLETED")
    assert f.due_at == at(1) and f.kind == "procedure" and f.area == "North"
    done = person(involvements=(involved(e),), assessments=(dash(5, at(hours=3), 2, 1),))
    assert not fired(done, "DA-DASH-COMPLETED")


def test_an_incomplete_dash_gets_no_grade_a_data_quality_finding_and_does_not_count_as_done() -> (
    None
):
    a = dash(5, at(hours=3), 20, 1)
    del a.answers["q3"]  # type: ignore[attr-defined]
    history = person(involvements=(involved(event(1, at(0))),), assessments=(a,))
    (f,) = fired(history, "ASSESSMENT-INCOMPLETE")
    assert "incomplete, missing q3" in f.explanation
    assert fired(history, "DA-DASH-COMPLETED")
    assert not fired(history, "MARAC-VISIBLE-HIGH-RISK")


def test_an_unknown_instrument_version_or_bad_answer_is_a_finding_not_a_crash() -> None:
    bad = dash(5, at(hours=3), 2, 1, answers={"q4": 7})
    unknown = dash(6, at(hours=4), 2, 1).__class__(6, "dash-police", "2031", {}, at(hours=4), 1)
    found = fired(person(assessments=(bad, unknown)), "ASSESSMENT-INCOMPLETE")
    assert [f.key.rsplit("|", 1)[1] for f in found] == ["assessment:5", "assessment:6"]
    assert "answer 'q4' must be text" in found[0].explanation
    assert "unknown instrument 'dash-police' version '2031'" in found[1].explanation


def test_cluster_of_three_strangulation_and_threats_to_kill_are_flagged_with_their_questions() -> (
    None
):
    answers = {f"q{i}": "no" for i in range(1, 28)}
    answers.update(q6="yes", q15="yes", q18="yes", q17="yes")
    a = dash(5, at(hours=2), 0, 1, answers=answers)
    history = person(assessments=(a,))
    assert fired(history, "DA-CLUSTER-OF-THREE")
    (s,) = fired(history, "DA-NON-FATAL-STRANGULATION")
    assert "(q18)" in s.explanation
    (t,) = fired(history, "DA-THREATS-TO-KILL")
    assert "(q17)" in t.explanation
    answers["q6"] = "no"
    assert not fired(
        person(assessments=(dash(5, at(hours=2), 0, 1, answers=answers),)), "DA-CLUSTER-OF-THREE"
    )


def test_repeat_victim_and_perpetrator_flags_cover_domestic_abuse_and_hate_crime() -> None:
    hate = [event(i, at(i * 30), "other_crime", hate_crime_strands=("race",)) for i in (1, 2)]
    da = [event(i, at(i * 30)) for i in (3, 4)]
    history = person(
        involvements=tuple(involved(e, "victim") for e in hate)
        + tuple(involved(e, "suspect") for e in da)
    )
    assert [f.event_id for f in fired(history, "HATE-REPEAT-VICTIM")] == [2]
    assert [f.event_id for f in fired(history, "DA-REPEAT-PERPETRATOR")] == [4]
    assert not fired(history, "DA-REPEAT-VICTIM")


@pytest.mark.parametrize(("offered_hours", "late"), [(71, False), (72, False), (73, True)])
def test_return_at_5pm_friday_before_bank_holiday_needs_an_rhi_offer_by_monday_5pm(
    offered_hours: int, late: bool
) -> None:
    from datetime import timedelta

    ep = episode(1, FRIDAY_5PM - timedelta(hours=20), found_at=FRIDAY_5PM,
                 rhi_offered_at=FRIDAY_5PM + timedelta(hours=offered_hours))  # fmt: skip
    history = person(dob=date(2011, 1, 1), missing=(ep,))
    found = fired(history, "MISSING-RHI-OFFERED")
    assert bool(found) is late
    (check,) = [c for c in run(history).checks if c.rule_id == "MISSING-RHI-OFFERED"]
    assert check.due_at == datetime(2026, 5, 4, 16, 0, tzinfo=UTC)


def test_rhi_clock_in_working_hours_skips_the_weekend_and_bank_holiday() -> None:
    config = parse_rules_config(
        {"rules": {"MISSING-RHI-OFFERED": {"working_hours": True, "due_hours": 8}}}
    )
    ep = episode(1, FRIDAY_5PM, found_at=FRIDAY_5PM)
    (f,) = fired(person(dob=date(2011, 1, 1), missing=(ep,)), "MISSING-RHI-OFFERED", config)
    assert f.due_at == datetime(2026, 5, 5, 16, 0, tzinfo=UTC)  # end of Tuesday's working day


def test_an_adult_returning_from_missing_needs_no_return_home_interview() -> None:
    ep = episode(1, FRIDAY_5PM, found_at=FRIDAY_5PM)
    assert not fired(person(dob=date(2008, 4, 30), missing=(ep,)), "MISSING-RHI-OFFERED")


def test_found_before_reported_is_a_data_quality_finding_not_a_silent_pass() -> None:
    ep = episode(1, FRIDAY_5PM, found_at=at(-1, start=FRIDAY_5PM))
    history = person(dob=date(2011, 1, 1), missing=(ep,))
    (f,) = fired(history, "DATA-DATES-OUT-OF-ORDER")
    assert "found 2026-04-30 17:00 BST before reported missing" in f.explanation
    assert not fired(history, "MISSING-RHI-OFFERED")


@pytest.mark.parametrize(
    ("dob", "due"),
    [(date(2022, 5, 1), True), (date(2022, 5, 2), False), (date(2008, 5, 1), False),
     (date(2008, 5, 2), True)],
)  # fmt: skip
def test_operation_encompass_includes_a_child_turning_4_on_the_day_but_not_one_turning_18(
    dob: date, due: bool
) -> None:
    e = event(1, FRIDAY_5PM)
    found = fired(
        person(dob=dob, involvements=(involved(e, "child_present"),)), "OP-ENCOMPASS-SCHOOL-TOLD"
    )
    assert bool(found) is due
    if due:
        assert found[0].due_at == datetime(2026, 5, 5, 7, 30, tzinfo=UTC)  # Tuesday 08:30 BST


def test_school_told_before_the_next_school_day_closes_operation_encompass() -> None:
    e = event(1, FRIDAY_5PM)
    told = referral(3, "operation_encompass", datetime(2026, 5, 5, 7, 0, tzinfo=UTC), event_id=1)
    history = person(
        dob=date(2015, 1, 1), involvements=(involved(e, "child_present"),), referrals=(told,)
    )
    assert not fired(history, "OP-ENCOMPASS-SCHOOL-TOLD")


def test_three_missing_episodes_in_90_days_make_a_review_and_a_cse_screening_due() -> None:
    eps = (episode(1, at(0)), episode(2, at(40)), episode(3, at(90)))
    history = person(dob=date(2010, 6, 1), missing=eps)
    (review,) = fired(history, "MISSING-REPEAT")
    assert "3 missing episodes within 90 days (>= 3)" in review.explanation
    (screen,) = fired(history, "CSE-SCREENING-DUE")
    assert screen.category == "cse_screening_due" and "aged 14" in screen.explanation
    spread = (episode(1, at(0)), episode(2, at(40)), episode(3, at(91)))
    assert not fired(person(dob=date(2010, 6, 1), missing=spread), "MISSING-REPEAT")


def test_a_missing_child_with_exploitation_concerns_needs_cse_screening() -> None:
    ep = episode(1, at(0), exploitation_flag=True)
    (f,) = fired(person(dob=date(2010, 6, 1), missing=(ep,)), "CSE-SCREENING-DUE")
    assert "exploitation concerns recorded" in f.explanation


def test_cse_screening_graded_above_low_is_reassessed_within_3_months() -> None:
    keys = {"s_multiple_phones": "yes", "s_physical_injuries": "yes"}
    cse = default_catalogue().get("cse-seraf", "1")
    base: dict[str, object] = dict.fromkeys((q.id for q in cse.questions), "no")
    base.update(keys)
    a = dash(7, at(0), 0).__class__(7, "cse-seraf", "1", base, at(0))
    (f,) = fired(person(dob=date(2011, 1, 1), assessments=(a,)), "CSE-REASSESSMENT")
    assert f.due_at == datetime(2025, 4, 10, 11, 0, tzinfo=UTC)  # 12:00 GMT -> 12:00 BST
    again = a.__class__(8, "cse-seraf", "1", base, at(80))
    later = fired(person(dob=date(2011, 1, 1), assessments=(a, again)), "CSE-REASSESSMENT")
    assert [x.key.rsplit("|", 1)[1] for x in later] == ["assessment:8"]


@pytest.mark.parametrize(
    ("rag", "due"),
    [
        ("red", datetime(2026, 5, 5, 12, 0, tzinfo=UTC)),
        ("amber", datetime(2026, 5, 7, 16, 0, tzinfo=UTC)),
    ],
)
def test_mash_rag_clocks_run_in_working_hours(rag: str, due: datetime) -> None:
    ref = referral(4, "mash", FRIDAY_5PM, rag=rag)
    (f,) = fired(person(referrals=(ref,)), "MASH-RAG-DECISION")
    assert f.due_at == due
    decided = referral(4, "mash", FRIDAY_5PM, rag=rag, statuses=(("decision_made", due),))
    assert not fired(person(referrals=(decided,)), "MASH-RAG-DECISION")


def test_a_strategy_discussion_is_due_in_working_days_from_the_mash_decision() -> None:
    """Decided on the Friday before the May bank holiday: three working days are Tuesday to
    Thursday; a force's one-day clock moves it to Tuesday, for the board's count as well."""
    needed = (("decision_made", FRIDAY_5PM), ("strategy_discussion_needed", FRIDAY_5PM))
    ref = referral(4, "mash", FRIDAY_5PM, rag="red", statuses=needed)
    (f,) = fired(person(referrals=(ref,)), "MASH-STRATEGY-DISCUSSION")
    thursday = datetime(2026, 5, 7, 16, 0, tzinfo=UTC)
    assert f.due_at == thursday and not f.satisfied
    assert "a strategy discussion is needed" in f.explanation
    one_day = parse_rules_config({"rules": {"MASH-STRATEGY-DISCUSSION": {"due_working_days": 1}}})
    (g,) = fired(person(referrals=(ref,)), "MASH-STRATEGY-DISCUSSION", one_day)
    assert g.due_at == datetime(2026, 5, 5, 16, 0, tzinfo=UTC)
    assert one_day.clocks.strategy_due(FRIDAY_5PM, one_day.calendar) == g.due_at
    held = referral(4, "mash", FRIDAY_5PM, rag="red",
                    statuses=(*needed, ("strategy_discussion_held", thursday)))  # fmt: skip
    assert not fired(person(referrals=(held,)), "MASH-STRATEGY-DISCUSSION")
    (late,) = fired(person(referrals=(held,)), "MASH-STRATEGY-DISCUSSION", one_day)
    assert late.satisfied and late.done_at == thursday


def test_right_6_is_one_working_day_with_enhanced_rights_and_five_without() -> None:
    da = event(1, at(0))
    theft = event(2, at(0), "other_crime")
    c1 = contact(1, "arrest", FRIDAY_5PM, event_id=1)
    c2 = contact(2, "arrest", FRIDAY_5PM, event_id=2)
    history = person(involvements=(involved(da), involved(theft)), contacts=(c1, c2))
    found = {f.key.rsplit("|", 1)[1]: f for f in fired(history, "VC-RIGHT6-UPDATE")}
    assert found["contact:1"].due_at == datetime(2026, 5, 5, 16, 0, tzinfo=UTC)
    assert "enhanced rights (victim of domestic abuse" in found["contact:1"].explanation
    assert found["contact:2"].due_at == datetime(2026, 5, 11, 16, 0, tzinfo=UTC)
    assert "standard rights" in found["contact:2"].explanation


def test_a_child_victim_has_enhanced_rights() -> None:
    theft = event(2, FRIDAY_5PM, "other_crime")
    c = contact(2, "decision_not_to_investigate", FRIDAY_5PM, event_id=2)
    (f,) = fired(
        person(dob=date(2012, 1, 1), involvements=(involved(theft),), contacts=(c,)),
        "VC-RIGHT6-UPDATE",
    )
    assert "a child is a vulnerable victim" in f.explanation


def test_a_victim_told_in_time_has_no_finding_and_an_on_time_check() -> None:
    c = contact(1, "arrest", FRIDAY_5PM, event_id=None, contacted_at=FRIDAY_5PM)
    evaluation = run(person(contacts=(c,)))
    assert not [f for f in evaluation.findings if f.rule_id == "VC-RIGHT6-UPDATE"]
    assert [c.on_time for c in evaluation.checks if c.rule_id == "VC-RIGHT6-UPDATE"] == [True]


def test_every_rule_has_an_id_a_description_a_domain_section_and_default_parameters() -> None:
    config = parse_rules_config()
    assert len({r.id for r in RULES}) == len(RULES)
    assert set(config.params) == {r.id for r in RULES}
    for rule in RULES:
        assert rule.description and rule.domain_sections
        for name in config.of(rule.id):
            assert f"`{name}`" in rule.description, (rule.id, name)


def test_an_enhanced_rights_victim_is_referred_to_support_within_2_working_days() -> None:
    da = event(1, FRIDAY_5PM)
    theft = event(2, FRIDAY_5PM, "other_crime")
    history = person(involvements=(involved(da), involved(theft)))
    (f,) = fired(history, "VC-SUPPORT-REFERRAL")
    assert f.event_id == 1 and f.due_at == datetime(2026, 5, 6, 16, 0, tzinfo=UTC)
    idva = referral(5, "idva", datetime(2026, 5, 5, 9, 0, tzinfo=UTC), event_id=1)
    assert not fired(person(involvements=(involved(da),), referrals=(idva,)), "VC-SUPPORT-REFERRAL")


def test_an_incident_reported_long_after_it_occurred_starts_its_clocks_at_the_report() -> None:

    occurred, reported = datetime(2024, 6, 1, 12, tzinfo=UTC), datetime(2025, 9, 1, 10, tzinfo=UTC)
    late = event(1, occurred, reported_at=reported)
    (dash_due,) = fired(person(involvements=(involved(late),)), "DA-DASH-COMPLETED")
    assert dash_due.due_at == reported + timedelta(hours=24)
    assert "reported 2025-09-01 11:00 BST" in dash_due.explanation
    child = person(dob=date(2015, 3, 1), involvements=(involved(late, "child_present"),))
    (school,) = fired(child, "OP-ENCOMPASS-SCHOOL-TOLD")
    assert school.due_at == datetime(2025, 9, 2, 7, 30, tzinfo=UTC)  # 08:30 BST, Tuesday


def test_an_incident_reported_as_it_occurs_keeps_its_clock_at_the_incident() -> None:

    occurred = datetime(2025, 1, 10, 12, tzinfo=UTC)
    same = event(1, occurred, reported_at=occurred - timedelta(minutes=5))  # report before: data
    (f,) = fired(person(involvements=(involved(same),)), "DA-DASH-COMPLETED")
    assert f.due_at == occurred + timedelta(hours=24) and "reported" not in f.explanation


def test_potential_escalation_is_due_once_the_force_knew_of_every_incident() -> None:
    t = datetime(2025, 1, 10, 12, tzinfo=UTC)
    late = event(2, t + timedelta(days=50), reported_at=datetime(2025, 9, 1, 10, tzinfo=UTC))
    evs = (event(1, t), late, event(3, t + timedelta(days=143)))
    (f,) = fired(person(involvements=tuple(involved(e) for e in evs)), "MARAC-POTENTIAL-ESCALATION")
    assert f.due_at == datetime(2025, 9, 2, 16, tzinfo=UTC)  # end of the next working day, BST
    assert "the last known of 2025-09-01 11:00 BST" in f.explanation
