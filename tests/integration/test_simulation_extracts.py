"""`safeguard simulate-extracts`: reproducible files that ingest takes, and truth that holds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from safeguard.cli import app
from safeguard.simulation.extracts import ExtractConfig, generate_extracts
from safeguard.simulation.extracts.config import GENERATOR_VERSION
from safeguard.simulation.extracts.names import ENGLISH
from safeguard.simulation.extracts.traditions import DIVERSE_MIX

runner = CliRunner()


@pytest.fixture(scope="module")
def police(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("extracts-police")
    generate_extracts(ExtractConfig.for_profile("police", people=6_000, seed=2), out)
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_every_mention_has_its_person_in_the_truth(police: Path) -> None:
    mentions = _read(police / "interchange" / "person_mention.csv")
    truth = _read(police / "truth" / "mention_person.csv")
    assert list(mentions["source_id"]) == list(truth["source_id"])
    people = _read(police / "truth" / "people.csv")
    assert set(truth["person_key"]) <= set(people["person_key"])
    assert set(mentions["source_system"]) == {"NICHE", "STORM", "LCS"}


def test_each_system_keeps_its_habits(police: Path) -> None:
    m = _read(police / "interchange" / "person_mention.csv")
    lcs, storm, niche = (m[m["source_system"] == s] for s in ("LCS", "STORM", "NICHE"))
    assert (lcs["date_of_birth"] == "").all() and (lcs["age"] != "").all()  # age only
    assert (storm["surname"] == storm["surname"].str.upper()).all()  # typed in capitals
    assert 0.18 < (storm["date_of_birth"] == "").mean() < 0.33
    assert 0.10 < (niche["date_of_birth"] == "").mean() < 0.21
    assert (niche["forenames"] != niche["forenames"].str.upper()).mean() > 0.9  # mixed case


def test_twins_and_same_named_fathers_and_sons_look_alike(police: Path) -> None:
    people = _read(police / "truth" / "people.csv").set_index("person_key")
    rel = _read(police / "truth" / "relations.csv")
    assert set(rel["relation"]) == {
        "partner", "parent_child", "father_son_same_name", "sibling", "twin",
    }  # fmt: skip
    twins = rel[rel["relation"] == "twin"]
    a, b = people.loc[twins["person_key_a"]], people.loc[twins["person_key_b"]]
    assert (a["dob"].values == b["dob"].values).all()
    assert (a["household_key"].values == b["household_key"].values).all()
    assert (a["forename"].values != b["forename"].values).all()
    juniors = rel[rel["relation"] == "father_son_same_name"]
    f, s = people.loc[juniors["person_key_a"]], people.loc[juniors["person_key_b"]]
    assert (f["forename"].values == s["forename"].values).all()
    assert (f["surname"].values == s["surname"].values).all()


def test_mentions_per_person_are_heavy_tailed(police: Path) -> None:
    counts = _read(police / "truth" / "people.csv")["mentions"].astype(int)
    recorded = counts[counts > 0]
    assert (recorded == 1).mean() > 0.5
    assert recorded.max() >= 30


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate_extracts(ExtractConfig.for_profile("diverse", people=800, seed=5), tmp_path / name)
    for f in ("interchange/person_mention.csv", "truth/relations.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    readme = (tmp_path / "a" / "truth" / "README.md").read_text()
    assert f"generator version {GENERATOR_VERSION}" in readme  # the version travels with the data


def test_the_diverse_profile_has_other_traditions_and_a_partner_agency(tmp_path: Path) -> None:
    generate_extracts(ExtractConfig.for_profile("diverse", people=6_000, seed=3), tmp_path)
    m = _read(tmp_path / "interchange" / "person_mention.csv")
    assert "ED" in set(m["source_system"])
    kinds = ";".join(_read(tmp_path / "truth" / "mention_person.csv")["variations"])
    for kind in ("transliteration", "prefix_form", "family_first", "diacritics", "alias"):
        assert kind in kinds


def test_the_cli_writes_files_that_ingest_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "x"
    result = runner.invoke(
        app, ["simulate-extracts", "--out", str(out), "--mentions", "1500", "--seed", "4", "-q"]
    )
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    ingest = runner.invoke(app, ["ingest", str(out / "interchange")])
    assert ingest.exit_code == 0, ingest.output
    mentions = len(_read(out / "truth" / "mention_person.csv"))
    assert 1_000 < mentions < 2_200
    assert f"{mentions:,}" in ingest.output


def test_an_unknown_profile_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["simulate-extracts", "--out", str(tmp_path), "--profile", "nope", "-n", "10"]
    )
    assert result.exit_code == 2
    assert "profile" in result.output


def _households_per_postcode(directory: Path) -> tuple[float, int]:
    """(recorded households per postcode written on the mentions, distinct postcodes)."""
    m = _read(directory / "interchange" / "person_mention.csv")
    who = _read(directory / "truth" / "mention_person.csv")
    people = _read(directory / "truth" / "people.csv").set_index("person_key")
    hh = people.loc[who["person_key"], "household_key"].to_numpy()
    code = m["postcode"].str.upper().str.replace(" ", "", regex=False)
    seen = pd.DataFrame({"postcode": code, "household": hh})[code != ""]
    per = seen.drop_duplicates().groupby("postcode").size()
    return float(per.mean()), len(per)


def test_a_bigger_extract_is_a_bigger_force(police: Path, tmp_path: Path) -> None:
    """Places grow with the people (a tenfold extract is a tenfold force, not a denser one), so a
    postcode's chance agreement u falls as 1/N: what the generic model's fall at 1M rests on
    (docs/simulation.md, "Calibration")."""
    generate_extracts(ExtractConfig.for_profile("police", people=24_000, seed=2), tmp_path)
    small, small_codes = _households_per_postcode(police)
    big, big_codes = _households_per_postcode(tmp_path)
    assert 1.5 < small < 3.0 and 1.5 < big < 3.0  # a few recorded households a unit
    assert abs(big - small) / small < 0.15
    assert big_codes > 3.3 * small_codes


def test_namesakes_on_name_and_date_of_birth_are_rare(tmp_path: Path) -> None:
    """Two people of different households with one forename, surname and date of birth are as
    rare as in real registers (Fett 1984: 0.012% of such agreements were two people; 58 pairs
    among 392,680 recorded people at 1M), while forename and surname alone are shared often."""
    generate_extracts(ExtractConfig.for_profile("police", people=40_000, seed=6), tmp_path)
    people = _read(tmp_path / "truth" / "people.csv")
    people = people[people["mentions"].astype(int) > 0]

    def cross_household(keys: list[str]) -> int:
        def pairs(g: pd.Series) -> int:
            return int((g * (g - 1) // 2).sum())

        every = pairs(people.groupby(keys).size())
        return every - pairs(people.groupby([*keys, "household_key"]).size())

    per_thousand = 1000 / len(people)
    assert cross_household(["forename", "surname", "dob"]) * per_thousand < 0.5
    assert cross_household(["forename", "surname"]) * per_thousand > 20


def test_other_traditions_have_a_long_surname_tail(tmp_path: Path) -> None:
    """Version 4: the Polish/Romanian/Lithuanian, Gaelic and East Slavic pools hold 80-130
    surnames, so no surname of those traditions is held by 5% or more of their people (the
    version 2 pools of 13-25 put Nowak, MacDonald, Bondarenko on 7-10%); the police profile
    writes the same bytes as before (it draws English names only)."""
    generate_extracts(ExtractConfig.for_profile("diverse", people=20_000, seed=7), tmp_path)
    people = _read(tmp_path / "truth" / "people.csv")
    people = people[people["mentions"].astype(int) > 0]
    names = {t.name: i for i, t in enumerate((ENGLISH, *(t for t, _ in DIVERSE_MIX)))}
    for tradition in ("eastern_european", "gaelic", "east_slavic"):
        births = people[people["tradition"] == str(names[tradition])]["birth_surname"]
        assert len(births) > 300
        assert births.value_counts(normalize=True).iloc[0] < 0.05, tradition
        assert births.nunique() > 50, tradition
