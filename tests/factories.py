"""Plain factory functions for interchange rows and files (synthetic data only)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from safeguard.interchange.schema import COMMON_FIELDS, record_spec


def row(record_type: str, source_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "record_type": record_type,
        "schema_version": "1",
        "source_system": "NICHE",
        "source_id": source_id,
        **fields,
    }


def mention(source_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "forenames": "Alex",
        "surname": "Taylor",
        "date_of_birth": "1985-06-01",
        "sex": "female",
        "postcode": "CA1 1AA",
    }
    return row("person_mention", source_id, **(base | fields))


def event(source_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "event_type": "domestic_abuse",
        "occurred_at": "2024-03-01T21:15:00Z",
        "reported_at": "2024-03-01T21:40:00Z",
        "area": "North",
        "team": "Carlisle 1",
    }
    return row("event", source_id, **(base | fields))


def involvement(
    source_id: str, event_ref: str, mention_ref: str, role: str = "victim", **fields: Any
) -> dict[str, Any]:
    return row(
        "involvement", source_id, event_ref=event_ref, mention_ref=mention_ref, role=role, **fields
    )


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    rtype = rows[0]["record_type"]
    order = list(COMMON_FIELDS) + list(record_spec(rtype).field_names)
    present = {k for r in rows for k in r}
    return [c for c in order if c in present] + sorted(present - set(order))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def write_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8") -> Path:
    columns = _columns(rows)
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in columns])
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = _columns(rows)
    table = pa.table(
        {
            c: pa.array([None if r.get(c) is None else _cell(r.get(c)) for r in rows], pa.string())
            for c in columns
        }
    )
    pq.write_table(table, path)
    return path


WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "parquet": write_parquet}


def small_force(folder: Path, fmt: str = "csv") -> Path:
    """Three people, two incidents: enough to exercise references across files."""
    folder.mkdir(parents=True, exist_ok=True)
    write = WRITERS[fmt]
    write(
        folder / f"mentions.{fmt}",
        [
            mention(
                "P1",
                forenames="Robert",
                surname="Smith",
                date_of_birth="1980-02-29",
                sex="male",
                other_names=["Bob Smith"],
            ),
            mention("P2", forenames="Jane", surname="Doe", date_of_birth="1984-07-14"),
            mention("P3", forenames="Amy", surname="Doe", date_of_birth="2015-05-05"),
        ],
    )
    write(
        folder / f"events.{fmt}",
        [
            event("E1", summary="Argument at home", hate_crime_strands=[]),
            event(
                "E2",
                event_type="missing_person",
                occurred_at="2024-04-02T18:00:00Z",
                reported_at="2024-04-02T22:00:00Z",
                online=False,
            ),
        ],
    )
    write(
        folder / f"involvements.{fmt}",
        [
            involvement("I1", "E1", "P1", "suspect"),
            involvement("I2", "E1", "P2", "victim", relationship_to_suspect="intimate_partner"),
            involvement("I3", "E1", "P3", "child_present"),
            involvement("I4", "E2", "P3", "missing_person"),
        ],
    )
    return folder
