"""Storing one batch of an interchange file's records: validate it column by column,
quarantine bad rows, flag doubtful ones, judge repeats within the file and the run, resolve
references, then insert new records and update changed ones in one transaction per batch.

Over 400 lines because one batch's steps share the file's state (its keys so far, its counts,
its result); the file's reading and the run are in ``services/ingest.py``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import runs
from safeguard.adapters.db.record_store import KEY_CONFLICTS, Existing, RecordStore
from safeguard.adapters.interchange.readers import (
    InterchangeFile,
    RawBatch,
    raw_text,
)
from safeguard.adapters.interchange.validate import Flag, Problem, validate_batch
from safeguard.interchange.schema import RecordSpec

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class FileResult:
    """What happened to one file."""

    path: str
    record_type: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    quarantined: int = 0
    flagged: int = 0
    error: str | None = None


@dataclass(slots=True)
class _Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    quarantined: int = 0
    flagged: int = 0


class RunKeys:
    """Keys (hashes of system + id) given by the files of this run so far, per record type,
    with the file and row of their first occurrence: the same id in two files of one run is
    judged like a repeat within one file, not left to whichever file is read last."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self.keys: dict[str, list[tuple[np.ndarray, np.ndarray, int]]] = {}

    def add_file(self, path: str) -> int:
        self.files.append(path)
        return len(self.files) - 1


class FileIngest:
    """State for one file: which keys it has already given, for in-file duplicates."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        file: InterchangeFile,
        now: datetime,
        tolerance: timedelta,
        run_keys: RunKeys | None = None,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.file = file
        self.run_keys = run_keys or RunKeys()
        self.file_no = self.run_keys.add_file(str(file.path))
        self.spec: RecordSpec = file.spec
        self.now = now
        self.now_text = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        self.tolerance = tolerance
        # Keys (hashes of system + id) seen in this run's files of this record type (this file
        # included), as sorted arrays with the row and file of their first occurrence.
        self.seen = self.run_keys.keys.setdefault(file.record_type, [])
        self.result = FileResult(str(file.path), file.record_type)
        self.fresh: dict[str, bool] = {}  # source system -> had no records when the file began
        self.flags: list[Flag] = []  # of the batch being stored

    def _entry(
        self,
        batch: RawBatch,
        index: int | None,
        row: int,
        fieldname: str,
        reason: str,
        ids: tuple[str | None, str | None] = (None, None),
    ) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "file_path": str(self.file.path),
            "file_sha256": self.file.sha256,
            "row_number": row,
            "field": fieldname,
            "record_type": self.spec.record_type,
            "source_system": ids[0],
            "source_id": ids[1],
            "reason": reason,
            "raw": raw_text(batch, index) if index is not None else None,
            "quarantined_at": self.now,
        }

    def batch(self, batch: RawBatch) -> None:
        spec = self.spec
        n = batch.table.num_rows
        self.result.rows_read += n + len(batch.unparsable)
        entries = [
            {**self._entry(batch, None, row, fieldname, reason), "raw": text[:2000]}
            for row, fieldname, reason, text in batch.unparsable
        ]
        bad_rows: set[int] = {row for row, _, _, _ in batch.unparsable}
        if n == 0:
            self._write(entries, bad_rows)
            return
        checked = validate_batch(spec, batch.table, now=self.now, future_tolerance=self.tolerance)
        cols = checked.columns
        problems: list[Problem] = list(checked.problems)
        self.flags = checked.flags
        hashes = _content_hashes(cols)

        keep = np.ones(n, dtype=bool)
        for p in problems:
            keep[p.row] = False
        repeats = self._repeats(cols, hashes, batch.rows, keep)

        def commit(*, bulk: bool) -> _Counts:
            return self._commit(
                batch,
                cols,
                hashes,
                keep.copy(),
                list(problems),
                repeats,
                list(entries),
                set(bad_rows),
                bulk=bulk,
            )

        try:
            counts = commit(bulk=True)
        except KEY_CONFLICTS:
            # Another writer stored some of these keys since this file began: redo the batch
            # with a lookup of every key (the failed transaction left nothing behind).
            logger.info("batch of %s rows retried with key lookups", n)
            self.fresh = dict.fromkeys(self.fresh, False)
            counts = commit(bulk=False)
        self.result.inserted += counts.inserted
        self.result.updated += counts.updated
        self.result.unchanged += counts.unchanged
        self.result.duplicates += counts.duplicates
        self.result.quarantined += counts.quarantined
        self.result.flagged += counts.flagged

    def _commit(
        self,
        batch: RawBatch,
        cols: dict[str, pa.Array],
        hashes: list[str],
        keep: np.ndarray,
        problems: list[Problem],
        repeats: list[tuple[int, int, int | None, int]],
        entries: list[dict[str, Any]],
        bad_rows: set[int],
        *,
        bulk: bool,
    ) -> _Counts:
        """One transaction: resolve, compare with what is stored, write, quarantine, count.

        ``bulk``: for a source system that had no records of this type when the file began, a
        key can only be stored already by this file, and in-file repeats are caught before
        this point, so the per-key lookup is skipped.
        """
        spec = self.spec
        systems: list[str | None] = cols["source_system"].to_pylist()
        sids: list[str | None] = cols["source_id"].to_pylist()
        counts = _Counts()
        with self.engine.begin() as conn:
            store = RecordStore(conn)
            counts.duplicates = self._judge_repeats(
                store, repeats, systems, sids, hashes, keep, problems
            )
            refs = self._resolve_refs(store, cols, systems, keep, problems)
            for p in problems:
                keep[p.row] = False
            self._check_birth_before_event(store, refs, keep, problems)
            for p in problems:
                keep[p.row] = False
            by_system: dict[str, list[int]] = {}
            for i in np.flatnonzero(keep).tolist():
                by_system.setdefault(str(systems[i]), []).append(int(i))
            new_idx: list[int] = []
            changed: list[tuple[int, Existing]] = []
            for system, idx in by_system.items():
                if system not in self.fresh:
                    self.fresh[system] = not store.any_stored(spec.record_type, system)
                if bulk and self.fresh[system]:
                    new_idx += idx
                    continue
                existing = store.existing(spec.record_type, system, [str(sids[i]) for i in idx])
                for i in idx:
                    old = existing.get(str(sids[i]))
                    if old is None:
                        new_idx.append(i)
                    elif old.content_hash == hashes[i]:
                        counts.unchanged += 1
                    else:
                        changed.append((i, old))
            stale = self._stale(cols, changed)
            for i, old in stale:
                problems.append(
                    Problem(
                        i,
                        "recorded_at",
                        "is older than the stored version "
                        f"(recorded {old.recorded_at:%Y-%m-%d %H:%M}); the "
                        "stored version was kept",
                    )
                )
            changed = [c for c in changed if c not in stale]
            reasons: dict[tuple[int, str], list[str]] = {}
            for p in problems:
                reasons.setdefault((p.row, p.field), []).append(p.reason)
            for (row, fieldname), texts in reasons.items():
                entries.append(
                    self._entry(
                        batch,
                        row,
                        batch.rows[row],
                        fieldname,
                        "; ".join(texts),
                        (systems[row], sids[row]),
                    )
                )
                bad_rows.add(batch.rows[row])
            self._store(store, cols, refs, hashes, new_idx, changed)
            store.quarantine(entries)
            flags = self._flag_entries(batch, cols, {*new_idx, *(i for i, _ in changed)})
            store.flag_fields(flags)
            self._count_run(conn, len(bad_rows), len(new_idx), len(changed), len(flags))
        counts.inserted, counts.updated, counts.quarantined = (
            len(new_idx),
            len(changed),
            len(bad_rows),
        )
        counts.flagged = len(flags)
        return counts

    def _flag_entries(
        self, batch: RawBatch, cols: dict[str, pa.Array], stored: set[int]
    ) -> list[dict[str, Any]]:
        """Data-quality flags of the rows stored by this batch (a row kept unchanged already
        had its flags written when it was stored)."""
        if not self.flags or not stored:
            return []
        systems: list[str | None] = cols["source_system"].to_pylist()
        sids: list[str | None] = cols["source_id"].to_pylist()
        return [
            {
                "run_id": self.run_id,
                "file_path": str(self.file.path),
                "file_sha256": self.file.sha256,
                "row_number": batch.rows[f.row],
                "record_type": self.spec.record_type,
                "source_system": systems[f.row],
                "source_id": sids[f.row],
                "field": f.field,
                "value": None if f.value is None else f.value[:200],
                "reason": f.reason,
                "flagged_at": self.now,
            }
            for f in self.flags
            if f.row in stored
        ]

    def _repeats(
        self, cols: dict[str, pa.Array], hashes: list[str], rows: list[int], keep: np.ndarray
    ) -> list[tuple[int, int, int | None, int]]:
        """Rows whose key appeared earlier in this file or an earlier file of this run:
        (index, first row, index of the first occurrence when it is in this batch, number of
        the file of the first occurrence). Keys seen so far are kept as sorted int64 arrays
        (24 bytes a key, searched with numpy), so memory stays small on a million-row file."""
        keys = pc.binary_join_element_wise(cols["source_system"], cols["source_id"], "\x1f")
        n = len(keys)
        kh = np.fromiter((hash(k) for k in keys.to_pylist()), dtype=np.int64, count=n)
        row_numbers = np.asarray(rows, dtype=np.int64)
        earlier = np.full(n, -1, dtype=np.int64)
        earlier_file = np.full(n, -1, dtype=np.int64)
        for seen_keys, seen_rows, file_no in self.seen:
            if not len(seen_keys):
                continue
            pos = np.minimum(np.searchsorted(seen_keys, kh), len(seen_keys) - 1)
            hit = (seen_keys[pos] == kh) & (earlier < 0)
            earlier[hit] = seen_rows[pos[hit]]
            earlier_file[hit] = file_no
        usable = keep.astype(bool)
        cand = np.flatnonzero(usable & (earlier < 0))
        _, first_pos = np.unique(kh[cand], return_index=True)
        firsts = cand[first_pos]
        repeats: list[tuple[int, int, int | None, int]] = [
            (int(i), int(earlier[i]), None, int(earlier_file[i]))
            for i in np.flatnonzero(usable & (earlier >= 0))
        ]
        if len(firsts) < len(cand):
            first_of = dict(zip(kh[firsts].tolist(), firsts.tolist(), strict=True))
            is_first = np.zeros(n, dtype=bool)
            is_first[firsts] = True
            for i in cand[~is_first[cand]].tolist():
                j = first_of[int(kh[i])]
                repeats.append((i, rows[j], j, self.file_no))
        order = np.argsort(kh[firsts], kind="stable")
        if len(firsts):
            self.seen.append((kh[firsts][order], row_numbers[firsts][order], self.file_no))
        return repeats

    def _judge_repeats(
        self,
        store: RecordStore,
        repeats: list[tuple[int, int, int | None, int]],
        systems: list[str | None],
        sids: list[str | None],
        hashes: list[str],
        keep: np.ndarray,
        problems: list[Problem],
    ) -> int:
        """The first occurrence stands. An identical repeat is counted and skipped; a different
        one is quarantined naming the first (and its file, when another file of this run gave
        it). Earlier batches and files are judged by what they stored."""
        duplicates = 0
        if not repeats:
            return duplicates
        stored: dict[str, Existing] = {}
        need = [i for i, _, j, _ in repeats if j is None]
        by_system: dict[str, list[str]] = {}
        for i in need:
            by_system.setdefault(str(systems[i]), []).append(str(sids[i]))
        for system, ids in by_system.items():
            for sid, record in store.existing(self.spec.record_type, system, ids).items():
                stored[f"{system}\x1f{sid}"] = record
        for i, first_row, j, file_no in repeats:
            if j is not None:
                first_hash: str | None = hashes[j]
            else:
                old = stored.get(f"{systems[i]}\x1f{sids[i]}")
                first_hash = old.content_hash if old else None
            keep[i] = False
            if first_hash == hashes[i]:
                duplicates += 1
            elif file_no == self.file_no:
                problems.append(
                    Problem(
                        i,
                        "source_id",
                        f"'{sids[i]}' already appears at row "
                        f"{first_row} of this file with different content",
                    )
                )
            else:
                other = Path(self.run_keys.files[file_no]).name
                problems.append(
                    Problem(
                        i,
                        "source_id",
                        f"'{sids[i]}' also appears at row {first_row} of {other}, another file "
                        "of this run, with different content; that one was stored and this one "
                        "was not (one id, one version per run: correct the extracts and ingest "
                        "the right version again)",
                    )
                )
        return duplicates

    def _write(self, entries: list[dict[str, Any]], bad_rows: set[int]) -> None:
        with self.engine.begin() as conn:
            RecordStore(conn).quarantine(entries)
            self._count_run(conn, len(bad_rows), 0, 0)
        self.result.quarantined += len(bad_rows)

    def _count_run(
        self, conn: Connection, quarantined: int, inserted: int, updated: int, flagged: int = 0
    ) -> None:
        runs.add_ingest_counts(
            conn,
            self.run_id,
            quarantined=quarantined,
            inserted=inserted,
            updated=updated,
            flagged=flagged,
        )

    def _resolve_refs(
        self,
        store: RecordStore,
        cols: dict[str, pa.Array],
        systems: list[str | None],
        keep: np.ndarray,
        problems: list[Problem],
    ) -> dict[str, list[int | None]]:
        resolved: dict[str, list[int | None]] = {}
        for ref in self.spec.refs:
            assert ref.ref_target is not None
            values: list[str | None] = cols[ref.name].to_pylist()
            wanted: dict[str, list[str]] = {}
            for i, v in enumerate(values):
                if keep[i] and v is not None:
                    wanted.setdefault(str(systems[i]), []).append(v)
            ids: dict[tuple[str, str], int] = {}
            for system, refs in wanted.items():
                for sid, found in store.resolve(ref.ref_target, system, refs).items():
                    ids[(system, sid)] = found
            out: list[int | None] = []
            for i, v in enumerate(values):
                rid = ids.get((str(systems[i]), v)) if v is not None else None
                if keep[i] and v is not None and rid is None:
                    problems.append(
                        Problem(
                            i,
                            ref.name,
                            f"'{v}' does not match any {ref.ref_target} from source "
                            f"system {systems[i]} (ingest the {ref.ref_target} first, "
                            "or check the id)",
                        )
                    )
                out.append(rid)
            resolved[ref.column] = out
        return resolved

    def _check_birth_before_event(
        self,
        store: RecordStore,
        refs: dict[str, list[int | None]],
        keep: np.ndarray,
        problems: list[Problem],
    ) -> None:
        if self.spec.record_type != "involvement":
            return
        events, mentions = refs["event_id"], refs["mention_id"]
        rows = [i for i in range(len(events)) if keep[i] and events[i] and mentions[i]]
        if not rows:
            return
        births = store.values_by_id(
            "person_mention", "date_of_birth", [m for i in rows if (m := mentions[i]) is not None]
        )
        occurred = store.values_by_id(
            "event", "occurred_at", [e for i in rows if (e := events[i]) is not None]
        )
        for i in rows:
            dob, when = births.get(mentions[i] or 0), occurred.get(events[i] or 0)
            if dob is None or when is None:
                continue
            dob_text, when_text = str(dob)[:10], str(when)[:10]
            if dob_text > when_text:
                problems.append(
                    Problem(
                        i,
                        "mention_ref",
                        f"the person's date of birth ({dob_text}) is after the "
                        f"event occurred ({when_text})",
                    )
                )

    def _stale(
        self, cols: dict[str, pa.Array], changed: list[tuple[int, Existing]]
    ) -> list[tuple[int, Existing]]:
        if not changed:
            return []
        recorded: list[str | None] = cols["recorded_at"].to_pylist()
        out = []
        for i, old in changed:
            text = recorded[i]
            if text is None or old.recorded_at is None:
                continue
            incoming = datetime.fromisoformat(text + "+00:00")
            if incoming < old.recorded_at:
                out.append((i, old))
        return out

    def _store(
        self,
        store: RecordStore,
        cols: dict[str, pa.Array],
        refs: dict[str, list[int | None]],
        hashes: list[str],
        new_idx: list[int],
        changed: list[tuple[int, Existing]],
    ) -> None:
        spec = self.spec
        names = (
            ["source_system", "source_id"]
            + [f.name for f in spec.fields if f.kind != "ref"]
            + ["recorded_at"]
        )
        if new_idx:
            take = pa.array(new_idx, pa.int64())
            out: dict[str, pa.Array] = {n: pc.take(cols[n], take) for n in names}
            for column, values in refs.items():
                out[column] = pa.array([values[i] for i in new_idx], pa.int64())
            out["content_hash"] = pa.array([hashes[i] for i in new_idx], pa.string())
            stamp = self.now_text
            constants: dict[str, str | int] = {
                "version": 1,
                "first_ingested_at": stamp,
                "last_changed_at": stamp,
            }
            store.insert_new(spec.record_type, out, constants)
        if changed:
            rows: list[dict[str, Any]] = []
            for i, old in changed:
                row: dict[str, Any] = {n: cols[n][i].as_py() for n in names}
                row.update({column: values[i] for column, values in refs.items()})
                row.update(id=old.id, content_hash=hashes[i], last_changed_at=self.now_text)
                rows.append(row)
            store.update_changed(spec.record_type, rows)


def _content_hashes(cols: dict[str, pa.Array]) -> list[str]:
    """A digest of each row's normalised content (so re-formatting is not a change)."""
    parts = [pc.fill_null(pc.cast(c, pa.string()), "\x00") for c in cols.values()]
    joined = pc.binary_join_element_wise(*parts, "\x1f").to_pylist()
    return [hashlib.blake2b(s.encode(), digest_size=16).hexdigest() for s in joined]
