"""Why two records are one person or two: Splink's waterfall per field, guards, audit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.linkage import save_model
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.domain.access import Actor, Role
from safeguard.errors import NotFound, PermissionDenied
from safeguard.services.linkage_why import why_pair
from safeguard.services.linking import runs
from safeguard.services.linking.config import LinkConfig
from safeguard.services.unit_of_work import OPERATOR_RUN, UnitOfWork
from tests.linkage_data import NOW, insert_mentions, make_mentions, make_people

ANALYST = Actor(user_id=1, username="analyst", role=Role.ANALYST)
OFFICER = Actor(user_id=2, username="officer", role=Role.OFFICER)
PEOPLE = make_people(30)
ROWS = make_mentions(PEOPLE)
ADDRESS = "9 fell view, ca3"
FAMILY = [
    {"forenames": "John Snr", "date_of_birth": date(1961, 2, 3)},
    {"forenames": "John", "date_of_birth": date(1961, 2, 3)},
    {"forenames": "John Jr", "date_of_birth": date(1988, 7, 9)},
    {"forenames": "John", "date_of_birth": date(1988, 7, 9)},
]


@pytest.fixture(scope="module")
def trained_model() -> str:
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=NOW.date())
        return json.dumps(session.train(), sort_keys=True)


@pytest.fixture
def linked(engine: Engine, trained_model: str, tmp_path: Path) -> dict[str, int]:
    start = max(r["id"] for r in ROWS) + 1
    family = [
        {
            "id": start + i,
            "source_system": "NICHE",
            "source_id": f"F{i}",
            "surname": "Hetherington",
            "address": ADDRESS,
            "postcode": "CA3 9XY",
            "sex": "male",
            "mention_date": date(2025, 1, 1),
            **extra,
        }
        for i, extra in enumerate(FAMILY)
    ]
    insert_mentions(engine, ROWS + family)
    with engine.begin() as conn:
        save_model(
            conn,
            version="test-model",
            model_json=trained_model,
            backend="duckdb",
            trained_on=len(ROWS),
            at=NOW - timedelta(days=1),
        )
    runs.link_all(engine, actor=OPERATOR_RUN, config=LinkConfig(store_dir=tmp_path / "l"), now=NOW)
    return {"dad": start, "dad2": start + 1, "son": start + 2, "son2": start + 3}


def test_why_two_records_of_one_person_shows_every_field_and_sums_to_the_score(
    engine: Engine, linked: dict[str, int]
):
    a, b = ROWS[0]["id"], ROWS[1]["id"]  # one person's first two mentions
    with engine.begin() as conn:
        why = why_pair(UnitOfWork(conn, ANALYST), left=b, right=a, today=NOW.date())
    assert why.left.mention_id == a and why.right.mention_id == b
    assert why.same_person and not why.withheld and why.model_version == "test-model"
    fields = {f.field for f in why.fields}
    assert {"forename", "surname", "dob", "address", "phone", "pnc_id", "sex"} <= fields
    assert why.match_weight == pytest.approx(
        why.prior_weight + sum(f.match_weight for f in why.fields)  # type: ignore[operator]
    )
    assert why.guards == []
    with engine.connect() as conn:
        entry = conn.execute(sa.select(audit_log).where(audit_log.c.action == "link.why")).one()
    assert entry.category == "consultation" and json.loads(entry.record_ids) == [str(a), str(b)]


def test_why_a_father_and_son_are_kept_apart_names_the_guards(
    engine: Engine, linked: dict[str, int]
):
    with engine.begin() as conn:
        why = why_pair(UnitOfWork(conn, ANALYST), left=linked["dad"], right=linked["son"])
        plain = why_pair(UnitOfWork(conn, ANALYST), left=linked["dad2"], right=linked["son2"])
    assert not why.same_person
    assert {g.guard for g in why.guards} >= {"generation", "junior_senior"}
    # each date is recorded twice among the two people: firm, years and a generation apart
    assert [g.guard for g in plain.guards] == ["dob_apart", "firm_dob", "generation"]
    dob = next(f for f in why.fields if f.field == "dob")
    assert dob.level == "a generation apart" and dob.match_weight < 0


def test_why_needs_a_reviewer_and_two_existing_records(engine: Engine, linked: dict[str, int]):
    with engine.begin() as conn:
        with pytest.raises(PermissionDenied):
            why_pair(UnitOfWork(conn, OFFICER), left=linked["dad"], right=linked["son"])
        with pytest.raises(NotFound):
            why_pair(UnitOfWork(conn, ANALYST), left=linked["dad"], right=10**8)
