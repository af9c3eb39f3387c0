"""Generate extracts chunk by chunk and stream them to ``DIR/interchange`` and ``DIR/truth``.

Chunk *c* of ``chunk_people`` people draws from ``SeedSequence(seed, spawn_key=(c,))``, so the
same configuration gives the same files, and memory holds one chunk at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from safeguard.interchange.schema import COMMON_FIELDS, SCHEMA_VERSION, record_spec
from safeguard.simulation.extracts import events as ev
from safeguard.simulation.extracts.config import GENERATOR_VERSION, ExtractConfig
from safeguard.simulation.extracts.habits import Writer
from safeguard.simulation.extracts.households import HouseholdBuilder
from safeguard.simulation.extracts.mentions import draw, homes, persons
from safeguard.simulation.extracts.truth import README, TruthFiles

_INTEGER = {"age"}


@dataclass
class ExtractResult:
    people: int
    mentions: int
    events: int
    seconds: float
    interchange_dir: Path
    truth_dir: Path


class _CsvOut:
    """One interchange CSV per record type, columns in the schema's order."""

    def __init__(self, path: Path, record_type: str) -> None:
        self.path = path
        self.record_type = record_type
        self.names = [*COMMON_FIELDS, *(f.name for f in record_spec(record_type).fields)]
        self.schema = pa.schema(
            [pa.field(n, pa.int64() if n in _INTEGER else pa.string()) for n in self.names]
        )
        self._w: pacsv.CSVWriter | None = None
        self.rows = 0

    def write(self, columns: dict[str, Any], n: int) -> None:
        if n == 0:
            return
        arrays = []
        for f in self.schema:
            values = columns.get(f.name)
            if values is None:
                arrays.append(pa.nulls(n, f.type))
            else:
                arrays.append(pa.array(list(values), type=f.type, from_pandas=True))
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        if self._w is None:
            self._w = pacsv.CSVWriter(
                str(self.path),
                self.schema,
                write_options=pacsv.WriteOptions(quoting_style="needed"),
            )
        self._w.write_table(table)
        self.rows += n

    def close(self) -> None:
        if self._w is not None:
            self._w.close()


def generate_extracts(
    cfg: ExtractConfig, out: Path, progress: Callable[[int, int], None] | None = None
) -> ExtractResult:
    """Write ``cfg.people`` people's mentions, events and involvements, with the truth."""
    t0 = time.perf_counter()
    inter = out / "interchange"
    inter.mkdir(parents=True, exist_ok=True)
    files = {t: _CsvOut(inter / f"{t}.csv", t) for t in ("person_mention", "event", "involvement")}
    truth = TruthFiles(out / "truth")
    chunks = -(-cfg.people // cfg.chunk_people)
    done = mentions = events = 0
    for c in range(chunks):
        n = min(cfg.chunk_people, cfg.people - c * cfg.chunk_people)
        rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(c,)))
        m, e = _chunk(cfg, rng, c, n, files, truth)
        done += n
        mentions += m
        events += e
        if progress is not None:
            progress(done, cfg.people)
    for f in files.values():
        f.close()
    truth.close()
    (out / "truth" / "README.md").write_text(
        README.format(
            version=GENERATOR_VERSION, people=cfg.people, profile=cfg.profile, seed=cfg.seed
        ),
        encoding="utf-8",
    )
    return ExtractResult(
        people=cfg.people,
        mentions=mentions,
        events=events,
        seconds=time.perf_counter() - t0,
        interchange_dir=inter,
        truth_dir=out / "truth",
    )


def _chunk(cfg: ExtractConfig, rng: np.random.Generator, c: int, n: int,
           files: dict[str, _CsvOut], truth: TruthFiles) -> tuple[int, int]:  # fmt: skip
    builder = HouseholdBuilder(cfg, rng)
    first_household = c * cfg.chunk_people
    people, n_households = builder.build(n, c * (cfg.chunk_people + 10), first_household)
    p = persons(cfg, rng, people, builder.pickers)
    h = homes(cfg, rng, c, first_household, n_households)
    d = draw(cfg, rng, p)
    grouped = ev.group(cfg, rng, d, p)
    f = Writer(cfg, rng, builder.traditions).fields(d, p, h)
    m = len(d.person)
    system_names = np.array([s.name for s in cfg.systems], dtype=object)
    systems = system_names[d.system]
    sids = np.array(
        [f"{s}-M{c:04d}-{i:07d}" for s, i in zip(systems, range(m), strict=True)], dtype=object
    )
    recorded = f["mention_date"] + "T12:00:00Z"
    files["person_mention"].write(
        {
            "record_type": np.full(m, "person_mention", dtype=object),
            "schema_version": np.full(m, SCHEMA_VERSION, dtype=object),
            "source_system": systems,
            "source_id": sids,
            "recorded_at": recorded,
            **{k: v for k, v in f.items() if k != "variations"},
        },
        m,
    )
    n_events = _events(files, c, grouped, d, systems, sids, f["mention_date"], people, rng)
    truth.write_chunk(p, people, h, systems, sids, f["variations"])
    return m, n_events


def _events(files: dict[str, _CsvOut], c: int, g: ev.Events, d: Any, systems: np.ndarray,
            sids: np.ndarray, dates: np.ndarray, people: Any,
            rng: np.random.Generator) -> int:  # fmt: skip
    has = np.flatnonzero(g.of_mention >= 0)
    if not len(has):
        return 0
    # the first mention of each event gives its system and day
    order = has[np.argsort(g.of_mention[has], kind="stable")]
    ev_of = g.of_mention[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ev_of[1:] != ev_of[:-1]
    lead = order[first]
    e_sys = systems[lead]
    e_ids = np.array(
        [f"{s}-E{c:04d}-{e:07d}" for s, e in zip(e_sys, ev_of[first], strict=True)], dtype=object
    )
    minutes = rng.integers(0, 24 * 60, len(lead))
    occurred = np.array(
        [f"{dt}T{mm // 60:02d}:{mm % 60:02d}:00Z" for dt, mm in zip(dates[lead], minutes,
                                                                   strict=True)], dtype=object
    )  # fmt: skip
    domestic = g.domestic[ev_of[first]]
    kind = np.where(domestic, "domestic_abuse",
                    np.where(e_sys == "NICHE", "other_crime", "other_incident"))  # fmt: skip
    k = len(lead)
    files["event"].write(
        {
            "record_type": np.full(k, "event", dtype=object),
            "schema_version": np.full(k, SCHEMA_VERSION, dtype=object),
            "source_system": e_sys,
            "source_id": e_ids,
            "recorded_at": occurred,
            "event_type": kind.astype(object),
            "occurred_at": occurred,
            "reported_at": occurred,
        },
        k,
    )
    # involvements: the event's first mention is the victim of a domestic incident
    event_sid = e_ids[np.cumsum(first) - 1]
    is_lead = first
    dom = domestic[np.cumsum(first) - 1]
    u = rng.random(len(order))
    role = np.where(
        dom,
        np.where(is_lead, "victim", "suspect"),
        np.where(u < 0.55, "suspect", np.where(u < 0.85, "victim", "witness")),
    ).astype(object)
    role[(systems[order] == "STORM") & ~dom & (u < 0.3)] = "reporter"
    relationship = np.full(len(order), None, dtype=object)
    relationship[dom & is_lead] = "family_member"
    ni = len(order)
    files["involvement"].write(
        {
            "record_type": np.full(ni, "involvement", dtype=object),
            "schema_version": np.full(ni, SCHEMA_VERSION, dtype=object),
            "source_system": systems[order],
            "source_id": np.array([f"{s}-I{c:04d}-{i:07d}" for s, i in
                                   zip(systems[order], order, strict=True)], dtype=object),
            "recorded_at": occurred[np.cumsum(first) - 1],
            "event_ref": event_sid,
            "mention_ref": sids[order],
            "role": role,
            "relationship_to_suspect": relationship,
        },
        ni,
    )  # fmt: skip
    del d, people
    return k
