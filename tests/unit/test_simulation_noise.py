"""Record noise: each kind of error a real records system holds, produced as specified."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from safeguard.simulation.config import Rates
from safeguard.simulation.draws import Uniforms
from safeguard.simulation.names import nickname_table
from safeguard.simulation.noise import MentionNoise, hyphen_variant, typo
from safeguard.simulation.population import Population

START = date(2021, 1, 1)
NO_NOISE = Rates(
    noise_typo=0,
    noise_nickname=0,
    noise_day_month_swap=0,
    noise_dob_missing=0,
    noise_age_only=0,
    noise_name_swap=0,
    noise_maiden_name=0,
    noise_hyphen_variant=0,
    noise_uppercase=0,
    noise_middle_name_dropped=0,
)


def _person(**overrides: object) -> Population:
    pop = Population(key_offset=1)
    values: dict[str, object] = {
        "household": 1,
        "sex": 0,
        "dob": (date(1980, 3, 7) - START).days,
        "forename": "Robert",
        "middle": "James",
        "surname": "Smith",
        "birth_surname": "Smith",
        "town": 0,
        "address": "1 Mill Lane, Carlisle",
        "postcode": "CA2 1AB",
        "in_care": False,
        "mother": -1,
        "father": -1,
        "partner": -1,
        "ethnicity": "W1",
        "phone": "07700900000",
        "pnc": "",
        "moved_day": -1,
        "new_address": "",
        "new_postcode": "",
    }
    values.update(overrides)
    for name, value in values.items():
        getattr(pop, name).append(value)
    return pop


def _noise(rates: Rates, seed: int = 0) -> MentionNoise:
    return MentionNoise(Uniforms(np.random.default_rng(seed)), rates, START)


def test_a_typo_changes_one_character_and_keeps_the_initial() -> None:
    u = Uniforms(np.random.default_rng(3))
    for _ in range(200):
        word = typo("Hetherington", u)
        assert word[0] == "H"
        assert abs(len(word) - len("Hetherington")) <= 1
        assert word != "" and word.isalpha()


def test_short_words_are_not_mangled_by_typos() -> None:
    assert typo("Al", Uniforms(np.random.default_rng(1))) == "Al"


def test_a_double_barrelled_surname_is_recorded_in_one_of_its_three_usual_forms() -> None:
    u = Uniforms(np.random.default_rng(5))
    seen = {hyphen_variant("Smith-Jones", u) for _ in range(100)}
    assert seen == {"Smith Jones", "Smith", "Jones"}


def test_nicknames_come_from_the_nicknames_package() -> None:
    table = nickname_table()
    assert "Bob" in table["Robert"]
    assert "Liz" in table["Elizabeth"]
    assert all(n != n.lower() for nicks in table.values() for n in nicks)


def test_without_noise_a_mention_holds_the_true_attributes() -> None:
    fields = _noise(replace(NO_NOISE)).fields(_person(), 0, 100.0)
    assert fields["forenames"] == "Robert James"
    assert fields["surname"] == "Smith"
    assert fields["date_of_birth"] == "1980-03-07"
    assert fields["mention_date"] == "2021-04-11"


def test_nickname_noise_writes_bob_or_another_nickname_for_robert() -> None:
    fields = _noise(replace(NO_NOISE, noise_nickname=1.0, noise_middle_name_dropped=1.0)).fields(
        _person(), 0, 10.0
    )
    assert fields["forenames"] in nickname_table()["Robert"]


def test_day_and_month_are_swapped_when_the_day_could_be_a_month() -> None:
    fields = _noise(replace(NO_NOISE, noise_day_month_swap=1.0)).fields(_person(), 0, 10.0)
    assert fields["date_of_birth"] == "1980-07-03"


def test_missing_date_of_birth_and_age_only_mentions() -> None:
    missing = _noise(replace(NO_NOISE, noise_dob_missing=1.0)).fields(_person(), 0, 10.0)
    assert "date_of_birth" not in missing and "age" not in missing
    age_only = _noise(replace(NO_NOISE, noise_age_only=1.0)).fields(_person(), 0, 10.0)
    assert "date_of_birth" not in age_only
    assert age_only["age"] == 40


def test_a_married_name_is_sometimes_recorded_as_the_birth_name() -> None:
    pop = _person(surname="Taylor", birth_surname="Smith", sex=1, forename="Mary")
    noise = _noise(replace(NO_NOISE, noise_maiden_name=1.0), seed=9)
    surnames = {noise.fields(pop, 0, 10.0)["surname"] for _ in range(50)}
    assert surnames == {"Smith"}


def test_forename_and_surname_can_be_swapped() -> None:
    fields = _noise(replace(NO_NOISE, noise_name_swap=1.0, noise_middle_name_dropped=1.0)).fields(
        _person(), 0, 10.0
    )
    assert (fields["forenames"], fields["surname"]) == ("Smith", "Robert")


@pytest.mark.parametrize(
    ("day", "expected"), [(50.0, "1 Mill Lane, Carlisle"), (500.0, "9 New Road, Kendal")]
)
def test_a_person_who_moved_is_recorded_at_the_address_of_the_day(
    day: float, expected: str
) -> None:
    pop = _person(moved_day=200, new_address="9 New Road, Kendal", new_postcode="LA9 1ZZ")
    noise = _noise(NO_NOISE)
    addresses = {noise.fields(pop, 0, day).get("address") for _ in range(30)}
    assert expected in addresses
    assert addresses <= {expected, None}
