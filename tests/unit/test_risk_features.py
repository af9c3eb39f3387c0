"""Risk model features and targets on hand-built histories, including the no-look-ahead rule,
the gate and the bands (which never change a grade)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pytest

from safeguard.domain.history import EventFact, InvolvementFact, Party, PersonHistory
from safeguard.domain.offences import default_classification
from safeguard.domain.risk.bands import band, needs_grade_review
from safeguard.domain.risk.explanation import drivers, probability
from safeguard.domain.risk.features import (
    DA_HISTORY,
    DASH,
    FeatureRow,
    da_features,
    missing_features,
    names_of,
    prediction_moment,
    severity,
)
from safeguard.domain.risk.gate import Measures, refusals
from safeguard.domain.risk.targets import Target, da_label, missing_label
from tests.unit.rules_facts import at, dash, episode, event, person, referral


def _da(eid: int, when: float, suspect: str = "P2", **kw: object) -> InvolvementFact:
    e = event(eid, at(when), **kw)  # type: ignore[arg-type]
    return InvolvementFact(eid, e, "victim", "partner", (Party(suspect, "suspect"),))


def _crime(eid: int, when: float, code: str, victim: str = "P9") -> InvolvementFact:
    e = event(eid, at(when), "violence_against_person", offence_code=code)
    return InvolvementFact(eid, e, "suspect", None, (Party(victim, "victim"),))


def _victim(*invs: InvolvementFact, **kw: object) -> PersonHistory:
    events = {i.event.event_id: i.event for i in invs}
    return person(involvements=invs, events=events, **kw).normalised()  # type: ignore[arg-type]


def _suspect(*invs: InvolvementFact) -> PersonHistory:
    events = {i.event.event_id: i.event for i in invs}
    return person(
        person_key="P2", person_id=2, dob=date(1985, 1, 1), involvements=invs, events=events
    ).normalised()


def _suspect_side(eid: int, when: float, victim: str = "P1") -> InvolvementFact:
    e = event(eid, at(when))
    return InvolvementFact(100 + eid, e, "suspect", None, (Party(victim, "victim"),))


def test_pair_features_count_the_pairs_history_and_the_suspects_offending() -> None:
    victim = _victim(
        _da(1, -1000),
        _da(2, -200),
        _da(3, -30),
        _da(4, 0, offence_code="8N", injury_level="minor"),
        _da(5, -100, suspect="P3"),
        referrals=(referral(1, "marac", at(-20)),),
        assessments=(dash(1, at(0, 2), 12, event_id=4),),
    )
    suspect = _suspect(
        _suspect_side(1, -1000), _suspect_side(2, -200), _suspect_side(3, -30),
        _suspect_side(4, 0), _suspect_side(6, -50, victim="P8"),
        _crime(20, -300, "8N"), _crime(21, -400, "8N"), _crime(22, -500, "19C"),
        _crime(23, -600, "30C"),
    )  # fmt: skip
    row = da_features(victim, suspect, 4)
    v = row.values
    assert v["pair_last_year"] == pytest.approx(math.log1p(2))  # events 2 and 3
    assert v["pair_three_years"] == pytest.approx(math.log1p(3))  # events 1, 2 and 3
    assert v["first_incident"] == 0.0
    assert v["log_months_since_last"] == pytest.approx(math.log1p(30 / 30))
    assert v["suspect_violent"] == pytest.approx(math.log1p(2))
    assert v["suspect_sexual"] == pytest.approx(math.log1p(1))
    assert v["suspect_other"] == pytest.approx(math.log1p(1))
    assert v["suspect_other_victims"] == pytest.approx(math.log1p(1))  # event 6, with P8
    assert v["victim_victimised"] == pytest.approx(math.log1p(1))  # event 5, another suspect
    assert v["prior_marac"] == 1.0 and v["injured"] == 1.0 and v["escalation"] == 1.0
    assert v["dash_form"] == 1.0 and v["dash_yes_count"] == 12.0 and v["dash_q12"] == 1.0
    assert v["victim_age"] == pytest.approx(34, abs=1) and v["suspect_age"] == pytest.approx(
        40, abs=1
    )
    assert set(row.evidence["pair_last_year"]) == {2, 3}
    assert set(row.values) == set(names_of(DA_HISTORY, DASH))


def test_no_look_ahead_later_records_change_no_feature() -> None:
    base = _victim(_da(1, -200), _da(2, 0), referrals=(referral(1, "marac", at(-10)),))
    later = _victim(
        _da(1, -200), _da(2, 0), _da(3, 5), _da(4, 40, suspect="P3"),
        _da(9, -1, reported_at=at(3)),  # occurred before, reported after the moment
        referrals=(referral(1, "marac", at(-10)), referral(2, "marac", at(2))),
        assessments=(dash(7, at(20), 20, event_id=2),),  # a form weeks later: not this one's
    )  # fmt: skip
    s_before = _suspect(_suspect_side(1, -200), _suspect_side(2, 0))
    s_after = _suspect(
        _suspect_side(1, -200), _suspect_side(2, 0), _crime(30, 1, "8N"), _suspect_side(3, 5)
    )
    assert da_features(base, s_before, 2).values == da_features(later, s_after, 2).values


def _da_as(eid: int, when: float, relationship: str, **kw: object) -> InvolvementFact:
    e = event(eid, at(when), **kw)  # type: ignore[arg-type]
    return InvolvementFact(eid, e, "victim", relationship, (Party("P2", "suspect"),))


def test_separation_severity_and_the_pairs_years_before() -> None:
    apart_long = _victim(
        _da(1, -700, offence_code="105A"),  # severity 2, one to three years before
        _da_as(2, -400, "ex_partner", offence_code="8N", injury_level="minor"),  # severity 3
        _da(3, -100),  # severity 0
        _da_as(4, 0, "ex_partner", offence_code="19C"),  # sexual: severity 4
    )
    v = da_features(apart_long, _suspect(), 4).values
    assert v["pair_years_before"] == pytest.approx(math.log1p(2))  # events 1 and 2
    assert v["pair_last_year"] == pytest.approx(math.log1p(1))  # event 3
    assert v["incident_severity"] == 4.0
    assert v["pair_prior_severity"] == pytest.approx((2 + 3 + 0) / 3)
    assert v["separated"] == 1.0 and v["newly_separated"] == 0.0  # apart since day -400
    just_apart = _victim(_da(1, -100), _da_as(2, -60, "ex_partner"), _da_as(3, 0, "ex_partner"))
    row = da_features(just_apart, _suspect(), 3)
    assert row.values["newly_separated"] == 1.0 and row.evidence["newly_separated"] == (3,)
    assert row.values["pair_years_before"] == 0.0 and row.values["pair_prior_severity"] == 0.0
    first = da_features(_victim(_da(1, 0)), None, 1).values
    assert first["newly_separated"] == 0.0 and first["pair_prior_severity"] == 0.0


def test_no_look_ahead_for_separation_an_ex_partner_record_reported_later_is_unseen() -> None:
    now = _victim(_da(1, -300), _da_as(2, 0, "ex_partner"))
    later = _victim(
        _da(1, -300),
        _da_as(2, 0, "ex_partner"),
        _da_as(9, -200, "ex_partner", reported_at=at(3)),  # would make the separation old
        _da_as(10, 30, "ex_partner", offence_code="8N", injury_level="serious"),
    )
    assert da_features(now, _suspect(), 2).values["newly_separated"] == 1.0
    assert da_features(later, _suspect(), 2).values == da_features(now, _suspect(), 2).values


def test_each_persons_own_domestic_abuse_counts_when_the_pair_is_split_across_records() -> None:
    # The pair's incidents at -300 and -100 were linked to another record of the suspect
    # (P5) on the victim's side, and to another record of the victim (P7) on the suspect's: the
    # pair counts miss them, each person's own domestic-abuse history keeps them.
    victim = _victim(
        _da(1, -300, suspect="P5"), _da(2, -100, suspect="P5"), _da(3, -500), _da(4, 0)
    )
    suspect = _suspect(
        _suspect_side(11, -200, victim="P7"), _suspect_side(12, -40, victim="P7"),
        _suspect_side(13, -400, victim="P7"), _suspect_side(3, -500), _suspect_side(4, 0),
    )  # fmt: skip
    row = da_features(victim, suspect, 4)
    v = row.values
    assert v["pair_last_year"] == 0.0 and v["pair_three_years"] == pytest.approx(math.log1p(1))
    assert v["victim_da_last_year"] == pytest.approx(math.log1p(2))  # events 1 and 2, not 3
    assert v["suspect_da_last_year"] == pytest.approx(math.log1p(2))  # events 11 and 12
    assert v["log_months_since_either"] == pytest.approx(math.log1p(40 / 30))  # event 12
    assert set(row.evidence["victim_da_last_year"]) == {1, 2}
    assert row.evidence["log_months_since_either"] == (12,)
    first = da_features(_victim(_da(1, 0)), None, 1).values
    assert first["victim_da_last_year"] == first["suspect_da_last_year"] == 0.0
    assert first["log_months_since_either"] == 0.0


def test_no_look_ahead_for_each_persons_own_domestic_abuse() -> None:
    now = _victim(_da(1, -100, suspect="P5"), _da(2, 0))
    later = _victim(
        _da(1, -100, suspect="P5"), _da(2, 0),
        _da(8, 10, suspect="P5"),  # after the incident
        _da(9, -20, suspect="P6", reported_at=at(3)),  # occurred before, reported after
    )  # fmt: skip
    s_now = _suspect(_suspect_side(2, 0), _suspect_side(21, -60, victim="P7"))
    s_later = _suspect(
        _suspect_side(2, 0), _suspect_side(21, -60, victim="P7"),
        _suspect_side(22, 5, victim="P7"), _suspect_side(23, 1, victim="P8"),
    )  # fmt: skip
    assert da_features(now, s_now, 2).values == da_features(later, s_later, 2).values
    assert da_features(now, s_now, 2).values["log_months_since_either"] == pytest.approx(
        math.log1p(60 / 30)
    )


def test_the_prediction_moment_waits_for_the_incidents_dash_form_within_a_week() -> None:
    h = _victim(_da(1, 0), assessments=(dash(1, at(0, 5), 3, event_id=1),))
    assert prediction_moment(h, h.events[1]) == at(0, 5)
    h2 = _victim(_da(1, 0), assessments=(dash(1, at(9), 3, event_id=1),))
    assert prediction_moment(h2, h2.events[1]) == at(0)
    assert da_features(h2, None, 1).values["dash_form"] == 0.0


def test_a_first_incident_with_an_unknown_suspect_has_zero_counts() -> None:
    row = da_features(_victim(_da(1, 0)), None, 1)
    assert row.values["first_incident"] == 1.0
    assert row.values["pair_last_year"] == 0.0 and row.values["suspect_violent"] == 0.0
    with pytest.raises(ValueError):
        da_features(_victim(_da(1, 0)), None, 99)


def test_severity_ranks_injury_and_sexual_offences() -> None:
    off = default_classification()
    e = EventFact(1, "domestic_abuse", at(0))
    assert severity(e, off) == 0
    assert severity(replace(e, offence_code="105A"), off) == 2
    assert severity(replace(e, offence_code="8N", injury_level="minor"), off) == 3
    assert severity(replace(e, offence_code="19C"), off) == 4
    assert severity(replace(e, offence_code="X99"), off) == 1


def test_da_targets_look_twelve_months_ahead_only_where_follow_up_is_complete() -> None:
    h = _victim(_da(1, 0), _da(2, 300, offence_code="8N", injury_level="serious"), _da(3, 500))
    end = at(800)
    assert da_label(h, "P2", 1, Target.DA_REPEAT, end).outcome  # type: ignore[union-attr]
    assert da_label(h, "P2", 1, Target.DA_SERIOUS_HARM, end).because == 2  # type: ignore[union-attr]
    assert not da_label(h, "P2", 3, Target.DA_REPEAT, at(900)).outcome  # type: ignore[union-attr]
    assert da_label(h, "P2", 3, Target.DA_REPEAT, at(600)) is None  # follow-up not over
    assert not da_label(h, "P3", 1, Target.DA_REPEAT, end).outcome  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        da_label(h, "P2", 1, Target.MISSING_REPEAT, end)


def test_missing_features_and_target() -> None:
    child = person(
        dob=date(2010, 1, 1),
        missing=(
            episode(1, at(-200), event_id=11, exploitation_flag=True),
            episode(2, at(-30), event_id=12),
            episode(3, at(0), event_id=13, in_care=True),
            episode(4, at(60), event_id=14),
        ),
    ).normalised()
    row = missing_features(child, 3)
    assert row.values["last_90_days"] == pytest.approx(math.log1p(1))
    assert row.values["year_before"] == pytest.approx(math.log1p(1))
    assert row.values["flagged_before"] == pytest.approx(math.log1p(1))
    assert row.values["in_care"] == 1.0 and row.values["no_interview_after_last"] == 1.0
    assert row.values["age"] == 15.0
    assert missing_label(child, 3, at(100)).outcome  # type: ignore[union-attr]
    assert missing_label(child, 4, at(100)) is None
    assert not missing_label(child, 4, at(200)).outcome  # type: ignore[union-attr]
    assert missing_features(replace(child, missing=child.missing[:3]), 3).values == row.values
    with pytest.raises(ValueError):
        missing_features(child, 99)


def test_drivers_name_the_largest_raising_contributions_with_their_records() -> None:
    row = FeatureRow({"pair_last_year": 1.1, "injured": 1.0}, {"pair_last_year": (2, 3)})
    found = drivers(row, {"pair_last_year": 0.8, "injured": 0.2, "victim_age": -0.4})
    assert [d.feature for d in found] == ["pair_last_year", "injured"]
    assert found[0].records == (2, 3) and "pair" in found[0].words
    assert probability(0.0, {"a": 0.0}) == 0.5


def test_the_gate_refuses_no_margin_miscalibration_and_a_group_gap() -> None:
    assert refusals(Measures(0.80, 0.56, 0.02, {"sex=F": 0.80, "sex=M": 0.78})) == []
    why = refusals(Measures(0.59, 0.56, 0.05, {"sex=F": 0.70, "sex=M": 0.60}))
    assert len(why) == 3
    assert "DASH" in why[0] and "ECE 0.050" in why[1] and "sex=M 0.600" in why[2]
    assert refusals(Measures(0.7, None, 0.01)) == []


def test_bands_and_the_review_rule_never_lower_a_grade() -> None:
    assert band(0.9, Target.DA_REPEAT) == "high" and band(0.01, Target.DA_SERIOUS_HARM) == "low"
    assert needs_grade_review("high", "standard")
    for grade in ("medium", "high", None):
        assert not needs_grade_review("high", grade)
    for b in ("low", "medium"):
        assert not needs_grade_review(b, "standard")


def test_board_validity_auc_matches_the_rank_definition_and_withholds_small_groups() -> None:
    from datetime import date as d

    from safeguard.domain.board_validity import ValidityItem, auc, predictive_validity

    assert auc([(0.1, False), (0.4, True), (0.35, False), (0.8, True)]) == 1.0
    assert auc([(0.1, True), (0.4, False), (0.5, True), (0.3, False)]) == 0.5
    items = [
        ValidityItem(i % 3 == 0, float(i % 5), "high" if i % 3 == 0 else "standard",
                     0.9 if i % 3 == 0 else 0.1, "North" if i < 60 else "West", "T1")
        for i in range(70)
    ]  # fmt: skip
    v = predictive_validity(items, d(2024, 1, 1), d(2024, 12, 31), threshold=10, model_version=2)
    assert v.overall.n == 70 and v.overall.model == 1.0 and v.overall.officer == 1.0
    north, west = v.by_area
    assert north.n == 60 and west.n is None and west.model is None  # 10 in West: withheld
