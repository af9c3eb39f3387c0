"""The Home Office offence classification held as data: groups, codes, unknowns, bad files."""

from __future__ import annotations

import pytest

from safeguard.domain.offences import (
    COLUMNS,
    OffenceGroup,
    default_classification,
    normalise_code,
    read_classification,
)
from safeguard.errors import ValidationFailed
from safeguard.simulation import crime, domestic

HEADER = ",".join(COLUMNS)


def test_common_codes_fall_in_their_home_office_groups() -> None:
    offences = default_classification()
    assert offences.group("8N") is OffenceGroup.VIOLENT  # assault with injury
    assert offences.group("105A") is OffenceGroup.VIOLENT  # assault without injury
    assert offences.group("19C") is OffenceGroup.SEXUAL  # rape of a female aged 16 and over
    assert offences.group("28E") is OffenceGroup.ACQUISITIVE  # residential burglary
    assert offences.group("34B") is OffenceGroup.ACQUISITIVE  # robbery of personal property
    assert offences.group("58A") is OffenceGroup.OTHER  # criminal damage to a dwelling
    assert offences.group("92D") is OffenceGroup.OTHER  # possession of cannabis


def test_codes_are_matched_whatever_their_case_spacing_or_class_subclass_form() -> None:
    offences = default_classification()
    assert offences.classify(" 8n ").offence is not None
    for written in ("008/31", "8/31", "00831"):
        found = offences.classify(written)
        assert found.code == "008/31"
        assert found.breach_of_order
        assert found.note is None
    assert normalise_code("66/39") == "066/39"
    assert "105a" in offences
    assert 105 not in offences


def test_an_unknown_code_counts_as_other_with_a_data_quality_note() -> None:
    found = default_classification().classify("ZZ9")
    assert found.group is OffenceGroup.OTHER
    assert found.offence is None
    assert not found.breach_of_order
    assert found.note is not None and "'ZZ9'" in found.note and "other" in found.note


def test_only_the_two_breach_offences_are_breaches_of_an_order() -> None:
    breaches = {o.code for o in default_classification() if o.breach_of_order}
    assert breaches == {"008/31", "066/39"}


def test_every_code_the_simulator_writes_is_in_the_classification() -> None:
    offences = default_classification()
    written = set(crime.OTHER_OFFENCES) | set(crime.SEXUAL_OFFENCES) | set(domestic.OFFENCE_CODES)
    missing = sorted(c for c in written if c not in offences)
    assert missing == []


def test_the_packaged_file_has_every_group_and_no_duplicate_codes() -> None:
    offences = default_classification()
    assert {o.group for o in offences} == set(OffenceGroup)
    assert len({o.code for o in offences}) == len(offences) > 80


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("8N,Assault with injury,Violence with injury,violnt,no,yes", "row 2: group 'violnt'"),
        ("8N,Assault with injury,Violence with injury,violent,maybe,yes", "row 2: breach_of_order"),
        ("8N,,Violence with injury,violent,no,yes", "row 2: title is empty"),
        (
            "8N,Assault with injury,Violence with injury,violent,no,yes\n"
            "8n,Assault with injury,Violence with injury,violent,no,yes",
            "offence_code '8N' appears twice",
        ),
    ],
)
def test_a_bad_classification_file_is_refused_naming_row_and_field(body: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        read_classification(f"{HEADER}\n{body}\n", "force.csv")


def test_a_classification_file_with_other_columns_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="force.csv: header must be"):
        read_classification("code,group\n8N,violent\n", "force.csv")
