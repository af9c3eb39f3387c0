"""Streaming readers for interchange files: CSV, JSON Lines and Parquet.

A file is opened (checked whole: format, encoding, header, record type) before any row is
stored, then read in batches whose every column is text, so one validator serves all formats.
Row numbers: 1 is the first data row (CSV: the line after the header; JSON Lines: the line).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from safeguard.errors import IngestError
from safeguard.interchange.schema import COMMON_FIELDS, record_spec, record_types

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
CHUNK = 1 << 20
CSV_BLOCK = 1 << 20  # rows per read block; a single row may not exceed it


@dataclass(slots=True)
class RawBatch:
    """Rows as text columns, their row numbers, and rows that could not even be parsed."""

    table: pa.Table
    rows: list[int]
    unparsable: list[tuple[int, str, str]] = field(default_factory=list)  # (row, reason, raw)


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
    decoder = codecs.getincrementaldecoder(encoding)()
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
            self.columns = self._header() if fmt == "csv" else []
        self.record_type = self._sniff_record_type()
        self.spec = record_spec(self.record_type)
        if fmt != "jsonl":
            self._check_columns()

    # --- opening checks ---------------------------------------------------------------------
    def _header(self) -> list[str]:
        with self.path.open(encoding=self.encoding, newline="") as fh:
            header = next(csv.reader(fh), None)
        if not header or not any(h.strip() for h in header):
            raise IngestError(str(self.path), "has no header row")
        names = [h.strip().lstrip("\ufeff") for h in header]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise IngestError(str(self.path), f"repeats column(s) {', '.join(dupes)}")
        return names

    def _sniff_record_type(self) -> str:
        first: str | None = None
        if self.format == "csv":
            if "record_type" not in self.columns:
                raise IngestError(str(self.path), "has no record_type column")
            with self.path.open(encoding=self.encoding, newline="") as fh:
                reader = csv.DictReader(fh, fieldnames=self.columns)
                next(reader, None)
                row = next(reader, None)
            if row is None:
                raise IngestError(str(self.path), "has a header but no rows")
            first = (row.get("record_type") or "").strip()
        elif self.format == "jsonl":
            with self.path.open(encoding=self.encoding) as fh:
                for line in fh:
                    if line.strip():
                        try:
                            obj = json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise IngestError(
                                str(self.path), f"first line is not valid JSON ({exc.msg})"
                            ) from exc
                        first = str(obj.get("record_type", "")) if isinstance(obj, dict) else ""
                        break
            if first is None:
                raise IngestError(str(self.path), "has no rows")
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
                f"first row's record_type '{first[:40]}' is not one of: "
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
            yield from self._csv_batches(size)
        elif self.format == "jsonl":
            yield from self._jsonl_batches(size)
        else:
            yield from self._parquet_batches(size)

    def _csv_batches(self, size: int) -> Iterator[RawBatch]:
        bad: list[tuple[int, str, str]] = []

        def on_invalid(row: Any) -> str:
            where = row.number - 1 if row.number is not None else 0
            bad.append(
                (
                    where,
                    f"has {row.actual_columns} fields; the header has {row.expected_columns}",
                    row.text,
                )
            )
            return "skip"

        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(encoding=self.encoding, block_size=CSV_BLOCK),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in self.columns},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        next_row = 1
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        try:
            for rb in reader:
                pending.append(rb)
                pending_rows += rb.num_rows
                if pending_rows >= size:
                    table = pa.Table.from_batches(pending).rename_columns(self.columns)
                    yield RawBatch(
                        table, list(range(next_row, next_row + table.num_rows)), bad.copy()
                    )
                    next_row += table.num_rows
                    bad.clear()
                    pending, pending_rows = [], 0
        except pa.ArrowInvalid as exc:
            raise IngestError(
                str(self.path), f"cannot be read as CSV after row {next_row}: {exc}"
            ) from exc
        if pending or bad:
            table = (
                pa.Table.from_batches(pending).rename_columns(self.columns)
                if pending
                else pa.table({c: pa.array([], pa.string()) for c in self.columns})
            )
            yield RawBatch(table, list(range(next_row, next_row + table.num_rows)), bad.copy())

    def _jsonl_batches(self, size: int) -> Iterator[RawBatch]:
        allowed = set(COMMON_FIELDS) | set(self.spec.field_names)
        records: list[dict[str, str | None]] = []
        rows: list[int] = []
        bad: list[tuple[int, str, str]] = []
        with self.path.open(encoding=self.encoding) as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    bad.append((number, f"is not valid JSON ({exc.msg})", line))
                    continue
                if not isinstance(obj, dict):
                    bad.append((number, "is not a JSON object", line))
                    continue
                unknown = [k for k in obj if k not in allowed]
                if unknown:
                    bad.append((number, f"has unknown field(s) {', '.join(unknown[:5])}", line))
                    continue
                records.append({k: _as_text(v) for k, v in obj.items()})
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
