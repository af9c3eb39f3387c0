"""Stream interchange rows to disk chunk by chunk (CSV, Parquet or JSON Lines) with pyarrow.

Encoding follows the interchange contract: UTF-8 with a header row, arrays joined with ';' and
``answers`` as JSON object text in CSV, booleans ``true``/``false``, null as an empty cell;
JSON Lines leaves null fields out. Columns come in the schema's order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from safeguard.interchange.schema import COMMON_FIELDS, FieldSpec, record_spec
from safeguard.simulation.config import OutputFormat


def _column_type(spec: FieldSpec, fmt: OutputFormat) -> pa.DataType:
    if spec.kind == "integer":
        return pa.int64()
    if spec.kind == "boolean":
        return pa.bool_()
    if spec.kind == "array" and fmt == "parquet":
        return pa.list_(pa.string())
    return pa.string()


def _csv_value(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "array":
        return ";".join(value)
    if spec.kind == "object":
        return json.dumps(value, separators=(",", ":"))
    return value


class _TypeWriter:
    """One output file for one record type, opened on first write."""

    def __init__(self, path: Path, record_type: str, fmt: OutputFormat) -> None:
        self.path = path
        self.fmt = fmt
        spec = record_spec(record_type)
        self.names = list(COMMON_FIELDS) + [f.name for f in spec.fields]
        common = [FieldSpec(n, "string", True, "") for n in COMMON_FIELDS]
        self.specs = common + list(spec.fields)
        self.schema = pa.schema([pa.field(f.name, _column_type(f, fmt)) for f in self.specs])
        self.convert = [
            f for f in self.specs if f.kind == "object" or (fmt == "csv" and f.kind == "array")
        ]
        self._arrow: pacsv.CSVWriter | pq.ParquetWriter | None = None
        self._text: IO[str] | None = None
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return  # no file for a type with no rows: ingest refuses an empty file
        self.rows += len(rows)
        if self.fmt == "jsonl":
            if self._text is None:
                self._text = self.path.open("w", encoding="utf-8", newline="\n")
            for row in rows:
                ordered = {n: row[n] for n in self.names if row.get(n) is not None}
                self._text.write(json.dumps(ordered, ensure_ascii=False, separators=(",", ":")))
                self._text.write("\n")
            return
        for spec in self.convert:
            for row in rows:
                value = row.get(spec.name)
                if value is not None:
                    row[spec.name] = _csv_value(spec, value)
        table = pa.Table.from_pylist(rows, schema=self.schema)
        if self._arrow is None:
            if self.fmt == "csv":
                self._arrow = pacsv.CSVWriter(
                    str(self.path),
                    self.schema,
                    write_options=pacsv.WriteOptions(quoting_style="needed"),
                )
            else:
                self._arrow = pq.ParquetWriter(str(self.path), self.schema, compression="zstd")
        self._arrow.write_table(table)

    def close(self) -> None:
        if self._arrow is not None:
            self._arrow.close()
        if self._text is not None:
            self._text.close()


class InterchangeWriter:
    """``DIR/interchange/<record_type>.<ext>``, one file per record type, appended per chunk."""

    def __init__(self, directory: Path, fmt: OutputFormat) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.fmt = fmt
        self._writers: dict[str, _TypeWriter] = {}

    def write(self, record_type: str, rows: list[dict[str, Any]]) -> None:
        if record_type not in self._writers:
            path = self.directory / f"{record_type}.{self.fmt}"
            self._writers[record_type] = _TypeWriter(path, record_type, self.fmt)
        self._writers[record_type].write(rows)

    def counts(self) -> dict[str, int]:
        return {t: w.rows for t, w in sorted(self._writers.items())}

    def close(self) -> None:
        for w in self._writers.values():
            w.close()


class TruthWriter:
    """Plain CSV files under ``DIR/truth`` (read only by tests and bench), written with pyarrow
    from columns of text: booleans ``true``/``false``, null as an empty cell."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._files: dict[str, pacsv.CSVWriter] = {}

    def write(self, name: str, header: list[str], rows: list[dict[str, Any]]) -> None:
        self.write_columns(name, {h: [r.get(h) for r in rows] for h in header})

    def write_columns(self, name: str, columns: dict[str, list[Any]]) -> None:
        table = pa.table({h: _text(v) for h, v in columns.items()})
        if name not in self._files:
            self._files[name] = pacsv.CSVWriter(
                str(self.directory / name),
                table.schema,
                write_options=pacsv.WriteOptions(quoting_style="needed"),
            )
        self._files[name].write_table(table)

    def close(self) -> None:
        for w in self._files.values():
            w.close()


def _text(values: list[Any]) -> pa.Array:
    """One column as text (``true``/``false`` for booleans), converted by pyarrow."""
    return pa.array(values).cast(pa.string())
