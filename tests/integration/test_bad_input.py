"""Bad input never crashes: each bad row is quarantined under its own row number with a reason
naming its field, good rows and good files are stored, and nothing is silently changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.tables import (
    data_quality_flags,
    ingest_runs,
    person_mentions,
    quarantine,
)
from safeguard.adapters.interchange.readers import MAX_FIELD_CHARS
from safeguard.services.unit_of_work import OPERATOR_RUN
from tests.factories import mention, write_csv, write_jsonl
from tests.integration.test_ingest import ingest, reasons

HEADER = "record_type,schema_version,source_system,source_id,forenames,surname,date_of_birth"


def _line(sid: str, surname: str = "Taylor", dob: str = "1985-06-01") -> str:
    return f"person_mention,1,NICHE,{sid},Alex,{surname},{dob}"


def _stored(engine: Engine) -> dict[str, tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                person_mentions.c.source_id,
                person_mentions.c.surname,
                person_mentions.c.date_of_birth,
                person_mentions.c.age,
            )
        )
        return {r[0]: tuple(r[1:]) for r in rows}


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_a_field_over_the_limit_quarantines_its_row_only(engine: Engine, tmp_path: Path) -> None:
    huge = "x" * (MAX_FIELD_CHARS + 10)
    path = _write(
        tmp_path / "m.csv",
        "\n".join([HEADER, _line("G-1"), _line("G-2", surname=huge), _line("G-3")]) + "\n",
    )
    summary = ingest(engine, path)
    assert summary.total("inserted") == 2 and summary.total("quarantined") == 1
    assert set(_stored(engine)) == {"G-1", "G-3"}
    [(row, field, reason)] = reasons(engine)
    assert (row, field) == (2, "surname")
    assert f"{MAX_FIELD_CHARS + 10:,} characters long" in reason


def test_a_very_wide_first_row_does_not_stop_the_run_or_its_other_files(
    engine: Engine, tmp_path: Path
) -> None:
    wide = "y" * (3 * 1024 * 1024)  # beyond any block size, and beyond the csv module's default
    first = _write(tmp_path / "a.csv", f"{HEADER}\n{_line('W-1', surname=wide)}\n{_line('W-2')}\n")
    other = write_csv(tmp_path / "b.csv", [mention("B-1")])
    summary = ingest(engine, first, other)
    assert not summary.rejected_files
    assert set(_stored(engine)) == {"W-2", "B-1"}
    assert [(r, f) for r, f, _ in reasons(engine)] == [(1, "surname")]


def test_a_byte_order_mark_is_accepted_in_csv_and_json_lines(
    engine: Engine, tmp_path: Path
) -> None:
    csv_path = _write(
        tmp_path / "m.csv",
        f'"{HEADER.replace(",", chr(34) + "," + chr(34))}"\r\n{_line("E-1")}\r\n',
        "utf-8-sig",
    )
    jsonl = _write(tmp_path / "n.jsonl", json.dumps(mention("E-2")) + "\n", "utf-8-sig")
    summary = ingest(engine, csv_path, jsonl)
    assert not summary.rejected_files, [f.error for f in summary.files]
    assert set(_stored(engine)) == {"E-1", "E-2"}


def test_malformed_rows_are_each_quarantined_under_their_own_row_number(
    engine: Engine, tmp_path: Path
) -> None:
    lines = [
        HEADER,
        _line("M-1"),
        "person_mention,1,NICHE,M-2,Alex",  # short row
        _line("M-3"),
        'person_mention,1,NICHE,M-4,"Alex,Taylor,1985-06-01',  # unclosed quote...
        _line("M-5"),  # ...which swallows this row, read again as its own
        "person_mention,1,NICHE,M-6",  # a second short row must not vanish
        'person_mention,1,NICHE,M-7,"Al"ex,Taylor,1985-06-01',  # stray quote
        _line("M-8"),
        "person_mention,1,NICHE,M-9,Alex,Tay",  # truncated last line, no newline
    ]
    summary = ingest(engine, _write(tmp_path / "m.csv", "\n".join(lines)))
    assert set(_stored(engine)) == {"M-1", "M-3", "M-5", "M-8"}
    got = reasons(engine)
    assert [(r, f) for r, f, _ in got] == [
        (2, "(row)"),
        (4, "(row)"),
        (6, "(row)"),
        (7, "(row)"),
        (9, "(row)"),
    ]
    assert "has 5 fields; the header has 7" in got[0][2]
    assert "cannot be read as CSV" in got[3][2] or "fields" in got[3][2]
    assert summary.total("quarantined") == 5


def test_nul_bytes_are_refused_never_stripped(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, write_csv(tmp_path / "a.csv", [mention("G-1", surname="Original")]))
    before = _stored(engine)
    bad = write_jsonl(
        tmp_path / "b.jsonl",
        [mention("G-\x001", surname="Takeover"), mention("G-2", surname="Tay\x00lor")],
    )
    csv_bad = _write(tmp_path / "c.csv", f"{HEADER}\n{_line('G-3', surname='Nu' + chr(0) + 'l')}\n")
    ingest(engine, bad, csv_bad)
    assert _stored(engine) == before  # G-1 is not taken over; nothing stored with NUL stripped
    got = reasons(engine)
    assert {(r, f) for r, f, _ in got} == {(1, "source_id"), (2, "surname"), (1, "surname")}
    assert all("NUL byte" in reason for _, _, reason in got)
    with engine.connect() as conn:
        raw = conn.execute(sa.select(quarantine.c.source_id, quarantine.c.raw)).all()
    assert all("\x00" not in (text or "") for row in raw for text in row)


def test_the_same_id_in_two_files_of_one_run_is_quarantined_not_left_to_file_order(
    engine: Engine, tmp_path: Path
) -> None:
    a = write_csv(tmp_path / "a.csv", [mention("D-1", surname="First"), mention("D-2")])
    b = write_jsonl(tmp_path / "b.jsonl", [mention("D-1", surname="Second"), mention("D-2")])
    summary = ingest(engine, b, a)
    assert _stored(engine)["D-1"][0] == "First"
    [(row, field, reason)] = reasons(engine)
    assert (row, field) == (1, "source_id")
    assert "also appears at row 1 of a.csv, another file of this run" in reason
    assert summary.total("duplicates") == 1  # the identical D-2 is harmless


def test_json_nested_too_deeply_and_not_json_are_rows_not_crashes(
    engine: Engine, tmp_path: Path
) -> None:
    deep = '{"a":' * 100_000 + "1" + "}" * 100_000
    path = tmp_path / "m.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(mention("J-1")),
                deep,
                "not json",
                json.dumps(mention("J-2", surname="\ud800x"))[:-1] + "}",
                json.dumps(mention("J-3")),
                json.dumps(mention("J-4"))[:30],  # truncated last line
            ]
        ),
        encoding="utf-8",
        errors="surrogatepass",
    )
    summary = ingest(engine, path)
    assert not summary.rejected_files
    assert set(_stored(engine)) == {"J-1", "J-3"}
    assert [r for r, _, _ in reasons(engine)] == [2, 3, 4, 6]


def test_a_bad_derived_field_is_stored_as_null_with_a_flag_and_the_record_kept(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        mention("Q-1", date_of_birth="0201-03-04"),
        mention("Q-2", date_of_birth="1850-01-01"),
        mention("Q-3", date_of_birth="2099-01-01"),
        mention("Q-4", date_of_birth="1990-02-30"),
        mention("Q-5", age="130", date_of_birth=None),
        mention("Q-6", date_of_birth="2001-05-05", mention_date="2000-01-01"),
        mention("Q-7", age="40"),
        mention("", surname="Unidentified"),  # no id: the whole record is quarantined
    ]
    summary = ingest(engine, write_csv(tmp_path / "m.csv", rows))
    stored = _stored(engine)
    assert set(stored) == {f"Q-{i}" for i in range(1, 8)}
    for sid in ("Q-1", "Q-2", "Q-3", "Q-4", "Q-6"):
        assert stored[sid][1] is None, sid
    assert stored["Q-5"][2] is None and stored["Q-7"][2] == 40
    with engine.connect() as conn:
        flags = {
            r.source_id: (r.field, r.value, r.reason)
            for r in conn.execute(sa.select(data_quality_flags))
        }
        run = conn.execute(sa.select(ingest_runs)).one()
        audit = conn.execute(sa.select(audit_log.c.action, audit_log.c.detail)).all()
    assert set(flags) == {"Q-1", "Q-2", "Q-3", "Q-4", "Q-5", "Q-6"}
    assert flags["Q-2"] == (
        "date_of_birth",
        "1850-01-01",
        "1850-01-01 is before 1900, which is not plausible",
    )
    assert "in the future" in flags["Q-3"][2] and "not a real date" in flags["Q-4"][2]
    assert flags["Q-5"][:2] == ("age", "130") and "outside the allowed range" in flags["Q-5"][2]
    assert flags["Q-6"][0] == "date_of_birth" and "after the mention date" in flags["Q-6"][2]
    assert [r for r, _, _ in reasons(engine)] == [8]
    assert run.flagged == 6 and summary.total("flagged") == 6
    [(action, detail)] = [(a, d) for a, d in audit if a == "ingest.run"]
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail["flagged_fields"] == 6 and detail["inserted"] == 7
    assert "Q-1" not in json.dumps(detail)  # counts only, no personal data
    ingest(engine, write_csv(tmp_path / "m.csv", rows))  # the same file again: nothing doubles
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(data_quality_flags)).scalar() == 6
        )


@pytest.mark.parametrize("encoding", ["nonsense-codec"])
def test_an_unknown_encoding_rejects_the_file_with_a_reason(
    engine: Engine, tmp_path: Path, encoding: str
) -> None:
    from safeguard.services.ingest import ingest_paths

    path = write_csv(tmp_path / "m.csv", [mention("X-1")])
    summary = ingest_paths(engine, [path], actor=OPERATOR_RUN, encoding=encoding)
    assert summary.rejected_files and "not a known encoding" in str(summary.files[0].error)
