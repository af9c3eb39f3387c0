"""``link_one``: score one record being entered now against everyone already known.

Candidates come from the feature store that every batch and delta run writes (an on-disk DuckDB
file), looked up with the model's own blocking keys, then scored with Splink's
``compare_records`` using the saved model. The store is attached read-only, so a running link
job can replace it atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI
from splink.internals.realtime import compare_records

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
        + f") limit {MAX_CANDIDATES}"
    )
    return sql, params


class RealtimeLinker:
    """Holds the feature store and model open between calls (one per process)."""

    def __init__(self, store: Path) -> None:
        if not store.exists():
            raise FileNotFoundError(store)
        self.store = store
        self.con = duckdb.connect()
        self.con.execute(f"attach '{store}' as store (read_only)")
        rows = self.con.execute("select model_json from store.model").fetchall()
        if not rows:
            raise LookupError(f"{store} holds no model")
        self.model: dict[str, Any] = splink_model(json.loads(rows[0][0]))
        self.db_api = DuckDBAPI(connection=self.con)
        self.loaded_mtime = store.stat().st_mtime

    def close(self) -> None:
        self.con.close()

    def score(self, features: MentionFeatures) -> list[tuple[int, float]]:
        """(mention id, match probability) for every stored candidate, best first."""
        sql, params = candidate_sql(features)
        if not sql:
            return []
        candidates = self.con.sql(sql, params=params).to_arrow_table()
        if candidates is None or candidates.num_rows == 0:
            return []
        values = asdict(features)
        record = {c: values.get(c) for c in FEATURE_COLUMNS}
        record["unique_id"] = NEW_RECORD_ID
        record["unlinkable"] = None
        scored = compare_records(
            pa.Table.from_pylist([record], schema=candidates.schema),
            candidates,
            self.model,
            self.db_api,
            sql_cache_key="safeguard_link_one",
        )
        rows = self.con.execute(
            f"select unique_id_r, match_probability from {scored.physical_name}"
        ).fetchall()
        # cached SQL makes a table Splink does not list as its own; it is ours to drop
        scored.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        out = [(int(m), float(p)) for m, p in rows]
        out.sort(key=lambda mp: (-mp[1], mp[0]))
        return out
