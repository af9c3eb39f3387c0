"""The same linking on Spark (Splink's Spark backend), for a region or the country.

Spark scores the pairs; everything after the scores runs through the same code as on one
machine, so a force gets the same people whichever backend it runs:

* features are normalised with the same DuckDB SQL (``features.build_features``) in a DuckDB
  session on the driver (an ``engine.LinkingSession``), written as Parquet and read by Spark;
* Splink trains and predicts on the cluster; the pairs at or above the threshold come back to
  the driver, and the look-alike pairs the model scores as two people go into the driver's DuckDB
  (as ``engine.LinkingSession.predict`` keeps them) for the ``look_alike`` guard;
* the guards inside components (``guards.component_guard_pairs``: the PNC waiver,
  ``undated_namesake`` and every other cannot-link) and the constrained clustering
  (``clustering.cluster_prediction``) run in the driver's DuckDB session, as on one machine;
* the feature store for deltas and ``link_one`` is written by that session too.

So the driver holds every mention's features (about 1 GB per million mentions) and the strong
pairs; the candidate pairs, the largest part of a run, stay on the cluster.
``docs/linking.md`` ("On a Spark cluster") says how to point it at a cluster.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from splink import Linker

from safeguard.adapters.linkage import frequencies
from safeguard.adapters.linkage import model as models
from safeguard.adapters.linkage.backend import GuardPairs, ModelJson, Prediction
from safeguard.adapters.linkage.engine import FEATURES, LinkingSession
from safeguard.adapters.linkage.guards import HARD_NEGATIVE_BELOW, WEAK
from safeguard.domain.linking import EARLIEST_BIRTH, UnlinkableReason

logger = logging.getLogger(__name__)

SCORED = "safeguard_scored"
SPARK_FEATURES = "safeguard_features"
SPARK_LINKABLE = "safeguard_linkable"


def spark_session(master: str, checkpoint_dir: Path, *, app_name: str = "safeguard-link") -> Any:
    """A Spark session with Splink's similarity functions and a checkpoint directory.

    Both are required by Splink's Spark backend (without them it fails with "Cannot resolve
    routine JARO_WINKLER" and "Checkpoint directory has not been set").
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(checkpoint_dir.parent / "warehouse"))
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.default.parallelism", "8")
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(str(checkpoint_dir))
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark_sql(sql: str) -> str:
    """safeguard's DuckDB SQL in Spark's dialect (Splink's Spark jar names Jaro-Winkler
    ``jaro_winkler``)."""
    return sql.replace("jaro_winkler_similarity", "jaro_winkler").replace(
        "len(list_intersect(", "size(array_intersect("
    )


def look_alike_candidates_sql(scored: str, features: str) -> str:
    """Spark SQL: the scored pairs ``guards``' ``look_alike`` guard can use (the same surname and
    date of birth or forename, scored under ``HARD_NEGATIVE_BELOW``), as (``a``, ``b``).

    On one machine every pair under ``HARD_NEGATIVE_BELOW`` is kept and the guard applies the
    look-alike test inside components; on Spark the test is applied first, so only the few
    look-alikes come back to the driver, not most of the candidate pairs. The guard applies the
    same test again, so the guard pairs are the same."""
    return f"""select p.unique_id_l as a, p.unique_id_r as b from {scored} as p
        join {features} as l on l.unique_id = p.unique_id_l
        join {features} as r on r.unique_id = p.unique_id_r
        where p.match_probability < {HARD_NEGATIVE_BELOW} and l.surname = r.surname
          and (l.dob = r.dob or l.forename_canon = r.forename_canon)"""


class SparkLinkingSession:
    """A ``backend.LinkingBackend`` on Spark: load, train or use a model, predict, the guards
    inside components, store.

    Not a ``DeltaLinkingBackend``: a nightly delta is small and runs on DuckDB. The guards and
    everything else after the scored pairs run in ``self.local``, a DuckDB ``LinkingSession`` on
    the driver holding the same features (see the module)."""

    def __init__(
        self,
        *,
        master: str = "local[2]",
        memory_limit: str = "3GB",
        earliest_birth: date = EARLIEST_BIRTH,
        spark: Any = None,
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="safeguard-spark-"))
        self.local = LinkingSession(
            self.workdir / "driver", memory_limit=memory_limit, earliest_birth=earliest_birth
        )
        self._own_spark = spark is None
        self.spark = spark or spark_session(master, self.workdir / "checkpoints")
        self._linker: Any = None
        self._features: Any = None
        self.model_json: ModelJson | None = None

    @property
    def guards(self) -> dict[str, Any]:
        """The model's guard settings (``model.guards_of``), as the driver session applies them."""
        return self.local.guards

    @property
    def guard_counts(self) -> dict[str, int]:
        """Pairs kept apart per guard in the last clustering (``guard_pairs``)."""
        return self.local.guard_counts

    def close(self) -> None:
        self.local.close()
        if self._own_spark:
            self.spark.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SparkLinkingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, raw: pa.Table, *, today: date) -> int:
        n = self.local.load(raw, today=today)
        path = self.workdir / "features.parquet"
        self.local.con.execute(f"copy {FEATURES} to '{path}' (format parquet)")
        self._features = self.spark.read.parquet(str(path))
        self._features.createOrReplaceTempView(SPARK_FEATURES)
        self._features.where("unlinkable is null").createOrReplaceTempView(SPARK_LINKABLE)
        return n

    def _make_linker(self, settings: Any) -> Any:
        from splink import SparkAPI

        if self._features is None:
            raise RuntimeError("load() first")
        db_api = SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]
        linkable = self._features.where("unlinkable is null")
        self._linker = Linker(db_api.register(linkable), settings, log_level=None)
        return self._linker

    def _set_model(self, model_json: ModelJson) -> None:
        self.model_json = model_json
        self.local.model_json = model_json
        self.local.guards = models.guards_of(model_json)

    def train(self, *, generic: bool = False, max_pairs: float | None = None) -> ModelJson:
        settings = models.generic_settings() if generic else models.domain_settings()
        linker = self._make_linker(settings)
        if generic:
            models.train_generic(linker, max_pairs=max_pairs)
        else:
            pairs = {
                c: int(self.spark.sql(models.identifier_pairs_sql(SPARK_LINKABLE, c)).first()[0])
                for c in models.IDENTIFIERS
            }
            row = self.spark.sql(models.present_sql(SPARK_LINKABLE)).first()
            present = {c: float(v or 0.0) for c, v in zip(models.PRIOR_RULE, row, strict=True)}
            recall = models.train(
                linker, max_pairs=max_pairs, identifier_pairs=pairs, present=present
            )
        model_json = dict(linker.misc.save_model_to_json()) | frequencies.saved(linker)
        if not generic:
            model_json[models.GUARDS_KEY] = models.forename_guard(
                lambda sql: tuple(self.spark.sql(_spark_sql(sql)).first()),
                SPARK_LINKABLE,
                pairs,
            ) | {"prior_rule_recall": recall}
        self._set_model(model_json)
        return model_json

    def use_model(self, model_json: ModelJson) -> None:
        self._set_model(model_json)
        self._make_linker(json.loads(json.dumps(models.splink_model(model_json))))
        frequencies.use_saved(self._linker, model_json)  # the saved names' frequencies

    def predict(self, *, threshold: float) -> Prediction:
        """Every candidate pair at or above ``threshold``, scored on Spark; the look-alikes the
        model scores as two people are kept on the driver for the ``look_alike`` guard."""
        if self._linker is None:
            raise RuntimeError("train() or use_model() first")
        scored = self._linker.inference.predict(warning_mode="never").as_spark_dataframe()
        scored.createOrReplaceTempView(SCORED)
        edges = self.spark.sql(
            f"select unique_id_l, unique_id_r, match_probability from {SCORED} "
            f"where match_probability >= {float(threshold)}"
        ).toPandas()
        weak = self.spark.sql(look_alike_candidates_sql(SCORED, SPARK_FEATURES)).toPandas()
        con = self.local.con
        con.execute(f"create or replace table {WEAK} (a bigint, b bigint)")
        con.register(
            "__safeguard_weak",
            pa.table(
                {
                    "a": weak["a"].to_numpy(np.int64),
                    "b": weak["b"].to_numpy(np.int64),
                }
            ),
        )
        con.execute(f"insert into {WEAK} select a, b from __safeguard_weak")
        con.unregister("__safeguard_weak")
        logger.info("spark predict: %s pairs kept, %s look-alikes", len(edges), len(weak))
        return Prediction(
            edges["unique_id_l"].to_numpy(np.int64),
            edges["unique_id_r"].to_numpy(np.int64),
            edges["match_probability"].to_numpy(np.float64),
        )

    # -- after the scores: the driver's DuckDB session, the same code as on one machine ------------

    def load_events(self, mention_events: pa.Table) -> int:
        return self.local.load_events(mention_events)

    def enabled_guards(self, off: frozenset[str] = frozenset()) -> frozenset[str]:
        return self.local.enabled_guards(off)

    def guard_pairs(self, off: frozenset[str] = frozenset()) -> GuardPairs:
        return self.local.guard_pairs(off)

    def unlinkable(self, *, new: bool = False) -> dict[int, UnlinkableReason]:
        """Mentions that cannot be linked (``new``: none, Spark runs no deltas)."""
        return {} if new else self.local.unlinkable()

    def mention_ids(self, *, new: bool = False) -> list[int]:
        """Every loaded mention (``new``: none, Spark runs no deltas)."""
        return [] if new else self.local.mention_ids()

    def save_store(self, store: Path, *, include_new: bool = False) -> None:
        """Write the feature store (as on one machine) so deltas and ``link_one`` work after."""
        self.local.save_store(store)
