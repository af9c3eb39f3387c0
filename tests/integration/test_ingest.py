"""Ingest on real SQLite and PostgreSQL: idempotency, history, formats and bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.tables import (
    events,
    involvements,
    person_mentions,
    quarantine,
    record_history,
)
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.conftest import count
from tests.factories import (
    event,
    involvement,
    mention,
    small_force,
    write_csv,
    write_jsonl,
    write_parquet,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def ingest(engine: Engine, *paths: Path):  # type: ignore[no-untyped-def]
    return ingest_paths(engine, list(paths), actor=OPERATOR_RUN, now=NOW)


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Stored content, comparable across runs: references shown by the source id they point at,
    without surrogate ids or ingest timestamps (which differ between runs by design)."""
    out: dict[str, list[tuple[object, ...]]] = {}
    skip = {
        "first_ingested_at",
        "last_changed_at",
        "quarantined_at",
        "run_id",
        "id",
        "superseded_at",
        "record_id",
        "payload",
        "valid_from",
    }
    with engine.connect() as conn:
        for table in (person_mentions, events, involvements, quarantine, record_history):
            cols: list[sa.ColumnElement[object]] = []
            for c in table.columns:
                if c.name in skip:
                    continue
                fk = next(iter(c.foreign_keys), None)
                if fk is not None:
                    target = fk.column.table
                    cols.append(
                        sa.select(target.c.source_id)
                        .where(target.c.id == c)
                        .scalar_subquery()
                        .label(c.name)
                    )
                else:
                    cols.append(c)
            out[table.name] = sorted(
                (tuple(str(v) for v in r) for r in conn.execute(sa.select(*cols))), key=str
            )
    return out


def reasons(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(  # type: ignore[misc]
                sa.select(
                    quarantine.c.row_number, quarantine.c.field, quarantine.c.reason
                ).order_by(quarantine.c.id)
            )
        ]


def test_a_small_force_is_stored_with_references_resolved(engine: Engine, tmp_path: Path) -> None:
    summary = ingest(engine, small_force(tmp_path / "in"))
    assert summary.clean
    assert (count(engine, person_mentions), count(engine, events), count(engine, involvements)) == (
        3,
        2,
        4,
    )
    with engine.connect() as conn:
        role = conn.execute(
            sa.select(involvements.c.role)
            .join(person_mentions, person_mentions.c.id == involvements.c.mention_id)
            .where(person_mentions.c.source_id == "P2")
        ).scalar_one()
        strands, occurred = conn.execute(
            sa.select(events.c.hate_crime_strands, events.c.occurred_at).where(
                events.c.source_id == "E1"
            )
        ).one()
        names = conn.execute(
            sa.select(person_mentions.c.other_names).where(person_mentions.c.source_id == "P1")
        ).scalar_one()
    assert role == "victim"
    assert strands is None, "an empty list and an empty cell are the same in CSV"
    assert occurred == datetime(2024, 3, 1, 21, 15, tzinfo=UTC)
    assert names == ["Bob Smith"]


def test_ingesting_the_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    folder = small_force(tmp_path / "in")
    ingest(engine, folder)
    before = snapshot(engine)
    second = ingest(engine, folder)
    assert second.total("inserted") == 0 and second.total("updated") == 0
    assert second.total("unchanged") == 9
    assert snapshot(engine) == before


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_format_stores_the_same_records(engine: Engine, tmp_path: Path, fmt: str) -> None:
    ingest(engine, small_force(tmp_path / "csv", "csv"))
    reference = snapshot(engine)
    summary = ingest(engine, small_force(tmp_path / fmt, fmt))
    assert summary.total("unchanged") == 9, "the same content in another format is no change"
    assert snapshot(engine) == reference


def test_a_changed_source_record_keeps_its_earlier_version(engine: Engine, tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [mention("P1", surname="Smith")])
    ingest(engine, tmp_path / "a.csv")
    write_csv(tmp_path / "b.csv", [mention("P1", surname="Smith-Jones")])
    summary = ingest(engine, tmp_path / "b.csv")
    assert summary.total("updated") == 1
    with engine.connect() as conn:
        surname, version = conn.execute(
            sa.select(person_mentions.c.surname, person_mentions.c.version)
        ).one()
        history = conn.execute(sa.select(record_history)).all()
    assert (surname, version) == ("Smith-Jones", 2)
    assert len(history) == 1
    assert history[0].table_name == "person_mentions" and history[0].version == 1
    assert '"Smith"' in history[0].payload


def test_an_older_version_never_overwrites_a_newer_one(engine: Engine, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "new.csv", [mention("P1", surname="New", recorded_at="2024-06-01T00:00:00Z")]
    )
    write_csv(
        tmp_path / "old.csv", [mention("P1", surname="Old", recorded_at="2024-01-01T00:00:00Z")]
    )
    ingest(engine, tmp_path / "new.csv")
    summary = ingest(engine, tmp_path / "old.csv")
    assert summary.total("quarantined") == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(person_mentions.c.surname)).scalar_one() == "New"
    assert "older than the stored version" in reasons(engine)[0][2]


BAD_ROWS = [
    ("unknown event type", "event", {"event_type": "dragons"}, "event_type", "is not one of"),
    (
        "unparseable date",
        "event",
        {"occurred_at": "last tuesday"},
        "occurred_at",
        "not a real date and time",
    ),
    (
        "impossible date",
        "event",
        {"occurred_at": "2024-02-30T10:00:00Z"},
        "occurred_at",
        "not a real date and time",
    ),
    (
        "no time zone",
        "event",
        {"occurred_at": "2024-02-03T10:00:00"},
        "occurred_at",
        "no time zone offset",
    ),
    (
        "event in the future",
        "event",
        {"occurred_at": "2031-01-01T10:00:00Z", "reported_at": None},
        "occurred_at",
        "is in the future",
    ),
    (
        "reported before it happened",
        "event",
        {"reported_at": "2024-02-01T00:00:00Z"},
        "reported_at",
        "is before occurred_at",
    ),
    (
        "oversized summary",
        "event",
        {"summary": "x" * 5000},
        "summary",
        "5,000 characters long; the limit is 4,000",
    ),
    # An impossible or future date of birth and an age out of range drop the field, not the
    # record: tests/integration/test_bad_input.py (data-quality flags).
    (
        "unsupported version",
        "person_mention",
        {"schema_version": "9"},
        "schema_version",
        "not supported",
    ),
    ("missing source id", "person_mention", {"source_id": ""}, "source_id", "is required"),
]


@pytest.mark.parametrize(
    ("case", "rtype", "change", "field", "reason"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS]
)
def test_a_bad_row_is_quarantined_with_its_row_field_and_reason(
    engine: Engine,
    tmp_path: Path,
    case: str,
    rtype: str,
    change: dict[str, str | None],
    field: str,
    reason: str,
) -> None:
    good = {"event": event, "person_mention": mention}[rtype]
    rows = [good("GOOD1"), good("BAD") | change, good("GOOD2")]
    summary = ingest(engine, write_csv(tmp_path / f"{rtype}.csv", rows))
    assert summary.total("inserted") == 2
    assert summary.total("quarantined") == 1
    [(row_number, got_field, got_reason)] = reasons(engine)
    assert (row_number, got_field) == (2, field)
    assert reason in got_reason


def test_an_involvement_pointing_at_a_missing_record_is_quarantined(
    engine: Engine, tmp_path: Path
) -> None:
    ingest(engine, small_force(tmp_path / "in"))
    write_csv(tmp_path / "inv.csv", [involvement("I9", "E1", "NOBODY")])
    summary = ingest(engine, tmp_path / "inv.csv")
    assert summary.total("quarantined") == 1
    [(_, field, reason)] = reasons(engine)
    assert field == "mention_ref" and "'NOBODY' does not match any person_mention" in reason


def test_a_date_of_birth_after_the_event_is_refused(engine: Engine, tmp_path: Path) -> None:
    write_csv(tmp_path / "m.csv", [mention("P1", date_of_birth="2024-06-01")])
    write_csv(tmp_path / "e.csv", [event("E1")])
    write_csv(tmp_path / "i.csv", [involvement("I1", "E1", "P1")])
    summary = ingest(engine, tmp_path)
    assert summary.total("quarantined") == 1
    assert (
        "date of birth (2024-06-01) is after the event occurred (2024-03-01)"
        in reasons(engine)[0][2]
    )


def test_the_same_source_id_twice_with_different_content_keeps_the_first(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        mention("P1", surname="First"),
        mention("P1", surname="First"),
        mention("P1", surname="Second"),
    ]
    summary = ingest(engine, write_csv(tmp_path / "m.csv", rows))
    assert (
        summary.total("inserted"),
        summary.total("duplicates"),
        summary.total("quarantined"),
    ) == (1, 1, 1)
    with engine.connect() as conn:
        assert conn.execute(sa.select(person_mentions.c.surname)).scalar_one() == "First"
    assert reasons(engine)[0][1:] == (
        "source_id",
        "'P1' already appears at row 1 of this file with different content",
    )


def test_formula_text_is_stored_verbatim(engine: Engine, tmp_path: Path) -> None:
    payload = "=cmd|' /C calc'!A0"
    ingest(engine, write_csv(tmp_path / "e.csv", [event("E1", summary=payload)]))
    with engine.connect() as conn:
        assert conn.execute(sa.select(events.c.summary)).scalar_one() == payload


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "is empty"),
        (
            "latin1.csv",
            "record_type,schema_version,source_system,source_id,surname\n"
            "person_mention,1,NICHE,P1,Müller\n".encode("cp1252"),
            "is not valid utf-8 text",
        ),
        (
            "unknown.csv",
            b"record_type,schema_version,source_system,source_id,shoe_size\n"
            b"person_mention,1,NICHE,P1,9\n",
            "unknown column(s) shoe_size",
        ),
        (
            "missing.csv",
            b"record_type,schema_version,source_system,source_id\nevent,1,NICHE,E1\n",
            "lacks required column(s) event_type, occurred_at",
        ),
        (
            "kind.csv",
            b"record_type,schema_version,source_system,source_id\nvehicle,1,NICHE,V1\n",
            "record_type 'vehicle' is not one of",
        ),
        ("notes.txt", b"hello", "is not a .csv"),
    ],
)
def test_an_unreadable_file_is_rejected_whole_and_nothing_stored_is_lost(
    engine: Engine, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    ingest(engine, small_force(tmp_path / "in"))
    before = snapshot(engine)
    bad = tmp_path / name
    bad.write_bytes(content)
    summary = ingest(engine, bad)
    assert summary.rejected_files and reason in (summary.rejected_files[0].error or "")
    after = snapshot(engine)
    assert after["person_mentions"] == before["person_mentions"]
    assert after["events"] == before["events"]
    assert reason in reasons(engine)[-1][2]


def test_a_truncated_parquet_file_is_rejected(engine: Engine, tmp_path: Path) -> None:
    whole = write_parquet(tmp_path / "whole.parquet", [mention(f"P{i}") for i in range(50)])
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-40])
    summary = ingest(engine, cut)
    assert "not a readable Parquet file" in (summary.rejected_files[0].error or "")
    assert count(engine, person_mentions) == 0


def test_a_wrong_encoding_file_reads_when_its_encoding_is_named(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "m.csv", [mention("P1", surname="Müller")], encoding="cp1252")
    summary = ingest_paths(engine, [path], actor=OPERATOR_RUN, encoding="cp1252", now=NOW)
    assert summary.clean
    with engine.connect() as conn:
        assert conn.execute(sa.select(person_mentions.c.surname)).scalar_one() == "Müller"


def test_unparsable_json_lines_are_quarantined_by_line(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", [mention("P1")])
    with path.open("a") as fh:
        fh.write("{not json\n")
        fh.write(
            '{"record_type": "person_mention", "schema_version": "1", '
            '"source_system": "NICHE", "source_id": "P2", "hat": "red"}\n'
        )
    summary = ingest(engine, path)
    assert summary.total("inserted") == 1
    assert [(r, f) for r, f, _ in reasons(engine)] == [(2, "(row)"), (3, "(row)")]


def test_a_csv_row_with_too_many_fields_is_quarantined(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", [mention("P1"), mention("P2")])
    with path.open("a") as fh:
        fh.write("person_mention,1,NICHE,P3,a,b,c,d,e,f,g,h,i,j,k\n")
    summary = ingest(engine, path)
    assert summary.total("inserted") == 2 and summary.total("quarantined") == 1
    assert "fields; the header has" in reasons(engine)[0][2]


def test_a_file_read_in_many_batches_stores_every_row_and_catches_a_repeat_across_batches(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [mention(f"P{i}", surname=f"S{i}") for i in range(2500)] + [mention("P7", surname="X")]
    path = write_csv(tmp_path / "m.csv", rows)
    summary = ingest_paths(engine, [path], actor=OPERATOR_RUN, batch_rows=300, now=NOW)
    assert (summary.total("inserted"), summary.total("quarantined")) == (2500, 1)


def test_parquet_typed_columns_are_read_as_the_schema_says(engine: Engine, tmp_path: Path) -> None:
    table = pa.table(
        {
            "record_type": ["event"],
            "schema_version": ["1"],
            "source_system": ["NICHE"],
            "source_id": ["E1"],
            "event_type": ["domestic_abuse"],
            "occurred_at": pa.array(
                [datetime(2024, 3, 1, 21, 15, tzinfo=UTC)], pa.timestamp("us", "UTC")
            ),
            "online": [True],
            "hate_crime_strands": pa.array([["race", "religion"]]),
        }
    )
    pq.write_table(table, tmp_path / "e.parquet")
    assert ingest(engine, tmp_path / "e.parquet").clean
    with engine.connect() as conn:
        online, strands = conn.execute(
            sa.select(events.c.online, events.c.hate_crime_strands)
        ).one()
    assert online is True and strands == ["race", "religion"]


def test_keys_stored_by_another_writer_mid_file_are_retried_not_lost(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk path assumes a system with no records at file start; if another writer stored
    some of the keys meanwhile, the batch rolls back and is redone with key lookups."""
    from safeguard.adapters.db.record_store import RecordStore

    ingest(engine, write_csv(tmp_path / "other.csv", [mention("P2", surname="Other")]))
    monkeypatch.setattr(RecordStore, "any_stored", lambda self, rtype, system: False)
    rows = [mention("P1"), mention("P2", surname="Other"), mention("P3", surname="Changed")]
    summary = ingest(engine, write_csv(tmp_path / "m.csv", rows))
    assert (summary.total("inserted"), summary.total("unchanged")) == (2, 1)
    assert count(engine, person_mentions) == 3
