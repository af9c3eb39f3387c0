"""The pure part of person linking: normalisation, unlinkable reasons, clustering, stable ids."""

from __future__ import annotations

from datetime import date

import pytest

from safeguard.domain.linking import (
    Constraints,
    UnlinkableReason,
    assign_person_ids,
    canonical_forename,
    cluster_mentions,
    mention_features,
    normalise_phone,
    normalise_postcode,
    normalise_surname,
    pairwise_scores,
    review_priority,
    split_forenames,
    swapped_day_month,
)

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("nickname", "canonical"),
    [("bob", "robert"), ("liz", "elizabeth"), ("jim", "james"), ("peggy", "margaret")],
)
def test_nicknames_share_the_canonical_forename_of_the_formal_name(nickname, canonical):
    assert canonical_forename(nickname) == canonical_forename(canonical) == canonical


def test_an_unknown_forename_is_its_own_canonical_form():
    assert canonical_forename("zebedee") == "zebedee"


def test_titles_are_dropped_and_middle_names_kept_apart():
    assert split_forenames("Mr. John  Paul") == ("john", "paul")
    assert split_forenames("  ") == (None, None)


def test_hyphenated_and_spaced_surnames_normalise_alike():
    assert normalise_surname("Smith - Jones") == normalise_surname("SMITH JONES") == "smith-jones"
    assert normalise_surname("O'Brien") == "obrien"


def test_uk_postcodes_give_sector_and_district_and_others_keep_the_code():
    assert normalise_postcode("ca12ab") == ("CA1 2AB", "CA1 2", "CA1")
    assert normalise_postcode("4223") == ("4223", None, None)
    assert normalise_postcode(" ") == (None, None, None)


def test_phone_numbers_compare_as_national_digits():
    assert normalise_phone("+44 7700 900123") == normalise_phone("07700-900123") == "07700900123"
    assert normalise_phone("123") is None


def test_day_and_month_swap_only_where_it_makes_a_different_real_date():
    assert swapped_day_month(date(1980, 3, 4)) == "1980-04-03"
    assert swapped_day_month(date(1980, 3, 14)) is None
    assert swapped_day_month(date(1980, 3, 3)) is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"surname": None, "forenames": None, "date_of_birth": date(1980, 1, 1)}, "no_name"),
        ({"forenames": "J", "surname": "S", "postcode": "CA1 2AB"}, "initials_only"),
        ({"forenames": "Ann", "surname": "Lee", "date_of_birth": date(1850, 1, 1)}, "impossible"),
        ({"forenames": "Ann", "surname": "Lee", "date_of_birth": date(2030, 1, 1)}, "impossible"),
        ({"forenames": None, "surname": "Lee"}, "single_field"),
    ],
)
def test_mentions_that_cannot_be_linked_say_why(fields, reason):
    features = mention_features({"id": 1, **fields}, today=TODAY)
    assert features.unlinkable is not None
    assert str(features.unlinkable).startswith(reason)


def test_an_impossible_date_of_birth_is_not_compared():
    features = mention_features(
        {"id": 1, "forenames": "Ann", "surname": "Lee", "date_of_birth": date(2030, 1, 1)},
        today=TODAY,
    )
    assert features.unlinkable is UnlinkableReason.IMPOSSIBLE_DATE_OF_BIRTH
    assert features.dob is None


def test_an_age_only_mention_gets_an_estimated_birth_year():
    features = mention_features(
        {
            "id": 1,
            "forenames": "Ann",
            "surname": "Lee",
            "age": 30,
            "mention_date": date(2020, 5, 1),
        },
        today=TODAY,
    )
    assert features.unlinkable is None
    assert features.birth_year == 1990


def test_the_strongest_links_join_clusters():
    clusters = cluster_mentions(
        [1, 2, 3, 4], [(1, 2, 0.99), (3, 4, 0.97), (2, 3, 0.4)], threshold=0.9
    )
    assert clusters.cluster_of == {1: 1, 2: 1, 3: 3, 4: 3}
    assert clusters.refused == []


def test_a_hard_negative_stops_a_chain_through_an_undated_mention():
    # 1 = father, 3 = son, 2 = the same name with no date: it may join one of them, not both
    clusters = cluster_mentions(
        [1, 2, 3],
        [(1, 2, 0.99), (2, 3, 0.98)],
        threshold=0.9,
        constraints=Constraints(different=frozenset({(1, 3)})),
    )
    assert clusters.cluster_of[1] == clusters.cluster_of[2] != clusters.cluster_of[3]
    assert [(r.left, r.right, r.reason) for r in clusters.refused] == [
        (2, 3, "joins_look_alike_people")
    ]


def test_an_analyst_split_is_obeyed_and_a_confirm_overrides_the_model():
    clusters = cluster_mentions(
        [1, 2, 3, 4],
        [(1, 2, 0.99), (3, 4, 0.2)],
        threshold=0.9,
        constraints=Constraints(
            must_link=frozenset({(3, 4)}),
            cannot_link=frozenset({(1, 2)}),
            different=frozenset({(3, 4)}),
        ),
    )
    assert clusters.cluster_of[1] != clusters.cluster_of[2]
    assert clusters.cluster_of[3] == clusters.cluster_of[4]
    assert clusters.refused[0].reason == "analyst_split"


def test_unlinkable_mentions_stay_on_their_own():
    clusters = cluster_mentions([1, 2], [(1, 2, 0.99)], threshold=0.9, isolated=[2])
    assert clusters.cluster_of == {1: 1, 2: 2}
    assert clusters.refused[0].reason == "unlinkable_mention"


def test_a_delta_never_merges_two_known_people():
    clusters = cluster_mentions(
        [1, 2, 3],
        [(1, 3, 0.99), (2, 3, 0.98)],
        threshold=0.9,
        known_person={1: 10, 2: 20},
    )
    assert clusters.cluster_of[3] == clusters.cluster_of[1] != clusters.cluster_of[2]
    assert clusters.refused[0].reason == "joins_two_known_people"


def test_unchanged_clusters_keep_their_person_ids():
    previous = {1: 7, 2: 7, 3: 9}
    fresh = iter([100, 101])
    ids = assign_person_ids({1: 1, 2: 1, 3: 3}, previous, lambda: next(fresh))
    assert ids == {1: 7, 3: 9}


def test_a_split_cluster_keeps_the_id_where_most_mentions_stay_and_new_records_get_new_ids():
    previous = {1: 7, 2: 7, 3: 7}
    fresh = iter([100, 101])
    ids = assign_person_ids({1: 1, 2: 1, 3: 3, 4: 4}, previous, lambda: next(fresh))
    assert ids == {1: 7, 3: 100, 4: 101}


def test_joining_a_suspect_to_a_victim_history_is_reviewed_first():
    join = review_priority(0.9, {"suspect"}, {"victim"})
    plain = review_priority(0.5, {"witness"}, set())
    assert join.reason == "joins_suspect_and_victim"
    assert join.score > plain.score
    assert review_priority(0.5, set(), set()).score > review_priority(0.9, set(), set()).score


def test_pairwise_scores_count_pairs_of_records_placed_together():
    scores = pairwise_scores({1: "a", 2: "a", 3: "a", 4: "b"}, {1: 1, 2: 1, 3: 2, 4: 2})
    assert (scores.correct_pairs, scores.predicted_pairs, scores.true_pairs) == (1, 3, 2)
    assert scores.precision == pytest.approx(1 / 3)
    assert scores.recall == pytest.approx(1 / 2)
    assert scores.f1 == pytest.approx(0.4)
