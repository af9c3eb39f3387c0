"""Streaming readers for interchange files: CSV, JSON Lines and Parquet.

A file is opened (checked whole: format, encoding, header, record type) before any row is
stored, then read in batches whose every column is text, so one validator serves all formats.
Row numbers: 1 is the first data row (CSV: the record after the header, blank lines not counted;
JSON Lines: the line). A row that cannot be parsed (bad quoting, wrong field count, a field over
``MAX_FIELD_CHARS``, JSON nested too deep) is handed on as unparsable under its own row number, and
reading goes on with the next row: bad input never stops the file.

About 500 lines on purpose: three formats behind one streaming interface, with the same row
numbering and the same handling of rows that cannot be parsed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from safeguard.errors import IngestError
from safeguard.interchange.schema import COMMON_FIELDS, record_spec, record_types

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
CHUNK = 1 << 20
# The longest value any field may have (the schema's longest text is 4,000 characters; answers
# objects are longer). A longer value quarantines its row, naming the field.
MAX_FIELD_CHARS = 128 * 1024
# What the csv module may read as one field before it gives up on the row (it then becomes an
# unparsable row, not a crash); well above MAX_FIELD_CHARS so that limit is the one people see.
CSV_FIELD_HARD_LIMIT = 64 * 1024 * 1024
RAW_LIMIT = 2000
_SURROGATE = re.compile("[\ud800-\udfff]")

csv.field_size_limit(CSV_FIELD_HARD_LIMIT)


@dataclass(slots=True)
class RawBatch:
    """Rows as text columns, their row numbers, and rows that could not even be parsed."""

    table: pa.Table
    rows: list[int]
    # (row, field, reason, raw): "(row)" as the field when the row as a whole is bad
    unparsable: list[tuple[int, str, str, str]] = field(default_factory=list)


ROW = "(row)"


def text_encoding(encoding: str) -> str:
    """The codec to read with: UTF-8 also accepts a leading byte-order mark (Excel writes one)."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def discover(paths: list[Path]) -> list[Path]:
    """Files named on the command line, and interchange files found under named folders."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in FORMATS)
        elif path.exists():
            found.append(path)
        else:
            raise IngestError(str(path), "no such file or folder")
    return found


def _digest_and_check_text(path: Path, encoding: str) -> str:
    """SHA-256 of the file; for text formats, prove it decodes before anything is stored."""
    sha = hashlib.sha256()
    try:
        decoder = codecs.getincrementaldecoder(text_encoding(encoding))()
    except LookupError as exc:
        raise IngestError(str(path), f"--encoding {encoding!r} is not a known encoding") from exc
    offset = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise IngestError(
                    str(path),
                    f"is not valid {encoding} text (byte 0x{chunk[exc.start]:02x} at offset "
                    f"{offset + exc.start:,}); export it as UTF-8, or name its encoding with "
                    "--encoding (e.g. cp1252)",
                ) from exc
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise IngestError(str(path), f"ends in the middle of a {encoding} character") from exc
    return sha.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (identifies the file in the quarantine)."""
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ";".join("" if v is None else str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class InterchangeFile:
    """One input file, checked on opening; iterate ``batches()`` to read it."""

    def __init__(self, path: Path, encoding: str = "utf-8") -> None:
        self.path = path
        self.encoding = encoding
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise IngestError(str(path), "is not a .csv, .jsonl, .ndjson or .parquet file")
        self.format = fmt
        if path.stat().st_size == 0:
            raise IngestError(str(path), "is empty (no header and no rows)")
        if fmt == "parquet":
            self.sha256 = file_sha256(path)
            try:
                self._parquet = pq.ParquetFile(path)
            except (pa.ArrowInvalid, OSError) as exc:
                raise IngestError(
                    str(path), f"is not a readable Parquet file (truncated or damaged: {exc})"
                ) from exc
            self.columns = list(self._parquet.schema_arrow.names)
        else:
            self.sha256 = _digest_and_check_text(path, encoding)
            self.text_encoding = text_encoding(encoding)
            self.columns = self._header() if fmt == "csv" else []
        self.record_type = self._sniff_record_type()
        self.spec = record_spec(self.record_type)
        if fmt != "jsonl":
            self._check_columns()

    # --- opening checks ---------------------------------------------------------------------
    def _open_text(self) -> io.TextIOWrapper:
        return self.path.open(encoding=self.text_encoding, newline="")

    def _header(self) -> list[str]:
        with self._open_text() as fh:
            try:
                header = next(csv.reader(fh, strict=True), None)
            except csv.Error as exc:
                raise IngestError(
                    str(self.path), f"has a header row that is not CSV ({exc})"
                ) from exc
        if not header or not any(h.strip() for h in header):
            raise IngestError(str(self.path), "has no header row")
        if any("\x00" in h for h in header):
            raise IngestError(str(self.path), "has a NUL byte (\\x00) in its header row")
        names = [h.strip().lstrip("\ufeff") for h in header]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise IngestError(str(self.path), f"repeats column(s) {', '.join(dupes)}")
        return names

    def _first_csv_record_type(self) -> str | None:
        """The record type of the first data row that can be read (a broken first row is the
        reader's to quarantine, not a reason to refuse the file)."""
        where = self.columns.index("record_type")
        with self._open_text() as fh:
            for _, record, _ in _csv_records(fh, skip_header=True):
                if isinstance(record, list) and len(record) > where:
                    return record[where].strip()
        return None

    def _sniff_record_type(self) -> str:
        first: str | None = None
        if self.format == "csv":
            if "record_type" not in self.columns:
                raise IngestError(str(self.path), "has no record_type column")
            first = self._first_csv_record_type()
            if first is None:
                raise IngestError(str(self.path), "has a header but no rows")
        elif self.format == "jsonl":
            with self._open_text() as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    obj, _ = _json_object(line)
                    if isinstance(obj, dict):
                        first = str(obj.get("record_type", ""))
                        break
            if first is None:
                raise IngestError(str(self.path), "has no line that is a JSON object")
        else:
            if "record_type" not in self.columns:
                raise IngestError(str(self.path), "has no record_type column")
            if self._parquet.metadata.num_rows == 0:
                raise IngestError(str(self.path), "has no rows")
            batch = next(self._parquet.iter_batches(batch_size=1, columns=["record_type"]))
            first = str(batch.column(0)[0].as_py() or "")
        if first not in record_types():
            raise IngestError(
                str(self.path),
                f"first row's record_type '{_printable(first[:40])}' is not one of: "
                + ", ".join(record_types()),
            )
        return first

    def _check_columns(self) -> None:
        allowed = set(COMMON_FIELDS) | set(self.spec.field_names)
        required = set(self.spec.schema["required"])
        unknown = [c for c in self.columns if c not in allowed]
        missing = sorted(required - set(self.columns))
        if unknown:
            raise IngestError(
                str(self.path),
                f"has unknown column(s) {', '.join(unknown)}; a {self.record_type} file may have: "
                f"{', '.join(sorted(allowed))}",
            )
        if missing:
            raise IngestError(str(self.path), f"lacks required column(s) {', '.join(missing)}")

    # --- reading ----------------------------------------------------------------------------
    def batches(self, size: int) -> Iterator[RawBatch]:
        if self.format == "csv":
            raw = self._csv_batches(size)
        elif self.format == "jsonl":
            raw = self._jsonl_batches(size)
        else:
            raw = self._parquet_batches(size)
        last = 0
        try:
            for batch in raw:
                batch = _limit_fields(batch)
                last = max([last, *batch.rows[-1:], *(b[0] for b in batch.unparsable)])
                yield batch
        except (csv.Error, UnicodeError, pa.ArrowException, RecursionError, OverflowError) as exc:
            # Whatever a row-level check did not foresee stops this file only, with a reason.
            raise IngestError(
                str(self.path), f"cannot be read after row {last}: {type(exc).__name__}: {exc}"
            ) from exc

    def _csv_batches(self, size: int) -> Iterator[RawBatch]:
        names = self.columns
        width = len(names)
        values: list[list[str]] = [[] for _ in names]
        rows: list[int] = []
        bad: list[tuple[int, str, str, str]] = []
        with self._open_text() as fh:
            for number, record, text in _csv_records(fh, skip_header=True, width=width):
                if isinstance(record, str):
                    bad.append((number, ROW, record, text))
                elif len(record) != width:
                    bad.append(
                        (number, ROW, f"has {len(record)} fields; the header has {width}", text)
                    )
                else:
                    for column, value in zip(values, record, strict=True):
                        column.append(value)
                    rows.append(number)
                if len(rows) >= size:
                    yield RawBatch(self._csv_table(values), rows, bad)
                    values, rows, bad = [[] for _ in names], [], []
        if rows or bad:
            yield RawBatch(self._csv_table(values), rows, bad)

    def _csv_table(self, values: list[list[str]]) -> pa.Table:
        return pa.table(
            {n: pa.array(v, pa.string()) for n, v in zip(self.columns, values, strict=True)}
        )

    def _jsonl_batches(self, size: int) -> Iterator[RawBatch]:
        allowed = set(COMMON_FIELDS) | set(self.spec.field_names)
        records: list[dict[str, str | None]] = []
        rows: list[int] = []
        bad: list[tuple[int, str, str, str]] = []
        with self._open_text() as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                obj, error = _json_object(line)
                if obj is None:
                    bad.append((number, ROW, error, line))
                    continue
                unknown = [k for k in obj if k not in allowed]
                if unknown:
                    shown = ", ".join(_printable(k[:40]) for k in unknown[:5])
                    bad.append((number, ROW, f"has unknown field(s) {shown}", line))
                    continue
                try:
                    record = {k: _as_text(v) for k, v in obj.items()}
                except (RecursionError, ValueError):
                    bad.append((number, ROW, "has a value nested too deeply to read", line))
                    continue
                records.append(record)
                rows.append(number)
                if len(records) >= size:
                    yield RawBatch(self._table(records), rows, bad)
                    records, rows, bad = [], [], []
        if records or bad:
            yield RawBatch(self._table(records), rows, bad)

    def _table(self, records: list[dict[str, str | None]]) -> pa.Table:
        names = list(COMMON_FIELDS) + list(self.spec.field_names)
        return pa.table({n: pa.array([r.get(n) for r in records], pa.string()) for n in names})

    def _parquet_batches(self, size: int) -> Iterator[RawBatch]:
        next_row = 1
        try:
            for rb in self._parquet.iter_batches(batch_size=size):
                cols = {name: _text_column(rb.column(i)) for i, name in enumerate(rb.schema.names)}
                table = pa.table(cols)
                yield RawBatch(table, list(range(next_row, next_row + table.num_rows)))
                next_row += table.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise IngestError(
                str(self.path), f"cannot be read after row {next_row - 1} (damaged: {exc})"
            ) from exc


def _printable(text: str) -> str:
    """Text for a message: control characters shown as escapes (a NUL is never passed on)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _json_object(line: str) -> tuple[dict[str, Any] | None, str]:
    """A JSON Lines line as an object, or None and why it is not one."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return None, "is JSON nested too deeply to read"
    if not isinstance(obj, dict):
        return None, "is not a JSON object"
    if "\\u" in line and _has_surrogate(obj):
        return None, "has an unpaired \\u surrogate escape (not a character)"
    return obj, ""


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


class _Lines:
    """Lines of a text file, remembering those of the current record, with a way to give some
    back (to re-read them as rows of their own after a broken record swallowed them)."""

    def __init__(self, source: Iterable[str]) -> None:
        self.source = iter(source)
        self.back: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.back.popleft() if self.back else next(self.source)
        self.taken.append(line)
        return line


def _csv_records(
    fh: Iterable[str], *, skip_header: bool, width: int | None = None
) -> Iterator[tuple[int, list[str] | str, str]]:
    """(row number, fields or why the row cannot be read, the row's text) for each data row.

    A row the csv module refuses (an unclosed or stray quote, a field beyond the module's limit,
    the file ending inside a quoted value) is reported under its own number, and the lines it
    swallowed after its first are read again as rows of their own; so are the lines of a
    multi-line row with the wrong number of fields (``width``). Blank lines are not rows.
    """
    lines = _Lines(fh)
    reader = csv.reader(lines, strict=True)
    if skip_header:
        try:
            next(reader)
        except (csv.Error, StopIteration):
            return
    number = 0
    while True:
        lines.taken = []
        try:
            record: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            record = f"cannot be read as CSV ({exc})"
            reader = csv.reader(lines, strict=True)  # a fresh parser state for what follows
        taken = lines.taken
        if not taken:
            return
        if isinstance(record, list) and not record:
            continue  # a blank line
        number += 1
        broken = isinstance(record, str)
        miscounted = width is not None and not broken and len(record) != width
        if len(taken) > 1 and (broken or miscounted):
            lines.back.extendleft(reversed(taken[1:]))
            taken = taken[:1]
            if miscounted:
                record = (
                    f"has {len(record)} fields; the header has {width} (a quoted value runs "
                    "on over the following lines, which are read as rows of their own)"
                )
        text = "".join(taken)
        yield number, record, text if len(text) <= RAW_LIMIT else text[: RAW_LIMIT - 1] + "…"


def _limit_fields(batch: RawBatch) -> RawBatch:
    """Rows with a value longer than MAX_FIELD_CHARS become unparsable, naming the field."""
    table = batch.table
    too_long: dict[int, tuple[str, int]] = {}
    for name in table.column_names:
        col = table.column(name)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        lengths = pc.utf8_length(col)
        over = pc.fill_null(pc.greater(lengths, MAX_FIELD_CHARS), False)
        if not pc.any(over).as_py():
            continue
        for i in pc.indices_nonzero(over).to_pylist():
            too_long.setdefault(int(i), (name, int(lengths[i].as_py())))
    if not too_long:
        return batch
    bad = list(batch.unparsable)
    for i, (name, length) in sorted(too_long.items()):
        bad.append(
            (
                batch.rows[i],
                name,
                f"is {length:,} characters long; no field may be longer than {MAX_FIELD_CHARS:,}",
                raw_text(batch, i, RAW_LIMIT),
            )
        )
    keep = [i for i in range(table.num_rows) if i not in too_long]
    return RawBatch(table.take(pa.array(keep, pa.int64())), [batch.rows[i] for i in keep], bad)


def _text_column(col: pa.Array) -> pa.Array:
    """Any Parquet column as text in the interchange's text conventions."""
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col.cast(pa.string())
    if pa.types.is_timestamp(t):
        if t.tz is None:
            return pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")  # no offset: the validator says so
        return pc.strftime(col.cast(pa.timestamp("us", "UTC")), format="%Y-%m-%dT%H:%M:%SZ")
    if pa.types.is_date(t):
        return pc.strftime(col, format="%Y-%m-%d")
    if pa.types.is_boolean(t):
        return pc.if_else(col, "true", "false")
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pc.binary_join(col.cast(pa.list_(pa.string())), ";")
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return pa.array(
            [
                None
                if v is None
                else json.dumps(dict(v) if isinstance(v, list) else v, default=str)
                for v in col.to_pylist()
            ],
            pa.string(),
        )
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    return col.cast(pa.string())


def raw_text(batch: RawBatch, index: int, limit: int = 2000) -> str:
    """A row as the file had it, for the quarantine (cut to ``limit`` characters)."""
    row = {
        k: v for k, v in batch.table.slice(index, 1).to_pylist()[0].items() if v not in (None, "")
    }
    buf = io.StringIO()
    json.dump(row, buf, ensure_ascii=False)
    text = buf.getvalue()
    return text if len(text) <= limit else text[: limit - 1] + "…"
