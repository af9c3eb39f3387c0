"""Guards applied inside components (DuckDB SQL): hard cases by hand, and households."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from safeguard.adapters.linkage import guard_details, guards
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.adapters.linkage.engine import FEATURES_ALL, LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.adapters.linkage.guards import GUARDS, component_guard_pairs, guards_between
from safeguard.domain.linking import pairwise_scores
from tests.linkage_data import make_households, relation_merge_rates

TODAY = date(2026, 6, 1)
ADDRESS = "4 mill lane carlisle"


def _m(i: int, forenames: str, dob: date | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": i,
        "forenames": forenames,
        "surname": extra.pop("surname", "Walker"),
        "date_of_birth": dob,
        "address": ADDRESS,
        "postcode": "CA1 2AB",
        "mention_date": date(2025, 3, 1),
        **extra,
    }


def _guards_in_one_component(
    rows: list[dict[str, Any]],
    *,
    events: list[tuple[int, int]] | None = None,
    weak: list[tuple[int, int]] | None = None,
    enabled: frozenset[str] = frozenset(GUARDS),
) -> dict[tuple[int, int], str]:
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        if events:
            session.load_events(
                pa.table({"mention_id": [m for m, _ in events], "event_id": [e for _, e in events]})
            )
        if weak:
            session.con.execute("create table weak_pairs (a bigint, b bigint)")
            session.con.executemany("insert into weak_pairs values (?, ?)", weak)
        ids = np.array(sorted(r["id"] for r in rows), dtype=np.int64)
        left, right, names = component_guard_pairs(
            session.con, FEATURES_ALL, ids, np.zeros(len(ids), np.int64), enabled=enabled
        )
    return {(int(a), int(b)): g for a, b, g in zip(left, right, names, strict=True)}


def test_twins_with_different_initials_or_sex_are_two_people():
    twin_dob = date(2010, 4, 5)
    found = _guards_in_one_component(
        [
            _m(1, "Oliver", twin_dob, sex="male"),
            _m(2, "Harriet", twin_dob, sex="female"),
            _m(3, "H", twin_dob, sex="female"),
            _m(4, "Sam", twin_dob, sex="male"),
            _m(5, "Sam", twin_dob, sex="female"),  # same name, different sex: not enough alone
        ]
    )
    assert found[(1, 2)] in ("twins", "household_member")
    assert found[(1, 3)] == "twins"  # an initial that is not Oliver's
    assert (2, 3) not in found  # H is Harriet's initial
    assert (4, 5) not in found


def test_same_named_father_and_son_apart_by_generation_and_by_jr_sr():
    found = _guards_in_one_component(
        [
            _m(1, "John", date(1961, 2, 3)),
            _m(2, "John", date(1988, 7, 9)),
            _m(3, "John Jr", None),
            _m(4, "John Snr", None),
            _m(5, "John", None, age=36),  # age-only: born about 1989
            _m(7, "John", date(1691, 2, 3)),  # 1961 with two digits swapped: a typo
        ]
    )
    assert found[(1, 2)] == "generation"
    assert found[(3, 4)] == "junior_senior"
    assert found[(1, 5)] == "generation"
    assert (2, 5) not in found
    # a typo of the same date is not a generation apart (1691 is impossible, so read as no date:
    # an undated John where two Johns a generation apart are recorded joins neither)
    assert found.get((1, 7)) == "undated_namesake"


def test_two_firm_dates_of_birth_split_a_component_but_one_odd_date_does_not():
    found = _guards_in_one_component(
        [
            _m(1, "Jack", date(1990, 3, 4)),
            _m(2, "Jack", date(1990, 3, 4)),
            _m(3, "Jack", date(1993, 8, 21)),
            _m(4, "Jack", date(1993, 8, 21)),
            _m(5, "Jack", date(1996, 11, 30)),  # recorded once: maybe a typo, left to the model
            _m(6, "Jack", date(1990, 4, 3)),  # day and month swapped
        ],
        enabled=frozenset({"firm_dob"}),
    )
    assert found[(1, 3)] == "firm_dob" and found[(2, 4)] == "firm_dob"
    assert (1, 5) not in found and (3, 5) not in found
    assert (1, 6) not in found


def test_two_dates_of_birth_years_apart_are_two_people_whatever_the_forenames():
    found = _guards_in_one_component(
        [
            _m(1, "Mohammed", date(2021, 12, 10)),  # brothers of one forename (diverse names)
            _m(2, "Mohammed", date(2025, 2, 11)),
            _m(3, "Mohammed", date(2021, 12, 1)),  # one digit wrong: a typo of 1's date
            _m(4, "Mohammed", date(2021, 10, 12)),  # day and month swapped
            _m(5, "Mohammed", date(2022, 12, 10)),  # a year typed wrong, one digit: a typo
            _m(6, "Mohammed", None, age=1),  # an age only: age_apart's, not this guard's
            _m(7, "Mohammed", date(2019, 3, 4), pnc_id="2019/0012345A"),
            _m(8, "Mohammed", date(2025, 2, 11), pnc_id="2019/0012345A"),  # one PNC id
        ],
        enabled=frozenset({"dob_apart"}),
    )
    assert found[(1, 2)] == "dob_apart" and found[(2, 3)] == "dob_apart"
    assert not {(1, 3), (1, 4), (1, 5), (3, 4)} & set(found)  # one date, mistyped or swapped
    assert all(6 not in pair for pair in found)
    # a PNC id shared: one person, and 7's PNC group holds a mention written as 2 is
    assert (7, 8) not in found and (2, 7) not in found
    assert found[(1, 7)] == "dob_apart"


def test_different_forenames_with_ages_years_apart_are_two_people():
    only = frozenset({"age_apart"})
    found = _guards_in_one_component(
        [
            _m(1, "Harriet", None, age=8),  # a referral: age only, born about 2017
            _m(2, "Deborah", date(2022, 1, 29)),  # her sister, five years younger
            _m(3, "Deborah", None, age=6),  # two years off: a command-and-control estimate
            _m(4, "Debbie", None, age=12),  # a nickname of Deborah: left to the model
            _m(5, "Charlotte", date(2016, 5, 1)),  # both dated: household_member's, not this
        ],
        enabled=only,
    )
    assert found[(1, 2)] == "age_apart"
    assert (1, 3) not in found  # one or two years apart: an estimate, not two people
    assert (2, 4) not in found and (3, 4) not in found
    assert (2, 5) not in found


def test_an_undated_mention_with_another_forename_at_one_address_is_a_sibling(
    monkeypatch: pytest.MonkeyPatch,
):
    # every forename here is recorded more than once: judged as before the lone-name rule
    monkeypatch.setattr(guards, "UNDATED_SIBLING_LONE_ONLY", False)
    # 7 and 8 share a PNC id, which would make Charlotte Winnie's other name for every pair
    # (``WAIVE_BY_PNC_NAME``, tests/integration/test_linkage_own_detail_guards.py); here the
    # pairs are judged one by one
    monkeypatch.setattr(guard_details, "WAIVE_BY_PNC_NAME", False)
    found = _guards_in_one_component(
        [
            _m(1, "Winnie", date(2015, 5, 23)),
            _m(2, "Charlotte", None, age=10),  # a referral: age only, her twin's age
            _m(3, "Charlotte", None, age=10, phone="07700 900123"),
            _m(4, "Winnie", None, age=10, phone="07700 900123"),  # the household's phone
            _m(7, "Charlotte", None, age=10, pnc_id="2015/0011111A"),
            _m(8, "Winnie", date(2015, 5, 23), pnc_id="2015/0011111A"),  # one PNC id: left alone
            _m(5, "Winifred", None, age=10),  # Winnie's full name: one person
            _m(6, "Mark", date(2015, 5, 23), surname="Hall"),  # another surname
        ],
        enabled=frozenset({"undated_sibling"}),
    )
    assert found[(1, 2)] == "undated_sibling"
    assert found[(3, 4)] == "undated_sibling"  # a phone is the household's, not a person's
    assert (7, 8) not in found
    assert (1, 5) not in found and (4, 5) not in found
    assert all(6 not in pair for pair in found)
    assert (1, 4) not in found  # the same forename


def test_undated_sibling_leaves_two_forenames_each_recorded_again_and_again_to_firm_forenames():
    twin_dob = date(2015, 5, 23)
    rows = [
        _m(1, "Winnie", twin_dob),
        _m(2, "Winnie", twin_dob),
        _m(3, "Charlotte", None, age=10),  # a name recorded once: a twin's referral?
        _m(4, "Kayleigh", None, age=10),  # a habitual known-as name, recorded twice
        _m(5, "Kayleigh", None, age=10),
    ]
    found = _guards_in_one_component(rows, enabled=frozenset({"undated_sibling"}))
    assert found[(1, 3)] == "undated_sibling" and found[(2, 3)] == "undated_sibling"
    assert found[(3, 4)] == "undated_sibling"  # Charlotte is recorded once
    # Winnie and Kayleigh are each recorded twice: not this guard's to split
    assert not {(1, 4), (1, 5), (2, 4), (2, 5)} & set(found)
    both = _guards_in_one_component(rows, enabled=frozenset({"undated_sibling", "firm_forenames"}))
    assert both[(1, 4)] == "firm_forenames" and both[(2, 5)] == "firm_forenames"


def test_two_firm_different_forenames_split_a_component_but_a_lone_alias_does_not():
    twin_dob = date(2015, 5, 23)
    found = _guards_in_one_component(
        [
            _m(1, "Isla", twin_dob),
            _m(2, "Isla", None, age=10),
            _m(3, "Ivy", twin_dob),  # one initial with Isla: the twins guard cannot tell
            _m(4, "Ivy", twin_dob),
            _m(5, "Winnie", twin_dob),  # recorded once (a known-as name?): left to the model
            _m(6, "Izzy", None, surname="Hall"),  # another surname: not this guard's
            _m(7, "Izzy", None, surname="Hall"),
        ],
        enabled=frozenset({"firm_forenames"}),
    )
    assert found[(1, 3)] == "firm_forenames" and found[(2, 4)] == "firm_forenames"
    assert all(5 not in pair for pair in found)
    assert all(6 not in pair and 7 not in pair for pair in found)


def test_two_people_in_one_event_and_model_look_alikes():
    found = _guards_in_one_component(
        [_m(1, "Kate", date(1980, 1, 1)), _m(2, "Kate", date(1980, 1, 1)), _m(3, "Kate", None)],
        events=[(1, 10), (2, 10), (3, 11)],
        weak=[(1, 3)],
    )
    assert found[(1, 2)] == "one_event"
    assert found[(1, 3)] == "look_alike"


def test_a_guard_turned_off_finds_nothing():
    rows = [_m(1, "John", date(1961, 2, 3)), _m(2, "John", date(1988, 7, 9))]
    both = frozenset({"generation", "dob_apart"})  # the two guards that read these dates
    assert _guards_in_one_component(rows, enabled=frozenset(GUARDS) - both) == {}


def test_guards_between_two_mentions_name_every_guard_that_applies():
    rows = [_m(1, "John Snr", date(1961, 2, 3)), _m(2, "John Jr", date(1988, 7, 9))]
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        assert set(guards_between(session.con, FEATURES_ALL, 1, 2)) == {
            "generation",
            "dob_apart",
            "junior_senior",
        }


@pytest.fixture(scope="module")
def households_linked() -> Any:
    data = make_households(600, seed=5)
    events = pa.table(
        {"mention_id": [m for m, _ in data.events], "event_id": [e for _, e in data.events]}
    )
    with LinkingSession() as session:
        session.load(raw_from_records(data.rows), today=TODAY)
        session.load_events(events)
        session.train()
        prediction = session.predict(threshold=0.95)
        ids, unlinkable = session.mention_ids(), session.unlinkable()

        def run(off: frozenset[str]) -> dict[int, int]:
            return cluster_prediction(
                ids,
                prediction,
                threshold=0.95,
                isolated=unlinkable,
                guard_pairs=session.guard_pairs(off),
            ).cluster_of

        yield data, run


def test_households_stay_apart_with_the_guards_and_merge_without_them(households_linked):
    data, run = households_linked
    truth = {r["id"]: r["person_key"] for r in data.rows}
    on, off = run(frozenset()), run(frozenset(GUARDS))
    scores_on, scores_off = pairwise_scores(on, truth), pairwise_scores(off, truth)
    assert scores_on.precision > 0.95 and scores_on.recall > 0.95
    assert scores_off.precision < scores_on.precision - 0.2
    rates = relation_merge_rates(on, data)
    assert rates["parent_child"][0] / rates["parent_child"][1] < 0.05
    assert rates["partners"][0] / rates["partners"][1] < 0.05
    assert relation_merge_rates(off, data)["twins"][0] > rates["twins"][0]


def test_a_pnc_id_shared_with_a_mention_written_as_the_other_waives_the_guard(
    monkeypatch: pytest.MonkeyPatch,
):
    from safeguard.adapters.linkage import guards

    dob = date(1990, 6, 7)
    rows = [
        _m(1, "Kayleigh", dob, pnc_id="2001/0012345A"),  # a known-as name, with her PNC id
        _m(2, "Jessica", dob, pnc_id="2001/0012345A"),  # her usual name, the same PNC id
        _m(3, "Jessica", dob),  # a command-and-control call: no PNC id
        _m(4, "Oliver", dob),  # her twin: written as nobody in her PNC group
        _m(5, "Jessica", date(1965, 1, 2), pnc_id="1985/0099999Z"),  # her mother, one name
        _m(6, "Kayleigh", date(1965, 1, 2)),  # the mother's known-as, not the PNC group's dob
    ]
    found = _guards_in_one_component(rows)
    assert (1, 2) not in found  # one PNC id: never guarded
    assert (1, 3) not in found  # waived: 2 is 1 by PNC id, and 3 is written as 2
    assert found[(1, 4)] == "twins" and found[(3, 4)] == "twins"  # the twin stays apart
    assert found[(2, 5)] == "generation" and found[(3, 5)] == "generation"
    assert found[(1, 6)] in ("generation", "household_member")  # no PNC mention written as 6
    monkeypatch.setattr(guards, "WAIVE_BY_PNC_GROUP", False)
    assert (1, 3) not in _guards_in_one_component(rows)  # Kayleigh has Jessica's PNC id
    monkeypatch.setattr(guard_details, "WAIVE_BY_PNC_NAME", False)
    assert _guards_in_one_component(rows)[(1, 3)] == "twins"  # off: the known-as name is cut off


def test_an_undated_mention_of_a_name_two_generations_carry_joins_neither():
    only = frozenset({"undated_namesake"})
    rows = [
        _m(1, "John", date(1961, 2, 3), pnc_id="1980/0011111A"),  # the father
        _m(2, "John", date(1988, 7, 9)),  # his son, one name
        _m(3, "John", None),  # no date of birth, no age: either of them
        _m(4, "John", None, pnc_id="1980/0011111A"),  # undated, but the father's PNC id
        _m(5, "Jon", None),  # another forename (a typo?): left to the model
        _m(6, "John", None, age=37),  # an age: the generation guard's, not this one's
    ]
    found = _guards_in_one_component(rows, enabled=only)
    assert found[(1, 3)] == "undated_namesake" and found[(2, 3)] == "undated_namesake"
    assert (1, 4) not in found and found[(2, 4)] == "undated_namesake"
    assert all(5 not in pair for pair in found)
    assert (1, 6) not in found and (2, 6) not in found  # dated by age: the generation guard's
    assert found[(3, 6)] == "undated_namesake"  # the age says the son; the undated one, nothing
    assert (3, 4) not in found  # both undated
    # without a namesake a generation apart (the son's record alone), nothing is kept apart
    assert _guards_in_one_component([rows[1], rows[2]], enabled=only) == {}


def test_a_record_made_before_someone_was_born_is_not_theirs():
    # the father's one record: no date of birth, no age, made in 2019
    father = _m(1, "Nole", None, mention_date=date(2019, 5, 1))
    found = _guards_in_one_component(
        [
            father,
            _m(2, "Nole", date(2021, 8, 3)),  # born two years after it: the son
            _m(3, "Nole", date(2019, 11, 20)),  # born later in 2019: not a whole year, left
            _m(4, "Nole", None, age=2),  # age only, born about 2023 (2025 - 2)
            _m(5, "Nole", None, age=4),  # about 2021: within an age's slack of 2019, left
        ],
        enabled=frozenset({"generation"}),
    )
    assert found == {(1, 2): "generation", (1, 4): "generation"}


def test_born_after_the_record_is_waived_by_a_shared_pnc_id_and_off_with_generation():
    rows = [
        _m(1, "Nole", None, mention_date=date(2019, 5, 1), pnc_id="19/123456A"),
        _m(2, "Nole", date(2021, 8, 3), pnc_id="19/123456A"),
    ]
    assert _guards_in_one_component(rows, enabled=frozenset({"generation"})) == {}
    del rows[0]["pnc_id"]
    assert _guards_in_one_component(rows, enabled=frozenset(GUARDS) - {"generation"}) == {}
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        assert "generation" in guards_between(session.con, FEATURES_ALL, 1, 2)
