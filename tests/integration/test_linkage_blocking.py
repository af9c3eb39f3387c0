"""The batch prediction's blocking rules and the weak pairs it keeps lose nothing the linking uses.

Two rules were left out of the batch prediction (date of birth with postcode, forename with
postcode: the postcode alone finds every pair of theirs), and only the weak pairs the look-alike
guard can use are kept. Both are checked against the old way on households with every hard case.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from splink import block_on

from safeguard.adapters.linkage import engine as engine_module
from safeguard.adapters.linkage import model
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from tests.linkage_data import make_households

TODAY = date(2026, 6, 1)
ROWS = make_households(60, seed=4).rows
OLD_KEYS = (
    ("forename_canon", "surname"),
    ("surname", "dob"),
    ("forename_canon", "dob"),
    ("dob", "postcode"),
    ("postcode",),
    ("forename_canon", "postcode"),
    ("surname", "birth_year", "postcode_district"),
    ("address",),
    ("phone",),
    ("pnc_id",),
)
DISTRICT = ("surname", "birth_year", "postcode_district")


@pytest.fixture(scope="module")
def trained() -> dict[str, object]:
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=TODAY)
        return session.train()


def _with_rules(
    model_json: dict[str, object], keys: tuple[tuple[str, ...], ...]
) -> dict[str, object]:
    m = json.loads(json.dumps(model_json))
    rules = [block_on(*k).get_blocking_rule("duckdb").blocking_rule_sql for k in keys]
    rules += [model.SWAP_RULE, model.OTHER_NAME_RULE]
    m["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": r, "sql_dialect": "duckdb"} for r in rules
    ]
    return m


def _pairs(
    model_json: dict[str, object], rows: list[dict[str, object]] = ROWS
) -> set[tuple[int, int, float]]:
    """Every pair scored at 0.01 or more, with its probability."""
    with LinkingSession() as session:
        session.load(raw_from_records(rows), today=TODAY)
        session.use_model(model_json)
        p = session.predict(threshold=0.01)
    return {
        (int(a), int(b), round(float(q), 9))
        for a, b, q in zip(p.left, p.right, p.probability, strict=True)
    }


def test_the_rules_left_out_found_no_pair_the_postcode_did_not(trained: dict[str, object]) -> None:
    new = _pairs(trained)
    old = _pairs(_with_rules(trained, OLD_KEYS))
    assert len(new) > 100
    assert new == old


def test_surname_birth_year_and_district_alone_finds_one_person_who_moved(
    trained: dict[str, object],
) -> None:
    """Why the rule stays in the batch prediction (at 1M it joins 1.3 million pairs, 20,000 of
    them found by no other rule, nearly all scored under 0.5: docs/benchmarks.md, "speed14"):
    one person recorded with a date of birth, then misspelt, with an age only, at another
    address in the same district shares no other rule's key, and the model scores the pair as
    one person."""
    assert DISTRICT in model.BLOCKING_KEYS
    first = max(int(str(r["id"])) for r in ROWS) + 1
    moved = [
        {"id": first, "forenames": "Jennifer", "surname": "Dixford", "sex": "female",
         "date_of_birth": date(1985, 7, 9), "postcode": "CA30 2AB",
         "address": "17 Fell View, CA30", "mention_date": date(2026, 3, 1)},
        {"id": first + 1, "forenames": "Jenifre", "surname": "Dixford", "sex": "female",
         "age": 41, "postcode": "CA30 8ZZ", "address": "3 Station Rd, CA30",
         "mention_date": date(2026, 3, 1)},
    ]  # fmt: skip
    rows = [*ROWS, *moved]
    keys = tuple(k for k in model.BLOCKING_KEYS if k != DISTRICT)
    found = {(a, b): q for a, b, q in _pairs(trained, rows)}
    assert found[(first, first + 1)] >= 0.95
    assert (first, first + 1) not in {
        (a, b) for a, b, _ in _pairs(_with_rules(trained, keys), rows)
    }


def _weak(session: LinkingSession) -> set[tuple[int, int]]:
    return {(int(a), int(b)) for a, b in session.con.execute("select * from weak_pairs").fetchall()}


def test_the_weak_pairs_kept_are_every_weak_pair_the_look_alike_guard_reads(
    trained: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert model.look_alike_match_keys(trained) == ("0", "1")
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=TODAY)
        session.use_model(trained)
        session.predict(threshold=0.5)
        kept = _weak(session)
    monkeypatch.setattr(engine_module.models, "look_alike_match_keys", lambda _m: None)
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=TODAY)
        session.use_model(trained)
        session.predict(threshold=0.5)
        every = _weak(session)
        read = {
            (int(a), int(b))
            for a, b in session.con.execute(
                "select w.a, w.b from weak_pairs w join features l on l.unique_id = w.a "
                "join features r on r.unique_id = w.b where l.surname = r.surname "
                "and (l.dob = r.dob or l.forename_canon = r.forename_canon)"
            ).fetchall()
        }
    assert read and len(every) > len(read)  # the households have weak pairs of both kinds
    assert kept == read


def test_a_model_whose_rules_begin_otherwise_keeps_every_weak_pair() -> None:
    postcode = {"blocking_rule": 'l."postcode" = r."postcode"'}
    m: dict[str, object] = {"blocking_rules_to_generate_predictions": [postcode]}
    assert model.look_alike_match_keys(m) is None
    assert model.look_alike_match_keys({}) is None


def test_a_prediction_in_chunks_scores_the_pairs_of_one_in_one_chunk(
    trained: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _pairs(trained)
    monkeypatch.setattr(engine_module, "CHUNK_ROWS", len(ROWS) // 3)
    assert _pairs(trained) == whole
