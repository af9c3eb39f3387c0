"""The simulator's files: layout, determinism, schema validity, references, truth, noise and
the procedural gaps the assurance work must find."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
import pytest

from safeguard.interchange.schema import record_spec, record_types
from safeguard.simulation import SimulationConfig, simulate
from safeguard.simulation.domestic import grade_from_yes
from safeguard.simulation.missing import SERAF_MODERATE, SERAF_SIGNIFICANT, SERAF_VULNERABILITIES

DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
END = datetime(2026, 1, 1, tzinfo=UTC)


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_to_json(record_type: str, row: dict[str, str]) -> dict[str, Any]:
    """Decode one CSV row by the interchange contract (empty = null, ';' arrays, JSON answers)."""
    spec = {f.name: f for f in record_spec(record_type).fields}
    out: dict[str, Any] = {}
    for name, text in row.items():
        if text == "":
            continue
        kind = spec[name].kind if name in spec else "string"
        if kind == "array":
            out[name] = text.split(";")
        elif kind == "object":
            out[name] = json.loads(text)
        elif kind == "boolean":
            assert text in ("true", "false"), (record_type, name, text)
            out[name] = text == "true"
        elif kind == "integer":
            out[name] = int(text)
        else:
            out[name] = text
    return out


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    simulate(SimulationConfig(population=10_000, seed=5), out)
    return out


@pytest.fixture(scope="module")
def rows(force: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        t: [csv_to_json(t, r) for r in read_csv_rows(force / "interchange" / f"{t}.csv")]
        for t in record_types()
    }


def _validate(record_type: str, objects: list[dict[str, Any]]) -> None:
    schema = record_spec(record_type).schema
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    date_times = [n for n, p in schema["properties"].items() if p.get("format") == "date-time"]
    for i, obj in enumerate(objects):
        errors = sorted(validator.iter_errors(obj), key=str)
        assert not errors, f"{record_type} row {i + 1}: {errors[0].message}"
        for name in date_times:
            if name in obj:
                assert DATE_TIME.match(obj[name]), (record_type, i, name, obj[name])


def test_every_record_type_and_every_truth_file_is_written(force: Path) -> None:
    for rtype in record_types():
        assert (force / "interchange" / f"{rtype}.csv").stat().st_size > 0, rtype
    for name in ("mention_person.csv", "people.csv", "hard_negatives.csv", "outcomes.csv"):
        assert (force / "truth" / name).exists()
    assert "person_key" in (force / "truth" / "README.md").read_text()


@pytest.mark.slow
def test_every_csv_row_validates_against_the_json_schema(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    for rtype, objects in rows.items():
        assert objects, rtype
        _validate(rtype, objects)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_json_lines_and_parquet_output_validate_too(tmp_path: Path, fmt: str) -> None:
    simulate(SimulationConfig(population=1_500, seed=2, output_format=fmt), tmp_path)  # type: ignore[arg-type]
    written = sorted(p.stem for p in (tmp_path / "interchange").glob(f"*.{fmt}"))
    assert len(written) >= len(record_types()) - 1  # a tiny force may have no objects
    for rtype in written:
        path = tmp_path / "interchange" / f"{rtype}.{fmt}"
        if fmt == "jsonl":
            objects = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        else:
            objects = [
                {k: (json.loads(v) if k == "answers" else v) for k, v in r.items() if v is not None}
                for r in pq.read_table(path).to_pylist()
            ]
        _validate(rtype, objects)


@pytest.mark.slow
def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate(SimulationConfig(population=2_000, seed=3, chunk_people=1_000), a)
    simulate(SimulationConfig(population=2_000, seed=3, chunk_people=1_000, workers=2), b)
    simulate(SimulationConfig(population=2_000, seed=4, chunk_people=1_000), c)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "interchange/event.csv").read_bytes() != (c / "interchange/event.csv").read_bytes()


def test_every_reference_resolves_within_the_same_source_system(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    ids = {t: {(r["source_system"], r["source_id"]) for r in rows[t]} for t in record_types()}
    for rtype in record_types():
        for ref in record_spec(rtype).refs:
            for r in rows[rtype]:
                if ref.name in r:
                    key = (r["source_system"], r[ref.name])
                    assert key in ids[ref.ref_target or ""], (rtype, r["source_id"], ref.name)


def test_nothing_is_dated_after_the_export(rows: dict[str, list[dict[str, Any]]]) -> None:
    for rtype, objects in rows.items():
        props = record_spec(rtype).schema["properties"]
        stamps = [n for n, p in props.items() if p.get("format") in ("date-time", "date")]
        for r in objects:
            for name in stamps:
                if name in r:
                    when = datetime.fromisoformat(r[name])
                    when = when if when.tzinfo else when.replace(tzinfo=UTC)
                    assert when <= END, (rtype, r["source_id"], name, r[name])


def test_truth_names_the_real_person_behind_every_mention_exactly_once(force: Path) -> None:
    mentions = read_csv_rows(force / "interchange" / "person_mention.csv")
    truth = read_csv_rows(force / "truth" / "mention_person.csv")
    truth_keys = Counter((t["source_system"], t["source_id"]) for t in truth)
    assert set(truth_keys) == {(m["source_system"], m["source_id"]) for m in mentions}
    assert set(truth_keys.values()) == {1}
    people = {p["person_key"] for p in read_csv_rows(force / "truth" / "people.csv")}
    assert {t["person_key"] for t in truth} <= people
    assert {t["source_system"] for t in truth} == {"NICHE", "LCS"}


def test_hard_negatives_really_occur_in_the_records(force: Path) -> None:
    mentioned = {t["person_key"] for t in read_csv_rows(force / "truth" / "mention_person.csv")}
    pairs = read_csv_rows(force / "truth" / "hard_negatives.csv")
    people = {p["person_key"]: p for p in read_csv_rows(force / "truth" / "people.csv")}
    seen = Counter(
        p["kind"]
        for p in pairs
        if p["person_key_a"] in mentioned and p["person_key_b"] in mentioned
    )
    for kind in ("twins", "siblings", "father_son_same_name"):
        assert seen[kind] >= 2, (kind, seen)
    for p in pairs:
        a, b = people[p["person_key_a"]], people[p["person_key_b"]]
        assert a["household_key"] == b["household_key"]
        if p["kind"] == "twins":
            assert a["dob"] == b["dob"] and a["forenames"] != b["forenames"]
        if p["kind"] == "father_son_same_name":
            assert a["forenames"].split()[0] == b["forenames"].split()[0]
            assert a["surname"] == b["surname"] and a["dob"] < b["dob"]


def test_mentions_carry_the_noise_police_records_have(force: Path) -> None:
    people = {p["person_key"]: p for p in read_csv_rows(force / "truth" / "people.csv")}
    truth = {
        t["source_id"]: t["person_key"]
        for t in read_csv_rows(force / "truth" / "mention_person.csv")
    }
    kinds: Counter[str] = Counter()
    for m in read_csv_rows(force / "interchange" / "person_mention.csv"):
        p = people[truth[m["source_id"]]]
        first = p["forenames"].split()[0]
        if not m["date_of_birth"]:
            kinds["age_only" if m["age"] else "no_dob"] += 1
        elif m["date_of_birth"] != p["dob"]:
            y, mo, d = p["dob"].split("-")
            kinds["day_month_swap" if m["date_of_birth"] == f"{y}-{d}-{mo}" else "other_dob"] += 1
        if m["surname"] == first:
            kinds["name_swap"] += 1
        elif m["surname"].lower() != p["surname"].lower():
            kinds["maiden_or_typo"] += 1
        if m["surname"].isupper() and len(m["surname"]) > 1:
            kinds["upper"] += 1
        if m["forenames"] and m["forenames"].split()[0] != first and m["surname"] != first:
            kinds["nickname_or_typo"] += 1
        if p["moved_on"] and m["address"] == p["new_address"]:
            kinds["moved"] += 1
    for kind in (
        "age_only",
        "no_dob",
        "day_month_swap",
        "name_swap",
        "maiden_or_typo",
        "upper",
        "nickname_or_typo",
        "moved",
    ):
        assert kinds[kind] > 0, (kind, kinds)
    assert kinds["other_dob"] == 0


def test_dash_answers_follow_the_instruments_and_officers_sometimes_disagree(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    dash = [r for r in rows["risk_assessment"] if r["instrument_id"] == "dash-police"]
    assert dash
    disagree = regraded = 0
    for r in dash:
        assert r["instrument_version"] == "2009"
        assert list(r["answers"]) == [f"q{i}" for i in range(1, 28)]
        assert set(r["answers"].values()) <= {"yes", "no", "not_known"}
        yes = sum(v == "yes" for v in r["answers"].values())
        assert r["officer_grade"] in ("standard", "medium", "high")
        disagree += r["officer_grade"] != grade_from_yes(yes)
        regraded += "reviewed_grade" in r and r["reviewed_grade"] != r["officer_grade"]
    assert 0 < disagree < len(dash) * 0.4
    assert regraded > 0
    sdash = [r for r in rows["risk_assessment"] if r["instrument_id"] == "s-dash"]
    assert sdash and all(list(r["answers"]) == [f"q{i}" for i in range(1, 12)] for r in sdash)


def test_cse_screenings_use_the_seraf_keys_with_dates_for_last_observed(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    seraf = [r for r in rows["risk_assessment"] if r["instrument_id"] == "cse-seraf"]
    assert seraf
    keys = set(SERAF_VULNERABILITIES) | set(SERAF_MODERATE) | set(SERAF_SIGNIFICANT)
    values: set[str] = set()
    for r in seraf:
        assert r["instrument_version"] == "1"
        assert set(r["answers"]) == keys
        assert r["officer_grade"] in ("low", "medium", "significant", "serious")
        values |= set(r["answers"].values())
    assert {"yes", "no"} <= values
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values)


def test_referrals_of_every_kind_with_routes_rag_and_status_changes(
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    refs = rows["referral"]
    kinds = Counter(r["referral_type"] for r in refs)
    for kind in ("marac", "mash", "idva", "sarc", "operation_encompass", "cse_screening"):
        assert kinds[kind] > 0, (kind, kinds)
    assert {r["route"] for r in refs if r["referral_type"] == "marac"} >= {
        "visible_high_risk",
        "professional_judgement",
        "potential_escalation",
    }
    mash = [r for r in refs if r["referral_type"] == "mash"]
    assert {r["rag"] for r in mash} >= {"red", "amber"}
    assert all(r["source_system"] == "LCS" for r in mash)
    statuses = Counter(s["status"] for s in rows["referral_status"])
    assert statuses["decision_made"] > 0 and statuses["received"] > 0


def test_procedures_are_sometimes_late_or_missing(rows: dict[str, list[dict[str, Any]]]) -> None:
    contacts = rows["victim_contact"]
    assert any("contacted_at" not in c for c in contacts)
    late = [
        c
        for c in contacts
        if "contacted_at" in c
        and c["trigger"] != "needs_assessment"
        and (
            datetime.fromisoformat(c["contacted_at"]) - datetime.fromisoformat(c["trigger_at"])
        ).days
        > 8
    ]
    assert late
    assert {c["trigger"] for c in contacts} >= {"needs_assessment", "arrest"}
    episodes = rows["missing_episode"]
    assert any(e.get("exploitation_flag") for e in episodes)
    assert any("rhi_completed_at" not in e and "found_at" in e for e in episodes)
    assert rows["satisfaction_response"]


def test_events_carry_areas_teams_and_officers(rows: dict[str, list[dict[str, Any]]]) -> None:
    events = rows["event"]
    assert {e["area"] for e in events} == {"North", "West", "South"}
    assert len({e["team"] for e in events}) >= 6
    assert all(re.fullmatch(r"P\d{4}", e["officer_id"]) for e in events)
    types = Counter(e["event_type"] for e in events)
    for t in ("domestic_abuse", "missing_person", "sexual_offence", "other_crime"):
        assert types[t] > 0
