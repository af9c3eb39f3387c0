"""Plain-function factories of interchange rows (schema v1) for assessment tests, and a writer."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.tables import person_mentions
from safeguard.services.ingest import ingest_paths
from safeguard.services.unit_of_work import OPERATOR_RUN

SYSTEM = "NICHE"


def _row(record_type: str, source_id: str, **fields: Any) -> dict[str, Any]:
    row = {
        "record_type": record_type,
        "schema_version": "1",
        "source_system": SYSTEM,
        "source_id": source_id,
    }
    row.update({k: v for k, v in fields.items() if v is not None})
    return row


def person(source_id: str, dob: str | None = "1990-05-01", **kw: Any) -> dict[str, Any]:
    return _row(
        "person_mention", source_id, forenames="Alex", surname="Test", date_of_birth=dob, **kw
    )


def event(
    source_id: str, occurred_at: str, event_type: str = "domestic_abuse", **kw: Any
) -> dict[str, Any]:
    kw.setdefault("area", "North")
    kw.setdefault("team", "PPU-1")
    return _row("event", source_id, event_type=event_type, occurred_at=occurred_at, **kw)


def involvement(
    source_id: str, event_ref: str, mention_ref: str, role: str = "victim"
) -> dict[str, Any]:
    return _row("involvement", source_id, event_ref=event_ref, mention_ref=mention_ref, role=role)


def dash(
    source_id: str,
    subject_ref: str,
    completed_at: str,
    yes: int,
    *,
    event_ref: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    answers = {f"q{i}": "yes" if i <= yes else "no" for i in range(1, 28)}
    return _row(
        "risk_assessment",
        source_id,
        subject_ref=subject_ref,
        event_ref=event_ref,
        instrument_id="dash-police",
        instrument_version="2009",
        answers=answers,
        completed_at=completed_at,
        **kw,
    )


def referral(
    source_id: str, subject_ref: str, referral_type: str, made_at: str, **kw: Any
) -> dict[str, Any]:
    return _row(
        "referral",
        source_id,
        subject_ref=subject_ref,
        referral_type=referral_type,
        made_at=made_at,
        **kw,
    )


def missing(
    source_id: str, event_ref: str, mention_ref: str, reported: str, **kw: Any
) -> dict[str, Any]:
    return _row(
        "missing_episode", source_id, event_ref=event_ref, mention_ref=mention_ref,
        reported_missing_at=reported, **kw,
    )  # fmt: skip


def write(directory: Path, rows: Iterable[dict[str, Any]]) -> list[Path]:
    """One JSON Lines file per record type, rows in the order given."""
    directory.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_type.setdefault(r["record_type"], []).append(r)
    paths = []
    for rtype, items in by_type.items():
        path = directory / f"{rtype}.jsonl"
        path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
        paths.append(path)
    return paths


def ingest_clean(
    engine: Engine, directory: Path, rows: Iterable[dict[str, Any]], now: datetime
) -> dict[str, int]:
    """Ingest ``rows`` as the operator (every file must be clean) and return each stored
    mention's id by its source id."""
    summary = ingest_paths(engine, write(directory, rows), actor=OPERATOR_RUN, now=now)
    assert summary.clean, [(f.path, f.error, f.quarantined) for f in summary.files]
    with engine.connect() as conn:
        return {
            s: int(m)
            for m, s in conn.execute(sa.select(person_mentions.c.id, person_mentions.c.source_id))
        }
