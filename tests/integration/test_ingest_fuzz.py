"""Fuzzing ingest (Hypothesis): random and malformed files in every format never crash it.

Each example writes one file (CSV, JSON Lines or Parquet) of good rows mixed with broken ones
(short rows, NUL bytes, huge fields, broken quoting, truncated last lines, wrong types, values
outside their lists, JSON that is not JSON or nests too deep), sometimes behind a byte-order mark
or in the wrong encoding, beside a good file. It asserts: no exception; every quarantine entry
names its file, row and field with a reason; every bad row is quarantined under its own row
number; every good row and the good file are stored; what was stored before is unchanged.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from safeguard.adapters.db.tables import data_quality_flags, person_mentions, quarantine
from safeguard.adapters.interchange.readers import MAX_FIELD_CHARS
from tests.factories import mention, write_csv
from tests.integration.test_ingest import ingest

pytestmark = pytest.mark.slow
COLUMNS = ["record_type", "schema_version", "source_system", "source_id", "forenames",
           "surname", "date_of_birth", "sex", "age"]  # fmt: skip
NAME = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop -'éøł", min_size=1, max_size=20)
# Kinds of row: good rows are stored; flagged rows are stored with the bad field null; the rest
# are quarantined under their row number.
GOOD, FLAGGED = "good", "flagged"
BAD = ("short", "nul", "huge", "unclosed_quote", "stray_quote", "bad_enum", "truncated")
JSON_BAD = ("nul", "huge", "bad_enum", "not_json", "deep", "not_object", "unknown_field")
PARQUET_BAD = ("nul", "huge", "bad_enum")
_examples = itertools.count()


def _record(sid: str, name: str) -> dict[str, str]:
    return {
        "record_type": "person_mention", "schema_version": "1", "source_system": "FUZZ",
        "source_id": sid, "forenames": name.strip() or "A", "surname": "S" + name.strip(),
        "date_of_birth": "1985-06-01", "sex": "female", "age": "",
    }  # fmt: skip


def _csv_line(values: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _csv_row(rec: dict[str, str], kind: str) -> str:
    values = [rec[c] for c in COLUMNS]
    if kind == "short":
        return _csv_line(values[:5])
    if kind == "nul":
        values[5] = values[5][:1] + "\x00" + values[5][1:]
    elif kind == "huge":
        values[5] = "h" * (MAX_FIELD_CHARS + 1)
    elif kind == "bad_enum":
        values[7] = "martian"
    elif kind == FLAGGED:
        values[8] = "abc"
    line = _csv_line(values)
    if kind == "unclosed_quote":
        return line.replace(",S", ',"S', 1)
    if kind == "stray_quote":
        return line.replace(",S", ',"S"x', 1)
    if kind == "truncated":
        return line[: len(line) // 3]
    return line


def _json_row(rec: dict[str, str], kind: str) -> str:
    obj: dict[str, object] = {k: v for k, v in rec.items() if v != ""}
    if kind == "nul":
        obj["surname"] = "S\x00" + rec["surname"]
    elif kind == "huge":
        obj["surname"] = "h" * (MAX_FIELD_CHARS + 1)
    elif kind == "bad_enum":
        obj["sex"] = "martian"
    elif kind == FLAGGED:
        obj["age"] = [1, 2]  # a wrong type: not a whole number
    elif kind == "not_json":
        return "{" + json.dumps(obj)[1:-1] + "\n"
    elif kind == "deep":
        return "[" * 50_000 + "]" * 50_000 + "\n"
    elif kind == "not_object":
        return json.dumps([obj]) + "\n"
    elif kind == "unknown_field":
        obj["shoe_size"] = 9
    return json.dumps(obj) + "\n"


@st.composite
def fuzz_file(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, str]], bool, str]:
    """(format, rows as (kind, source id, surname), BOM, encoding)."""
    fmt = draw(st.sampled_from(["csv", "jsonl", "parquet"]))
    bad = {"csv": BAD, "jsonl": JSON_BAD, "parquet": PARQUET_BAD}[fmt]
    kinds = draw(
        st.lists(
            st.one_of(st.just(GOOD), st.just(FLAGGED), st.sampled_from(bad)), min_size=1,
            max_size=12,
        )
    )  # fmt: skip
    kinds = [k for k in kinds if k != "truncated"] + (["truncated"] if "truncated" in kinds else [])
    names = draw(st.lists(NAME, min_size=len(kinds), max_size=len(kinds)))
    bom = fmt != "parquet" and draw(st.booleans())
    encoding = "utf-8" if fmt == "parquet" else draw(st.sampled_from(["utf-8"] * 4 + ["cp1252"]))
    return (
        fmt,
        list(zip(kinds, [f"{i}" for i in range(len(kinds))], names, strict=True)),
        bom,
        encoding,
    )


def _write(
    folder: Path, prefix: str, spec: tuple[str, list[tuple[str, str, str]], bool, str]
) -> Path:
    fmt, rows, bom, encoding = spec
    recs = [(kind, _record(f"{prefix}-{sid}", name)) for kind, sid, name in rows]
    path = folder / f"{prefix}.{fmt}"
    if fmt == "parquet":
        table = {
            c: [
                (
                    "S\x00x" if k == "nul" else "h" * (MAX_FIELD_CHARS + 1) if k == "huge" else r[c]
                ) if c == "surname" else ("martian" if k == "bad_enum" and c == "sex" else
                                          "abc" if k == FLAGGED and c == "age" else r[c])
                for k, r in recs
            ]
            for c in COLUMNS
        }  # fmt: skip
        pq.write_table(pa.table({c: pa.array(v, pa.string()) for c, v in table.items()}), path)
        return path
    if fmt == "csv":
        text = _csv_line(COLUMNS) + "".join(_csv_row(r, k) for k, r in recs)
    else:
        text = "".join(_json_row(r, k) for k, r in recs)
    data = text.encode("utf-8", errors="surrogatepass")
    if encoding == "cp1252":
        data = data.replace("é".encode(), b"\xe9")  # a Windows export: not valid UTF-8
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _stored(engine: Engine, prefix: str) -> dict[str, tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                person_mentions.c.source_id, person_mentions.c.surname, person_mentions.c.age
            ).where(person_mentions.c.source_id.like(f"{prefix}%"))
        )
        return {r[0]: (r[1], r[2]) for r in rows}


def _everything(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(person_mentions).order_by("id"))]


def test_ingest_survives_random_and_malformed_files(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, write_csv(tmp_path / "base.csv", [mention(f"BASE-{i}") for i in range(5)]))

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(spec=fuzz_file())
    def run(spec: tuple[str, list[tuple[str, str, str]], bool, str]) -> None:
        prefix = f"X{next(_examples)}"
        folder = tmp_path / prefix
        folder.mkdir()
        before = _everything(engine)
        fuzzed = _write(folder, prefix, spec)
        good_file = write_csv(folder / "good.csv", [mention(f"{prefix}G-{i}") for i in range(3)])
        summary = ingest(engine, fuzzed, good_file)  # must not raise

        stored = _stored(engine, prefix)
        assert {f"{prefix}G-{i}" for i in range(3)} <= set(stored)  # the good file
        for row in before:  # nothing already stored changed
            assert row in _everything(engine)
        with engine.connect() as conn:
            entries = conn.execute(
                sa.select(quarantine).where(quarantine.c.run_id == summary.run_id)
            ).all()
            flagged = {
                r.source_id
                for r in conn.execute(
                    sa.select(data_quality_flags.c.source_id).where(
                        data_quality_flags.c.run_id == summary.run_id
                    )
                )
            }
        for e in entries:
            assert e.file_path == str(fuzzed) and e.field and e.reason
            assert "\x00" not in (e.raw or "") + e.reason + (e.source_id or "")
        fmt, rows, _, encoding = spec
        rejected = [f for f in summary.files if f.error]
        if rejected:  # a whole file refused: only for its encoding, and said so
            assert [f.path for f in rejected] == [str(fuzzed)]
            assert encoding == "cp1252" or all(k not in (GOOD, FLAGGED) for k, _, _ in rows)
            assert [(e.row_number, e.field) for e in entries] == [(0, "(file)")]
            return
        bad_rows = {n for n, (k, _, _) in enumerate(rows, start=1) if k not in (GOOD, FLAGGED)}
        assert {e.row_number for e in entries} == bad_rows
        for n, (kind, sid, name) in enumerate(rows, start=1):
            key = f"{prefix}-{sid}"
            if kind in (GOOD, FLAGGED):
                assert key in stored, (kind, n)
                assert stored[key][0] == "S" + name.strip()  # stored as the file had it
                assert stored[key][1] is None  # age: blank, or flagged and stored as null
                assert (key in flagged) == (kind == FLAGGED)
            else:
                assert key not in stored, (kind, n)

    run()
