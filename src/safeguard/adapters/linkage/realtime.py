"""``link_one``: score one record being entered now against everyone already known.

Candidates come from the feature store that every batch and delta run writes (an on-disk DuckDB
file), looked up with the model's own blocking keys, then scored with Splink's
``compare_records`` using the saved model. The store is attached read-only, so a running link
job can replace it atomically.

DuckDB has no index for these lookups (an ART index is not used for a filter on two columns), so
a query would scan the whole store: 50 ms and more at a million mentions. ``RealtimeLinker``
therefore loads the linkable mentions' features once and keeps, for every blocking key, the
64-bit DuckDB hash of each mention's key values sorted with the row it belongs to: a lookup is a
binary search per key. Rows found by hash are then checked against ``candidate_sql``'s exact
conditions, so a hash collision never adds a candidate.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI
from splink.internals.realtime import compare_records

from safeguard.adapters.linkage import frequencies
from safeguard.adapters.linkage.features import FEATURE_COLUMNS
from safeguard.adapters.linkage.model import REALTIME_KEYS, splink_model
from safeguard.domain.linking import MentionFeatures

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 200
NEW_RECORD_ID = -1


def candidate_sql(features: MentionFeatures) -> tuple[str, list[object]]:
    """SQL (and parameters) selecting stored mentions sharing a blocking key with ``features``
    (``REALTIME_KEYS``: the batch keys but postcode alone)."""
    values = asdict(features)
    clauses: list[str] = []
    params: list[object] = []
    for keys in REALTIME_KEYS:
        if all(values.get(k) is not None for k in keys):
            clauses.append("(" + " and ".join(f"{k} = ?" for k in keys) + ")")
            params.extend(values[k] for k in keys)
    if features.forename is not None and features.surname is not None:
        clauses.append("(forename = ? and surname = ?)")
        params.extend([features.surname, features.forename])
    if not clauses:
        return "", []
    columns = ", ".join(FEATURE_COLUMNS)
    sql = (
        f"select {columns} from store.features where unlinkable is null and ("
        + " or ".join(clauses)
        + f") order by unique_id limit {MAX_CANDIDATES}"
    )
    return sql, params


def _lookup_keys() -> tuple[tuple[str, ...], ...]:
    """``REALTIME_KEYS`` and the forename/surname swap (``forename, surname`` looked up with the
    new record's surname and forename)."""
    return (*REALTIME_KEYS, ("forename", "surname"))


def _hash_sql(keys: tuple[str, ...]) -> str:
    present = " and ".join(f"{k} is not null" for k in keys)
    return f"case when {present} then hash({', '.join(keys)}) end"


def _hashes_sql(table: str) -> str:
    """One row per row of ``table``: column ``h<i>`` is the hash of lookup key i's values."""
    columns = ", ".join(f"{_hash_sql(k)} as h{i}" for i, k in enumerate(_lookup_keys()))
    return f"select {columns} from {table}"


class RealtimeLinker:
    """Holds the feature store, its lookup index and the model between calls (one per process)."""

    def __init__(self, store: Path) -> None:
        if not store.exists():
            raise FileNotFoundError(store)
        self.store = store
        self.con = duckdb.connect()
        self.con.execute(f"attach '{store}' as store (read_only)")
        rows = self.con.execute("select model_json from store.model").fetchall()
        if not rows:
            raise LookupError(f"{store} holds no model")
        saved = json.loads(rows[0][0])
        self.model: dict[str, Any] = splink_model(saved)
        # Splink caches the scoring SQL per key for the whole process, with the model's weights
        # written into it: the key names the model, so a process that opens a store holding
        # another (re-trained) model never scores with the old one's weights
        digest = hashlib.sha256(rows[0][0].encode()).hexdigest()
        self._sql_cache_key = f"safeguard_link_one_{digest}"
        # the names' frequencies saved with the model, put on both records as Splink reads them
        self.term_frequencies = frequencies.of_model(saved)
        present = {
            name
            for (name,) in self.con.execute(
                "select column_name from duckdb_columns() "
                "where database_name = 'store' and table_name = 'features'"
            ).fetchall()
        }
        missing = [c for c in FEATURE_COLUMNS if c not in present]
        if missing:
            self.con.close()
            raise LookupError(
                f"{store} was written by an earlier version of safeguard (no "
                f"{', '.join(missing)}): run `safeguard link` once to rebuild it"
            )
        self.db_api = DuckDBAPI(connection=self.con)
        self.loaded_mtime = store.stat().st_mtime
        self.features: pa.Table = self.con.sql(
            f"select {', '.join(FEATURE_COLUMNS)} from store.features "
            "where unlinkable is null order by unique_id"
        ).to_arrow_table()
        self._index = self._build_index()

    def _build_index(self) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
        """Per lookup key: the sorted key hashes of the rows that have the key, and the rows."""
        self.con.register("__safeguard_store_features", self.features)
        hashes = self.con.execute(_hashes_sql("__safeguard_store_features")).fetchnumpy()
        self.con.unregister("__safeguard_store_features")
        index = []
        for i in range(len(_lookup_keys())):
            column = hashes[f"h{i}"]
            present = ~np.ma.getmaskarray(column)
            rows = np.nonzero(present)[0]
            values = np.ma.getdata(column)[present].astype(np.uint64)
            order = np.argsort(values, kind="stable")
            index.append((values[order], rows[order]))
        return index

    def close(self) -> None:
        self.con.close()

    def _candidates(self, record: dict[str, Any]) -> pa.Table | None:
        """Stored mentions sharing a lookup key with ``record`` (at most ``MAX_CANDIDATES``)."""
        query = dict(record)
        # the swap key looks up stored forename = new surname and stored surname = new forename
        swapped = {"forename": record.get("surname"), "surname": record.get("forename")}
        keys = _lookup_keys()
        one = pa.Table.from_pylist([query, query | swapped], schema=self.features.schema)
        self.con.register("__safeguard_query", one)
        hashed = self.con.execute(_hashes_sql("__safeguard_query")).fetchall()
        self.con.unregister("__safeguard_query")
        found: list[np.ndarray[Any, Any]] = []
        for i, (values, rows) in enumerate(self._index):
            h = hashed[1 if i == len(keys) - 1 else 0][i]
            if h is None:
                continue
            lo, hi = (
                np.searchsorted(values, np.uint64(h), side="left"),
                np.searchsorted(values, np.uint64(h), side="right"),
            )
            found.append(rows[lo:hi])
        if not found:
            return None
        picked = np.unique(np.concatenate(found))
        if len(picked) == 0:
            return None
        return self.features.take(pa.array(picked))

    def score(self, features: MentionFeatures) -> list[tuple[int, float]]:
        """(mention id, match probability) for every stored candidate, best first."""
        sql, params = candidate_sql(features)
        if not sql:
            return []
        values = asdict(features)
        record = {c: values.get(c) for c in FEATURE_COLUMNS}
        record["unique_id"] = NEW_RECORD_ID
        record["unlinkable"] = None
        near = self._candidates(record)
        if near is None:
            return []
        # exact conditions on the rows found by hash (``candidate_sql`` reads ``store.features``)
        self.con.register("__safeguard_near", near)
        candidates = self.con.sql(
            sql.replace("store.features", "__safeguard_near"), params=params
        ).to_arrow_table()
        self.con.unregister("__safeguard_near")
        if candidates is None or candidates.num_rows == 0:
            return []
        new = frequencies.with_tf_columns(
            pa.Table.from_pylist([record], schema=candidates.schema), self.term_frequencies
        )
        candidates = frequencies.with_tf_columns(candidates, self.term_frequencies)
        scored = compare_records(
            new,
            candidates,
            self.model,
            self.db_api,
            sql_cache_key=self._sql_cache_key,
        )
        rows = self.con.execute(
            f"select unique_id_r, match_probability from {scored.physical_name}"
        ).fetchall()
        # cached SQL makes a table Splink does not list as its own; it is ours to drop
        scored.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        out = [(int(m), float(p)) for m, p in rows]
        out.sort(key=lambda mp: (-mp[1], mp[0]))
        return out
