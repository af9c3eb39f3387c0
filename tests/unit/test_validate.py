"""The batch validator: typed output for good values, a clear reason for every bad one."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.adapters.interchange.validate import validate_batch
from safeguard.interchange.schema import record_spec

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _batch(record_type: str, **columns: list[str | None]) -> pa.Table:
    n = len(next(iter(columns.values())))
    base = {
        "record_type": [record_type] * n,
        "schema_version": ["1"] * n,
        "source_system": ["NICHE"] * n,
        "source_id": [f"X{i}" for i in range(n)],
    }
    return pa.table({k: pa.array(v, pa.string()) for k, v in (base | columns).items()})


def test_enums_are_case_insensitive_and_stored_lower_case() -> None:
    out = validate_batch(
        record_spec("event"),
        _batch("event", event_type=["Domestic_Abuse"], occurred_at=["2024-01-01T00:00:00Z"]),
        now=NOW,
    )
    assert out.problems == []
    assert out.columns["event_type"].to_pylist() == ["domestic_abuse"]


def test_offsets_are_converted_to_utc() -> None:
    out = validate_batch(
        record_spec("event"),
        _batch("event", event_type=["other_incident"], occurred_at=["2024-07-01T10:00:00+01:00"]),
        now=NOW,
    )
    assert out.columns["occurred_at"].to_pylist() == ["2024-07-01 09:00:00.000000"]


def test_a_leap_day_is_accepted_only_in_a_leap_year() -> None:
    out = validate_batch(
        record_spec("person_mention"),
        _batch("person_mention", date_of_birth=["2024-02-29", "2023-02-29"]),
        now=NOW,
    )
    # A date of birth that fails its check is flagged and stored as null, the record kept.
    assert out.problems == []
    assert [(f.row, f.field, f.value) for f in out.flags] == [(1, "date_of_birth", "2023-02-29")]
    assert out.columns["date_of_birth"].to_pylist() == ["2024-02-29", None]


def test_blank_and_whitespace_values_are_no_value() -> None:
    out = validate_batch(
        record_spec("person_mention"), _batch("person_mention", surname=["  ", " Smith "]), now=NOW
    )
    assert out.columns["surname"].to_pylist() == [None, "Smith"]


def test_booleans_accept_the_usual_spellings() -> None:
    out = validate_batch(
        record_spec("event"),
        _batch(
            "event",
            event_type=["other_crime"] * 4,
            occurred_at=["2024-01-01T00:00:00Z"] * 4,
            online=["Yes", "no", "1", "FALSE"],
        ),
        now=NOW,
    )
    assert out.columns["online"].to_pylist() == [True, False, True, False]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_in_a_date_field_is_either_a_real_date_or_a_reason(text: str) -> None:
    out = validate_batch(
        record_spec("person_mention"), _batch("person_mention", date_of_birth=[text]), now=NOW
    )
    value = out.columns["date_of_birth"].to_pylist()[0]
    if out.problems:
        assert value is None
        assert out.problems[0].field == "date_of_birth"
    elif value is not None:
        assert datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d") == value
