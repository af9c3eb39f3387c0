"""The same linking on Spark (Splink's Spark backend), for a region or the country.

Features are normalised with the same DuckDB SQL as on one machine, written as Parquet, and read
by Spark; Splink trains and predicts on the cluster; the scored pairs come back for the same
constrained clustering. ``docs/linking.md`` says how to point it at a cluster.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import Linker

from safeguard.adapters.linkage import model as models
from safeguard.adapters.linkage.backend import ModelJson, Prediction
from safeguard.adapters.linkage.engine import hard_negative_sql
from safeguard.adapters.linkage.features import build_features
from safeguard.domain.linking import EARLIEST_BIRTH, UnlinkableReason

logger = logging.getLogger(__name__)


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


class SparkLinkingSession:
    """A ``backend.LinkingBackend`` on Spark: load, train or use a model, predict, store.

    Not a ``DeltaLinkingBackend``: deltas and the guards inside components run on DuckDB (a
    Spark run applies the hard negatives to the scored pairs in ``predict``)."""

    def __init__(
        self,
        *,
        master: str = "local[2]",
        memory_limit: str = "3GB",
        earliest_birth: date = EARLIEST_BIRTH,
        spark: Any = None,
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="safeguard-spark-"))
        self.earliest_birth = earliest_birth
        self.memory_limit = memory_limit
        self._own_spark = spark is None
        self.spark = spark or spark_session(master, self.workdir / "checkpoints")
        self._linker: Any = None
        self._features: Any = None
        self._unlinkable: dict[int, UnlinkableReason] = {}
        self._ids: list[int] = []
        self.model_json: ModelJson | None = None
        self.guards: dict[str, Any] = {"sibling_guard": True}

    def close(self) -> None:
        if self._own_spark:
            self.spark.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SparkLinkingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, raw: pa.Table, *, today: date) -> int:
        con = duckdb.connect()
        con.execute(f"set memory_limit='{self.memory_limit}'")
        n = build_features(
            con, raw, table="features", today=today, earliest_birth=self.earliest_birth
        )
        path = self.workdir / "features.parquet"
        con.execute(f"copy features to '{path}' (format parquet)")
        rows = con.execute(
            "select unique_id, unlinkable from features where unlinkable is not null"
        ).fetchall()
        self._unlinkable = {int(i): UnlinkableReason(r) for i, r in rows}
        self._ids = [int(r[0]) for r in con.execute("select unique_id from features").fetchall()]
        con.close()
        self._features = self.spark.read.parquet(str(path))
        self._features.createOrReplaceTempView("safeguard_features")
        return n

    def _make_linker(self, settings: Any) -> Any:
        from splink import SparkAPI

        db_api = SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]
        linkable = self._features.where("unlinkable is null")
        self._linker = Linker(db_api.register(linkable), settings, log_level=None)
        return self._linker

    def train(self, *, generic: bool = False, max_pairs: float | None = None) -> ModelJson:
        settings = models.generic_settings() if generic else models.domain_settings()
        linker = self._make_linker(settings)
        if generic:
            models.train_generic(linker, max_pairs=max_pairs)
        else:
            self._features.where("unlinkable is null").createOrReplaceTempView("safeguard_linkable")
            pairs = {
                c: int(
                    self.spark.sql(models.identifier_pairs_sql("safeguard_linkable", c)).first()[0]
                )
                for c in models.IDENTIFIERS
            }
            row = self.spark.sql(models.present_sql("safeguard_linkable")).first()
            present = {c: float(v or 0.0) for c, v in zip(models.PRIOR_RULE, row, strict=True)}
            recall = models.train(
                linker, max_pairs=max_pairs, identifier_pairs=pairs, present=present
            )
        self.model_json = dict(linker.misc.save_model_to_json())
        if not generic:
            self.model_json[models.GUARDS_KEY] = models.forename_guard(
                lambda sql: tuple(self.spark.sql(_spark_sql(sql)).first()),
                "safeguard_linkable",
                pairs,
            ) | {"prior_rule_recall": recall}
        self.guards = models.guards_of(self.model_json)
        return self.model_json

    def use_model(self, model_json: ModelJson) -> None:
        self.model_json = model_json
        self.guards = models.guards_of(model_json)
        self._make_linker(json.loads(json.dumps(models.splink_model(model_json))))

    def predict(self, *, threshold: float) -> Prediction:
        if self._linker is None:
            raise RuntimeError("train() or use_model() first")
        scored = self._linker.inference.predict(warning_mode="never").as_spark_dataframe()
        scored.createOrReplaceTempView("safeguard_scored")
        edges = self.spark.sql(
            "select unique_id_l, unique_id_r, match_probability from safeguard_scored "
            f"where match_probability >= {float(threshold)}"
        ).toPandas()
        # Splink's Spark jar names the function jaro_winkler
        negatives_sql = _spark_sql(
            hard_negative_sql("p", "l", "r", sibling_guard=self.guards["sibling_guard"])
        )
        negatives = self.spark.sql(
            f"""select p.unique_id_l, p.unique_id_r from safeguard_scored as p
            join safeguard_features as l on l.unique_id = p.unique_id_l
            join safeguard_features as r on r.unique_id = p.unique_id_r
            where {negatives_sql}"""
        ).toPandas()
        return Prediction(
            edges["unique_id_l"].to_numpy(np.int64),
            edges["unique_id_r"].to_numpy(np.int64),
            edges["match_probability"].to_numpy(np.float64),
            negatives["unique_id_l"].to_numpy(np.int64),
            negatives["unique_id_r"].to_numpy(np.int64),
        )

    def unlinkable(self, *, new: bool = False) -> dict[int, UnlinkableReason]:
        return dict(self._unlinkable)

    def mention_ids(self, *, new: bool = False) -> list[int]:
        return list(self._ids)

    def save_store(self, store: Path, *, include_new: bool = False) -> None:
        """Write the feature store (as on one machine) so deltas and ``link_one`` work after."""
        con = duckdb.connect()
        con.execute(
            "create table features as select * from read_parquet(?)",
            [str(self.workdir / "features.parquet")],
        )
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = store.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        con.execute(f"attach '{tmp}' as store")
        con.execute("create table store.features as select * from features order by unique_id")
        if self.model_json is not None:
            con.execute(
                "create table store.model as select ? as model_json", [json.dumps(self.model_json)]
            )
        con.execute("detach store")
        con.close()
        tmp.replace(store)
