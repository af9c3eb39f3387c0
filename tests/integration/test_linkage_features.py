"""The DuckDB feature SQL and the pure-Python features agree, record for record."""

from __future__ import annotations

from datetime import date

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.adapters.linkage.features import FEATURE_COLUMNS, build_features, raw_from_records
from safeguard.domain.linking import mention_features
from tests.linkage_data import make_mentions, make_people

TODAY = date(2026, 6, 1)

ODD = [
    {"id": 1, "forenames": "Mr Bob  James", "surname": "Smith - Jones", "phone": "+44 7700 900123"},
    {"id": 2, "forenames": "J", "surname": "S"},
    {"id": 3, "surname": "Ø'Brien", "date_of_birth": date(2050, 1, 1), "age": 30},
    {"id": 4, "forenames": "", "surname": "x"},
    {"id": 5, "forenames": "Zoë", "surname": "Doe", "age": 12, "mention_date": date(2024, 5, 1)},
    {"id": 6, "forenames": "Anne-Marie", "surname": "de la Cruz", "postcode": "ca1 2ab"},
    {"id": 7, "forenames": "Dr. Lee", "date_of_birth": date(1899, 12, 31), "pnc_id": "12/34 5"},
    {"id": 8, "forenames": "John Jnr.", "surname": "Smith", "postcode": "CA1 2AB"},
    {"id": 9, "forenames": "John", "surname": "SMITH-SNR", "postcode": "CA1 2AB"},
    {"id": 10, "forenames": "Senior", "surname": "Juniorson"},
    {
        "id": 11,
        "forenames": "Amy",
        "surname": "Reid",
        "date_of_birth": date(1900, 1, 1),
        "age": 40,
        "mention_date": date(2024, 5, 1),
    },  # a placeholder for "not known"
]


def _both(rows: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    con = duckdb.connect()
    build_features(con, raw_from_records(rows), table="f", today=TODAY)
    got = con.execute(f"select {', '.join(FEATURE_COLUMNS)} from f order by unique_id").fetchall()
    sql = [dict(zip(FEATURE_COLUMNS, r, strict=True)) for r in got]
    python = []
    for r in sorted(rows, key=lambda r: int(r["id"])):  # type: ignore[call-overload]
        f = mention_features(r, today=TODAY)
        values = {c: getattr(f, c if c != "unique_id" else "mention_id") for c in FEATURE_COLUMNS}
        values["unlinkable"] = None if f.unlinkable is None else str(f.unlinkable)
        for column in ("forename_variants", "other_forenames", "other_surnames"):
            values[column] = list(getattr(f, column))
        python.append(values)
    return sql, python


def test_sql_and_python_features_agree_on_awkward_records():
    sql, python = _both(ODD)
    assert sql == python


def test_a_placeholder_date_of_birth_is_read_as_missing_and_the_age_is_used():
    sql, python = _both(ODD)
    placeholder = next(f for f in sql if f["unique_id"] == 11)
    assert placeholder["dob"] is None and placeholder["dob_swapped"] is None
    assert placeholder["birth_year"] == 1984  # from the age, not 1900
    assert placeholder["unlinkable"] is None  # still linked, on the rest of the record
    assert next(f for f in python if f["unique_id"] == 11) == placeholder


def test_sql_and_python_features_agree_on_a_noisy_population():
    sql, python = _both(make_mentions(make_people(40)))
    assert sql == python


names = st.text(alphabet="abcdeé -'.ABZ", max_size=12)


@settings(max_examples=20, deadline=None)
@given(forenames=names, surname=names, postcode=st.text(alphabet="CA12 bx", max_size=8))
def test_sql_and_python_features_agree_on_any_text(forenames, surname, postcode):
    sql, python = _both(
        [{"id": 1, "forenames": forenames, "surname": surname, "postcode": postcode}]
    )
    assert sql == python


OTHER = [
    {"id": 1, "forenames": "Nicholas", "surname": "Fisher", "date_of_birth": date(1980, 1, 2),
     "other_names": ["Raymond FISHER", "Mr Bob Smith-Jones", "", "Mr", "Ramgate"]},
    {"id": 2, "forenames": "Zoë", "surname": "Doe", "other_names": ["Zoé  O'Neil-Brown"]},
    {"id": 3, "forenames": "", "surname": "Doe", "other_names": ["Ray Stone"]},
    {"id": 4, "forenames": "Kay", "surname": "Reid", "other_names": "Katie Reid;Ramsden"},
    {"id": 5, "forenames": "Amy", "surname": "Reid", "other_names": []},
]  # fmt: skip


def test_sql_and_python_features_agree_on_recorded_other_names():
    sql, python = _both(OTHER)
    assert sql == python
    nicholas = next(f for f in sql if f["unique_id"] == 1)
    # the first word of a name of two or more is a forename (canonical: Bob -> robert), the
    # last its surname; one word alone is a previous surname
    assert nicholas["other_forenames"] == ["raymond", "robert"]
    assert nicholas["other_surnames"] == ["fisher", "jones", "ramgate"]
    # the other forenames, as written and canonical, are among the names the forename may be
    assert {"bob", "robert", "raymond"} <= set(nicholas["forename_variants"])
    assert next(f for f in sql if f["unique_id"] == 5)["other_forenames"] == []


def test_mentions_written_alike_share_their_recorded_other_names():
    rows = [
        {"id": 1, "forenames": "Nicholas", "surname": "Fisher", "date_of_birth": date(1980, 1, 2),
         "other_names": ["Raymond Fisher", "Whinwood"]},
        {"id": 2, "forenames": "NICK", "surname": "FISHER", "date_of_birth": date(1980, 1, 2)},
        {"id": 3, "forenames": "Nicholas", "surname": "Fisher", "date_of_birth": date(1980, 2, 1)},
        {"id": 4, "forenames": "Nicholas", "surname": "Fisher", "age": 44,
         "mention_date": date(2024, 5, 1)},
        {"id": 5, "forenames": "Raymond", "surname": "Fisher", "date_of_birth": date(1980, 1, 2)},
    ]  # fmt: skip
    con = duckdb.connect()
    build_features(con, raw_from_records(rows), table="f", today=TODAY)
    got = {
        i: (fores, surnames, "raymond" in variants)
        for i, fores, surnames, variants in con.execute(
            "select unique_id, other_forenames, other_surnames, forename_variants from f"
        ).fetchall()
    }
    # Nick is Nicholas (one canonical forename), same surname and date of birth: he gets them
    assert got[1] == got[2] == (["raymond"], ["fisher", "whinwood"], True)
    # another date of birth, or none, is not written alike; the alias itself has none of its own
    assert got[3] == got[4] == ([], [], False)
    assert got[5][:2] == ([], [])
    # the one-record features (``link_one``) carry the record's own other names only
    assert mention_features(rows[1], today=TODAY).other_forenames == ()


def test_stored_other_names_are_read_for_linking(engine):
    from safeguard.adapters.linkage.features import load_mentions
    from tests.linkage_data import insert_mentions

    rows = [
        {"id": 1, "source_system": "NICHE", "source_id": "P1", "forenames": "Nicholas",
         "surname": "Fisher", "other_names": ["Raymond Fisher", "Whinwood"]},
        {"id": 2, "source_system": "NICHE", "source_id": "P2", "forenames": "Amy",
         "surname": "Reid"},
    ]  # fmt: skip
    insert_mentions(engine, rows)
    raw = load_mentions(engine)
    assert raw.column("other_names").to_pylist() == [["Raymond Fisher", "Whinwood"], None]


def test_every_record_bounds_its_date_of_birth_by_its_own_date():
    rows: list[dict[str, object]] = [
        {"id": 1, "forenames": "Nole", "surname": "Ward", "mention_date": date(2019, 5, 1)},
        {"id": 2, "forenames": "Nole", "surname": "Ward", "age": 7,
         "mention_date": date(2024, 2, 29)},
        {"id": 3, "forenames": "Nole", "surname": "Ward", "date_of_birth": date(1990, 1, 2)},
    ]  # fmt: skip
    sql, python = _both(rows)
    assert sql == python
    assert [r["born_by"] for r in sql] == ["2019-05-01", "2024-02-29", None]
    # the age's one-year range stays the comparison's; the record's date only caps it
    assert (sql[1]["born_from"], sql[1]["born_to"]) == ("2016-03-01", "2017-02-28")


def test_mentions_read_as_text_are_the_mentions_sqlalchemy_reads(engine):
    """SQLite's dates and other names are read as text and parsed by Arrow and ``json`` (not row
    by row by SQLAlchemy): the same table as the processed read, nulls, a ``;`` text and all,
    across more than one page."""
    from datetime import date

    import pyarrow as pa

    from safeguard.adapters.linkage import features as f
    from tests.linkage_data import insert_mentions

    rows = [
        {"id": 1, "source_system": "NICHE", "source_id": "P1", "forenames": "Nicholas",
         "surname": "Fisher", "other_names": ["Raymond Fisher", "Whinwood"],
         "date_of_birth": date(1984, 2, 29), "mention_date": date(2020, 12, 31)},
        {"id": 2, "source_system": "STORM", "source_id": "P2", "forenames": "AMY",
         "surname": "REID", "age": 34, "mention_date": date(2019, 1, 2)},
        {"id": 3, "source_system": "LCS", "source_id": "P3", "forenames": "Jo",
         "other_names": "JB; J Brown", "date_of_birth": date(1901, 1, 1)},
    ]  # fmt: skip
    insert_mentions(engine, rows)
    got = pa.Table.from_batches(
        list(f.iter_mention_batches(engine, batch_rows=2)), schema=f.RAW_SCHEMA
    )
    with engine.connect() as conn:
        processed = conn.execute(f._select_mentions().order_by("id")).all()
    assert got.num_rows == 3
    for i, name in enumerate(f.RAW_COLUMNS):
        expected = [f._other_names(r[i]) if name == "other_names" else r[i] for r in processed]
        assert got.column(name).to_pylist() == expected, name
    assert got.column("date_of_birth").to_pylist()[:2] == [date(1984, 2, 29), None]
