"""One linking session on DuckDB: features, training, chunked prediction, deltas, re-links.

The session works in an on-disk DuckDB database in a temporary directory, with a memory limit, so
a million mentions stay well under 4 GB: DuckDB spills to disk rather than growing.

A batch run keeps what it computed (``save_run``: features, events, scored and weak pairs,
clusters, components, refused merges, constraints) in a DuckDB file of its own; the next batch
run with the same model reads it back (``previous_run``), with what changed since, and scores
only pairs with a changed end (``predict_changed``). Over 400 lines because the session holds
all of DuckDB's part of linking behind the one ``backend.RelinkingBackend`` protocol.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker

from safeguard.adapters.linkage import frequencies
from safeguard.adapters.linkage import model as models
from safeguard.adapters.linkage.backend import (
    GuardPairs,
    IntArray,
    ModelJson,
    Prediction,
    PreviousRun,
)
from safeguard.adapters.linkage.features import build_features
from safeguard.adapters.linkage.guards import (
    EVENTS,
    GUARDS,
    HARD_NEGATIVE_BELOW,
    WEAK,
    component_guard_pairs,
)
from safeguard.adapters.linkage.model import clearly_different_forenames_sql
from safeguard.domain.linking import (
    EARLIEST_BIRTH,
    GENERATION_GAP_YEARS,
    Constraints,
    RefusedMerge,
    UnlinkableReason,
)

logger = logging.getLogger(__name__)

# Prediction is split into chunks of this many left-hand mentions above it. Each chunk blocks its
# mentions against all the others again and materialises its own inputs (Splink's source
# pruning), so fewer chunks is less work: at 1M mentions one chunk took 49 CPU seconds where
# three of 500,000 took 66, at a peak of 2.5 GB (DuckDB spills beyond ``memory_limit``);
# docs/benchmarks.md, "linkspeed14".
CHUNK_ROWS = 2_000_000
FEATURES = "features"
NEW_FEATURES = "new_features"
LINKABLE = "linkable"
NEW_LINKABLE = "new_linkable"
FEATURES_ALL = "all_features"
CHANGED = "__relink_changed"  # mentions new or changed since the previous run
GONE = "__relink_gone"  # changed or removed: their stored pairs are not reused
STATE = "relink_state"  # the alias the previous run's file is attached as


def hard_negative_sql(p: str, left: str, right: str, *, sibling_guard: bool = True) -> str:
    """Pairs that are two people however many links join them (DuckDB and Spark SQL alike).

    * look-alikes the model scores as different: the same surname and the same date of birth or
      forename, yet a match probability under ``HARD_NEGATIVE_BELOW`` (father and son);
    * twins and siblings: the same surname and the same date of birth or address, but clearly
      different full forenames, with no shared PNC id or phone number to say it is one person;
    * father and son (mother and daughter) with one name: dates of birth a generation apart and
      no shared PNC id.

    The twin and sibling rule holds only where forenames are reliable; ``sibling_guard`` is
    False for data where they are not (see ``forename_guard``), and the rule is then left out.
    """
    l, r = left, right  # noqa: E741 - the SQL reads like Splink's own l/r convention
    twin = (
        f"""      or ({l}.surname = {r}.surname
        and ({l}.dob = {r}.dob or {l}.address = {r}.address or {l}.postcode = {r}.postcode)
        and {clearly_different_forenames_sql(l, r)}
        and coalesce(damerau_levenshtein({l}.pnc_id, {r}.pnc_id) > 1, true)
        and coalesce(damerau_levenshtein({l}.phone, {r}.phone) > 1, true))"""
        if sibling_guard
        else ""
    )
    return f"""(({l}.surname = {r}.surname
        and ({l}.dob = {r}.dob or {l}.forename_canon = {r}.forename_canon)
        and {p}.match_probability < {HARD_NEGATIVE_BELOW})
{twin}
      or ({l}.surname = {r}.surname and {l}.forename_canon = {r}.forename_canon
        and abs({l}.birth_year - {r}.birth_year) >= {GENERATION_GAP_YEARS}
        and {l}.dob is not null and {r}.dob is not null
        and damerau_levenshtein({l}.dob, {r}.dob) > 1
        and coalesce(damerau_levenshtein({l}.pnc_id, {r}.pnc_id) > 1, true)))"""


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def connect(path: Path, *, memory_limit: str = "3GB", threads: int | None = None) -> Any:
    """An on-disk DuckDB connection that spills to ``path``'s directory instead of growing."""
    con = duckdb.connect(str(path))
    con.execute(f"set memory_limit='{memory_limit}'")
    con.execute(f"set temp_directory='{path.parent / 'spill'}'")
    con.execute("set preserve_insertion_order=false")
    if threads:
        con.execute(f"set threads={int(threads)}")
    return con


class LinkingSession:
    """Train or load a model, predict and read results, inside one temporary DuckDB database
    (the ``backend.DeltaLinkingBackend``: batch runs, deltas and the guards).

    Args:
        workdir: directory for the DuckDB file and spill files; a temporary one if None.
        memory_limit: DuckDB's memory limit (it spills to disk beyond it).
        threads: DuckDB threads (None: one per core).
    """

    def __init__(
        self,
        workdir: Path | None = None,
        *,
        memory_limit: str = "3GB",
        threads: int | None = None,
        earliest_birth: date = EARLIEST_BIRTH,
    ) -> None:
        self.earliest_birth = earliest_birth
        self._own_dir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix="safeguard-link-")) if workdir is None else workdir
        )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.con = connect(self.workdir / "link.duckdb", memory_limit=memory_limit, threads=threads)
        self._db_api: Any = None
        self._linker: Any = None
        self.model_json: ModelJson | None = None
        self.guards: dict[str, Any] = {"sibling_guard": True}
        self.guard_counts: dict[str, int] = {}
        self._registered = 0  # tables registered with Splink for re-links (names must differ)

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        self.con.close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LinkingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- data -----------------------------------------------------------------------------------

    def load(self, raw: pa.Table, *, today: date) -> int:
        """Normalise the mentions in ``raw`` (``features.RAW_SCHEMA``); returns how many."""
        n = build_features(
            self.con, raw, table=FEATURES, today=today, earliest_birth=self.earliest_birth
        )
        self._views()
        return n

    def _views(self) -> None:
        self.con.execute(
            f"create or replace view {LINKABLE} as "
            f"select * from {FEATURES} where unlinkable is null"
        )
        union = ""
        if self.con.execute(
            f"select count(*) from duckdb_tables() where table_name = '{NEW_FEATURES}'"
        ).fetchall()[0][0]:
            union = f" union all by name select * from {NEW_FEATURES}"
            self.con.execute(
                f"create or replace view {NEW_LINKABLE} as "
                f"select * from {NEW_FEATURES} where unlinkable is null"
            )
        self.con.execute(
            f"create or replace view {FEATURES_ALL} as select * from {FEATURES}{union}"
        )

    def load_new(self, raw: pa.Table, *, today: date) -> int:
        """Normalise new mentions for a delta run (``load`` holds everyone already known)."""
        n = build_features(
            self.con, raw, table=NEW_FEATURES, today=today, earliest_birth=self.earliest_birth
        )
        self._views()
        return n

    def attach_known(self, store: Path) -> int:
        """Use a persisted feature store (``save_store``) as everyone already known."""
        self.con.execute(f"attach '{store}' as known (read_only)")
        self.con.execute(f"create or replace table {FEATURES} as select * from known.{FEATURES}")
        self.con.execute("detach known")
        self._views()
        return int(self.con.execute(f"select count(*) from {FEATURES}").fetchall()[0][0])

    def save_store(self, store: Path, *, include_new: bool = False) -> None:
        """Persist the features of every mention (plus new ones) for deltas and ``link_one``."""
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        self.con.execute(f"attach '{tmp}' as store")
        union = f" union all by name select * from {NEW_FEATURES}" if include_new else ""
        self.con.execute(
            f"create table store.{FEATURES} as select * from {FEATURES}{union} order by unique_id"
        )
        if self.model_json is not None:
            self.con.execute(
                "create table store.model as select ? as model_json", [json.dumps(self.model_json)]
            )
        self.con.execute("detach store")
        tmp.replace(store)

    def unlinkable(self, *, new: bool = False) -> dict[int, UnlinkableReason]:
        table = NEW_FEATURES if new else FEATURES
        rows = self.con.execute(
            f"select unique_id, unlinkable from {table} where unlinkable is not null"
        ).fetchall()
        return {int(i): UnlinkableReason(r) for i, r in rows}

    def mention_ids(self, *, new: bool = False) -> list[int]:
        table = NEW_FEATURES if new else FEATURES
        return [int(r[0]) for r in self.con.execute(f"select unique_id from {table}").fetchall()]

    # -- model ----------------------------------------------------------------------------------

    def _make_linker(self, settings: Any, table: str = LINKABLE) -> Any:
        self._db_api = DuckDBAPI(connection=self.con)
        sdf = self._db_api.register(table)
        self._linker = Linker(sdf, settings, log_level=None)
        return self._linker

    def train(self, *, generic: bool = False, max_pairs: float | None = None) -> ModelJson:
        """EM-train a new model on the loaded mentions; returns the model (Splink JSON)."""
        settings = models.generic_settings() if generic else models.domain_settings()
        # The generic model sees every mention, as a tutorial pipeline would.
        linker = self._make_linker(settings, FEATURES if generic else LINKABLE)
        if generic:
            models.train_generic(linker, max_pairs=max_pairs)
        else:
            pairs = {
                c: int(self.con.execute(models.identifier_pairs_sql(LINKABLE, c)).fetchall()[0][0])
                for c in models.IDENTIFIERS
            }
            row = self.con.execute(models.present_sql(LINKABLE)).fetchall()[0]
            present = {c: float(v or 0.0) for c, v in zip(models.PRIOR_RULE, row, strict=True)}
            recall = models.train(
                linker, max_pairs=max_pairs, identifier_pairs=pairs, present=present
            )
        self.model_json = dict(linker.misc.save_model_to_json()) | frequencies.saved(linker)
        if not generic:
            self.model_json[models.GUARDS_KEY] = models.forename_guard(
                lambda sql: tuple(self.con.execute(sql).fetchall()[0]), LINKABLE, pairs
            ) | {"prior_rule_recall": recall}
        self.guards = models.guards_of(self.model_json)
        return self.model_json

    def use_model(self, model_json: ModelJson) -> None:
        """Load a saved model instead of training."""
        self.model_json = model_json
        self.guards = models.guards_of(model_json)
        self._make_linker(models.splink_model(model_json))
        frequencies.use_saved(self._linker, model_json)  # the saved names' frequencies

    def _fetch(self, sdf: Any, threshold: float) -> Prediction:
        """The pairs at or above ``threshold``; pairs scored as clearly two people are kept in
        DuckDB (``weak_pairs``) for the look-alike guard, which joins them to features only
        inside components (``guards``), never over every pair."""
        table = sdf.physical_name
        # Each pair lower id first, as Splink's dedupe gives it: pairs scored between two
        # tables (a delta, a re-link) then sort and tie as a full prediction's do.
        rows = self.con.execute(
            "select least(unique_id_l, unique_id_r) as unique_id_l, "
            "greatest(unique_id_l, unique_id_r) as unique_id_r, match_probability "
            f"from {table} where match_probability >= {float(threshold)}"
        ).fetchnumpy()
        # Only the pairs the look-alike guard can use (same surname, and date of birth or
        # forename): those of the model's leading blocking rules, a few percent of the weak ones.
        keys = models.look_alike_match_keys(self.model_json or {})
        rules = "" if keys is None else f" and match_key in ({', '.join(repr(k) for k in keys)})"
        self.con.execute(
            f"insert into {WEAK} select least(unique_id_l, unique_id_r), "
            f"greatest(unique_id_l, unique_id_r) from {table} "
            f"where match_probability < {HARD_NEGATIVE_BELOW}{rules}"
        )
        sdf.drop_table_from_database_and_remove_from_cache()
        return Prediction(
            rows["unique_id_l"].astype(np.int64),
            rows["unique_id_r"].astype(np.int64),
            rows["match_probability"].astype(np.float64),
        )

    def _reset_weak(self) -> None:
        self.con.execute(f"create or replace table {WEAK} (a bigint, b bigint)")

    # -- guards ---------------------------------------------------------------------------------

    def load_events(self, mention_events: pa.Table) -> int:
        """Which mentions are involved in which events (columns ``mention_id``, ``event_id``),
        for the guard that two people in one event are two people."""
        self.con.register("__safeguard_events", mention_events)
        self.con.execute(
            f"create or replace table {EVENTS} as select distinct mention_id::bigint as "
            "mention_id, event_id::bigint as event_id from __safeguard_events "
            "where mention_id is not null and event_id is not null"
        )
        self.con.unregister("__safeguard_events")
        return int(self.con.execute(f"select count(*) from {EVENTS}").fetchall()[0][0])

    def enabled_guards(self, off: frozenset[str] = frozenset()) -> frozenset[str]:
        """The guards applied: all but those turned off, and the sibling guard only where the
        model found forenames reliable."""
        unknown = off - set(GUARDS)
        if unknown:
            raise ValueError(f"unknown guards: {', '.join(sorted(unknown))}")
        on = set(GUARDS) - off
        if not self.guards.get("sibling_guard", True):
            on.discard("siblings")
        if not self.guards.get("dob_guard", True):
            on.discard("dob_apart")
        return frozenset(on)

    def guard_pairs(self, off: frozenset[str] = frozenset()) -> GuardPairs:
        """The clustering's ``guard_pairs``: guards in DuckDB SQL inside each component; the
        count of pairs per guard (over every call since) is kept in ``guard_counts``."""
        enabled = self.enabled_guards(off)
        self.guard_counts = {}

        def pairs(ids: IntArray, component: IntArray) -> tuple[IntArray, IntArray]:
            # asked once per chunk of components (``clustering.cluster_prediction``)
            left, right, names = component_guard_pairs(
                self.con, FEATURES_ALL, ids, component, enabled=enabled
            )
            self.guard_counts = dict(Counter(self.guard_counts) + Counter(names))
            return left, right

        return pairs

    def predict(self, *, threshold: float) -> Prediction:
        """Score every candidate pair among linkable mentions; chunked for large inputs."""
        if self._linker is None:
            raise RuntimeError("train() or use_model() first")
        self._reset_weak()
        n = int(self.con.execute(f"select count(*) from {LINKABLE}").fetchall()[0][0])
        chunks = max(1, -(-n // CHUNK_ROWS))
        parts: list[Prediction] = []
        for i in range(1, chunks + 1):
            sdf = self._linker.inference.predict_chunk(
                left_chunk=(i, chunks),
                right_chunk=(1, 1),
                warning_mode="never",
            )
            parts.append(self._fetch(sdf, threshold))
        return Prediction.concat(parts)

    def predict_delta(self, *, threshold: float) -> Prediction:
        """Score new mentions against everyone known and against each other (not known x known)."""
        if self._linker is None:
            raise RuntimeError("use_model() first")
        self._reset_weak()
        known = self._db_api.register(LINKABLE, table_name="__safeguard_known")
        new = self._db_api.register(NEW_LINKABLE, table_name="__safeguard_new")
        between = self._linker.inference.predict_between(known, new, warning_mode="never")
        within = self._linker.inference.predict_within(new, warning_mode="never")
        return Prediction.concat([self._fetch(between, threshold), self._fetch(within, threshold)])

    # -- re-link: only what changed since the previous run ------------------------------------

    def _ids_table(self, name: str, ids: IntArray) -> None:
        self.con.register("__relink_ids", pa.table({"unique_id": ids.astype(np.int64)}))
        self.con.execute(
            f"create or replace temp table {name} as select distinct unique_id from __relink_ids"
        )
        self.con.unregister("__relink_ids")

    def _ids(self, sql: str) -> IntArray:
        rows = self.con.execute(sql).fetchnumpy()
        return np.sort(np.asarray(rows["unique_id"], dtype=np.int64))

    def previous_run(self, path: Path, key: str) -> PreviousRun | None:
        """The run ``save_run`` kept at ``path`` and what changed since, if it was made under
        ``key``; None (a full run) if there is none, it was made under another key, or it cannot
        be read. Its weak pairs replace any in the session."""
        if not path.exists():
            return None
        try:
            self.con.execute(f"attach '{_quoted(path)}' as {STATE} (read_only)")
        except duckdb.Error as exc:
            logger.warning("re-link state %s unreadable (%s): a full run", path, type(exc).__name__)
            return None
        try:
            return self._read_previous(key)
        except duckdb.Error as exc:
            logger.warning("re-link state %s unusable (%s): a full run", path, type(exc).__name__)
            self._reset_weak()
            return None
        finally:
            self.con.execute(f"detach {STATE}")

    def _read_previous(self, key: str) -> PreviousRun | None:
        stored = self.con.execute(f"select key from {STATE}.meta").fetchall()
        if len(stored) != 1 or stored[0][0] != key:
            return None
        self._ensure_events()
        diff = self.con.execute(
            f"""select coalesce(f.unique_id, p.unique_id) as unique_id,
              f.unique_id is null as removed
            from {FEATURES} as f full join {STATE}.features as p on f.unique_id = p.unique_id
            where f is distinct from p"""
        ).fetchnumpy()
        ids = np.asarray(diff["unique_id"], dtype=np.int64)
        gone = np.asarray(diff["removed"], dtype=bool)
        changed, removed = np.sort(ids[~gone]), np.sort(ids[gone])
        events_changed = self._ids(
            f"""select distinct mention_id as unique_id from (
              (select mention_id, event_id from {EVENTS}
               except select mention_id, event_id from {STATE}.events)
              union all
              (select mention_id, event_id from {STATE}.events
               except select mention_id, event_id from {EVENTS}))"""
        )
        self._ids_table(CHANGED, changed)
        self._ids_table(GONE, ids)
        outside = f"not in (select unique_id from {GONE})"
        pairs = self.con.execute(
            f"select l, r, p from {STATE}.pairs where l {outside} and r {outside}"
        ).fetchnumpy()
        self._reset_weak()
        self.con.execute(
            f"insert into {WEAK} select a, b from {STATE}.weak where a {outside} and b {outside}"
        )
        clusters = self.con.execute(
            f"select mention_id, cluster_id, component from {STATE}.clusters order by mention_id"
        ).fetchnumpy()
        refused = [
            RefusedMerge(int(a), int(b), float(p), str(reason))
            for a, b, p, reason in self.con.execute(
                f"select l, r, p, reason from {STATE}.refused order by seq"
            ).fetchall()
        ]
        decided = self.con.execute(f"select kind, a, b from {STATE}.constraints").fetchall()
        return PreviousRun(
            changed=changed,
            removed=removed,
            events_changed=events_changed,
            prediction=Prediction(
                np.asarray(pairs["l"], dtype=np.int64),
                np.asarray(pairs["r"], dtype=np.int64),
                np.asarray(pairs["p"], dtype=np.float64),
            ),
            nodes=np.asarray(clusters["mention_id"], dtype=np.int64),
            cluster=np.asarray(clusters["cluster_id"], dtype=np.int64),
            component=np.asarray(clusters["component"], dtype=np.int64),
            refused=refused,
            constraints=Constraints(
                must_link=frozenset((int(a), int(b)) for k, a, b in decided if k == "must"),
                cannot_link=frozenset((int(a), int(b)) for k, a, b in decided if k == "cannot"),
            ),
        )

    def _ensure_events(self) -> None:
        self.con.execute(
            f"create table if not exists {EVENTS} (mention_id bigint, event_id bigint)"
        )

    def predict_changed(self, changed: IntArray, *, threshold: float) -> Prediction:
        """Score every candidate pair with an end in ``changed``: the changed linkable mentions
        against the others (Splink's ``predict_between``) and among themselves
        (``predict_within``), the pairs a full prediction gives them. Their weak pairs are added
        to those ``previous_run`` kept."""
        if self._linker is None:
            raise RuntimeError("use_model() first")
        self._ids_table(CHANGED, changed)
        self.con.execute(
            f"create or replace view __relink_known as select * from {LINKABLE} "
            f"where unique_id not in (select unique_id from {CHANGED})"
        )
        self.con.execute(
            f"create or replace view __relink_new as select * from {LINKABLE} "
            f"where unique_id in (select unique_id from {CHANGED})"
        )
        n_new, n_known = self.con.execute(
            "select (select count(*) from __relink_new), (select count(*) from __relink_known)"
        ).fetchall()[0]
        parts: list[Prediction] = []
        if not n_new:
            return Prediction.concat(parts)
        self._registered += 1
        new = self._db_api.register("__relink_new", table_name=f"__relink_new_{self._registered}")
        if n_known:
            known = self._db_api.register(
                "__relink_known", table_name=f"__relink_known_{self._registered}"
            )
            between = self._linker.inference.predict_between(known, new, warning_mode="never")
            parts.append(self._fetch(between, threshold))
        if n_new > 1:
            within = self._linker.inference.predict_within(new, warning_mode="never")
            parts.append(self._fetch(within, threshold))
        return Prediction.concat(parts)

    def save_run(
        self,
        path: Path,
        key: str,
        prediction: Prediction,
        nodes: IntArray,
        cluster: IntArray,
        component: IntArray,
        refused: list[RefusedMerge],
        constraints: Constraints,
    ) -> None:
        """Keep this run for the next re-link (``previous_run``): written to a temporary file
        beside ``path`` and moved over it, so a run that stops half way leaves the last one."""
        if len(prediction.different_left):
            # this session keeps its hard negatives in ``weak_pairs``, never in a Prediction
            raise ValueError("a prediction's hard negatives are not kept for a re-link")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        self._ensure_events()
        tables = {
            "pairs": pa.table(
                {"l": prediction.left, "r": prediction.right, "p": prediction.probability}
            ),
            "clusters": pa.table(
                {
                    "mention_id": nodes.astype(np.int64),
                    "cluster_id": cluster.astype(np.int64),
                    "component": component.astype(np.int64),
                }
            ),
            "refused": pa.table(
                {
                    "seq": pa.array(range(len(refused)), pa.int64()),
                    "l": pa.array([r.left for r in refused], pa.int64()),
                    "r": pa.array([r.right for r in refused], pa.int64()),
                    "p": pa.array([r.probability for r in refused], pa.float64()),
                    "reason": pa.array([r.reason for r in refused], pa.string()),
                }
            ),
            "constraints": pa.table(
                {
                    "kind": pa.array(
                        ["must"] * len(constraints.must_link)
                        + ["cannot"] * len(constraints.cannot_link),
                        pa.string(),
                    ),
                    "a": pa.array(
                        [a for a, _ in constraints.must_link]
                        + [a for a, _ in constraints.cannot_link],
                        pa.int64(),
                    ),
                    "b": pa.array(
                        [b for _, b in constraints.must_link]
                        + [b for _, b in constraints.cannot_link],
                        pa.int64(),
                    ),
                }
            ),
        }
        self.con.execute(f"attach '{_quoted(tmp)}' as relink_out")
        try:
            self.con.execute("create table relink_out.meta as select ? as key", [key])
            self.con.execute(f"create table relink_out.features as select * from {FEATURES}")
            self.con.execute(
                f"create table relink_out.events as select mention_id, event_id from {EVENTS}"
            )
            self.con.execute(f"create table relink_out.weak as select a, b from {WEAK}")
            for name, table in tables.items():
                self.con.register("__relink_table", table)
                self.con.execute(f"create table relink_out.{name} as select * from __relink_table")
                self.con.unregister("__relink_table")
        finally:
            self.con.execute("detach relink_out")
        tmp.replace(path)

    def cluster_with_splink(self, prediction_threshold: float, threshold: float) -> dict[int, int]:
        """Splink's own connected components (the generic model's clustering, for comparison)."""
        pairs = self._linker.inference.predict(
            threshold_match_probability=prediction_threshold, warning_mode="never"
        )
        clusters = self._linker.clustering.cluster_pairwise_predictions_at_threshold(
            pairs, threshold_match_probability=threshold
        )
        rows = self.con.execute(
            f"select unique_id, cluster_id from {clusters.physical_name}"
        ).fetchall()
        return {int(u): hash(c) for u, c in rows}
