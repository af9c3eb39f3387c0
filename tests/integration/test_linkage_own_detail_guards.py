"""A known-as name recorded with one person's own middle name, mobile or PNC id is not a twin;
two names seen as two people in one event stay two people elsewhere (DuckDB SQL guards)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from safeguard.adapters.linkage import guard_details
from tests.integration.test_linkage_component_guards import _guards_in_one_component, _m

DOB = date(2009, 5, 14)


def test_a_known_as_name_with_the_persons_middle_name_is_not_a_twin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [
        _m(1, "Jessica Anne", DOB, sex="female"),  # her usual name, with her middle name
        _m(2, "Jessica", DOB, sex="female"),
        _m(3, "Kayleigh Anne", DOB, sex="female"),  # her known-as name, with her middle name
        _m(4, "Oliver James", DOB, sex="male"),  # her twin, his own middle name
        _m(5, "Molly A", DOB, sex="female"),  # an initial is not a middle name
    ]
    found = _guards_in_one_component(rows)
    assert (1, 3) not in found and (2, 3) not in found  # Kayleigh is Jessica's other name
    assert found[(1, 4)] == "twins" and found[(3, 4)] == "twins"
    assert found[(1, 5)] == "twins"
    monkeypatch.setattr(guard_details, "WAIVE_BY_MIDDLE", False)
    assert _guards_in_one_component(rows)[(1, 3)] == "twins"


def test_a_shared_mobile_waives_nothing_by_default() -> None:
    """Adult twins recorded with their mother's mobile, her own records without it: the
    number looks like one person's own, so a mobile is not read as one by default."""
    mobile = "07700 900123"
    rows = [_m(1, "Jessica", DOB, phone=mobile), _m(2, "Oliver", DOB, phone=mobile)]
    assert guard_details.WAIVE_BY_MOBILE is False
    assert _guards_in_one_component(rows)[(1, 2)] == "twins"


def test_a_known_as_name_with_the_persons_mobile_is_not_a_twin_but_a_household_phone_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the mobile waiver switched on (``WAIVE_BY_MOBILE``)."""
    monkeypatch.setattr(guard_details, "WAIVE_BY_MOBILE", True)
    mobile, landline = "07700 900123", "01228 555123"
    rows = [
        _m(1, "Jessica", DOB, phone=mobile),
        _m(2, "Kayleigh", DOB, phone=mobile),  # her known-as name, her own mobile
        _m(3, "Oliver", DOB, phone=landline),  # her twin, the house's landline
        _m(4, "Jessica", DOB, phone=landline),
    ]
    found = _guards_in_one_component(rows)
    assert (1, 2) not in found and (2, 4) not in found
    assert found[(1, 3)] == "twins" and found[(3, 4)] == "twins"
    # the mother's mobile on both twins' records and her own: a household's number
    rows = [
        _m(1, "Jessica", DOB, phone=mobile),
        _m(2, "Oliver", DOB, phone=mobile),
        _m(3, "Karen", date(1981, 2, 3), phone=mobile),
    ]
    assert _guards_in_one_component(rows)[(1, 2)] == "twins"
    # a child's record carries a parent's mobile: at ten, the number is not the child's own
    young = date(2015, 5, 23)
    rows = [_m(1, "Winnie", young, phone=mobile), _m(2, "Charlotte", young, phone=mobile)]
    assert _guards_in_one_component(rows)[(1, 2)] == "twins"
    # the landline waives nothing, and the waiver off leaves the guard
    rows = [_m(1, "Jessica", DOB, phone=landline), _m(2, "Kayleigh", DOB, phone=landline)]
    assert _guards_in_one_component(rows)[(1, 2)] == "twins"
    monkeypatch.setattr(guard_details, "WAIVE_BY_MOBILE", False)
    rows = [_m(1, "Jessica", DOB, phone=mobile), _m(2, "Kayleigh", DOB, phone=mobile)]
    assert _guards_in_one_component(rows)[(1, 2)] == "twins"


def test_an_undated_known_as_name_with_the_persons_pnc_id_is_not_a_sibling() -> None:
    pnc = "2019/0012345A"
    rows: list[dict[str, Any]] = [
        _m(1, "Jessica", DOB, pnc_id=pnc),
        _m(2, "Jessica", DOB),
        _m(3, "Kayleigh", None, age=16, mention_date=date(2025, 9, 1)),  # undated, no PNC
        _m(4, "Kayleigh", None, age=16, mention_date=date(2025, 9, 1), pnc_id=pnc),
    ]
    found = _guards_in_one_component(rows, enabled=frozenset({"undated_sibling"}))
    assert not {(1, 3), (2, 3), (1, 4), (2, 4)} & set(found)  # one PNC id: one person's names
    found = _guards_in_one_component(rows[:3], enabled=frozenset({"undated_sibling"}))
    assert found[(1, 3)] == "undated_sibling"  # without it: a sibling recorded with an age


def test_two_names_named_in_one_event_are_two_people_wherever_else_they_are_recorded() -> None:
    rows = [
        _m(1, "Jessica", DOB),
        _m(2, "Kayleigh", DOB),  # one domestic call names both: two people
        _m(3, "Jessica", None, age=16, mention_date=date(2025, 9, 1)),
        _m(4, "Kayleigh", None, age=16, mention_date=date(2025, 9, 1)),
        _m(5, "Jess", None, age=16, mention_date=date(2025, 9, 1)),  # a nickname: not apart
        _m(6, "Kayleigh", None, age=40, mention_date=date(2025, 9, 1)),  # another generation
    ]
    found = _guards_in_one_component(
        rows, events=[(1, 10), (2, 10)], enabled=frozenset({"named_apart", "one_event"})
    )
    assert found[(1, 2)] in ("one_event", "named_apart")  # both hold
    assert found[(3, 4)] == "named_apart" and found[(1, 4)] == "named_apart"
    assert (4, 5) not in found and (2, 5) not in found
    assert (3, 6) not in found  # birth years apart: not the event's Kayleigh
    assert _guards_in_one_component(rows, events=[(1, 10), (2, 10)], enabled=frozenset()) == {}
