"""Person search finds exactly the people whose names start with every word, on both databases.

The search runs one index-driven query per way the words can fall on surname and forenames
(services.people._name_branches); this checks it against the plain definition over many names.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.tables import person_mentions
from safeguard.domain.access import Actor, Role
from safeguard.domain.purposes import Use, justify
from safeguard.services.people import _name_branches, search_people
from safeguard.services.unit_of_work import UnitOfWork

SURNAMES = ["Smith", "Smithson", "Wood", "Woodward", "Johnson", "John", "Taylor", "Ann", "O'Neil"]
FORENAMES = ["John", "Joanne", "Will", "William", "Ann", "Anna Marie", "Jo", "Smith", "Taylor"]
ACTOR = Actor(user_id=1, username="analyst", role=Role.ANALYST)
WHY = justify("supervision_qa", None, use=Use.CONSULT)


@pytest.fixture
def names(engine: Engine) -> dict[int, tuple[str | None, str | None]]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": n + 1,
            "source_system": "test",
            "source_id": str(n),
            "forenames": fore,
            "surname": sur,
            "content_hash": "x",
            "first_ingested_at": now,
            "last_changed_at": now,
        }
        for n, (fore, sur) in enumerate(itertools.product([*FORENAMES, None], [*SURNAMES, None]))
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(person_mentions), rows)
    return {int(r["id"]): (r["forenames"], r["surname"]) for r in rows}


def _expected(names: dict[int, tuple[str | None, str | None]], text: str) -> set[int]:
    words = text.lower().split()
    return {
        -mid
        for mid, (fore, sur) in names.items()
        if all(any((n or "").lower().startswith(w) for n in (fore, sur)) for w in words)
    }


def test_search_finds_exactly_the_names_starting_with_every_word(
    engine: Engine, names: dict[int, tuple[str | None, str | None]]
) -> None:
    rnd = random.Random(6)
    words = ["j", "jo", "john", "smi", "smith", "w", "wood", "will", "ann", "a", "t", "tay", "o'"]
    queries = ["w wood", "jo smi", "john johnson", "ann ann", "anna marie", "smith john jo"]
    queries += [" ".join(rnd.sample(words, rnd.randint(1, 3))) for _ in range(60)]
    with engine.begin() as conn:
        for q in queries:
            hits = search_people(
                UnitOfWork(conn, ACTOR), text=q, date_of_birth=None, justification=WHY, limit=100
            )
            assert {h.person_id for h in hits} == _expected(names, q), q
            assert all(h.records == 1 for h in hits), q  # a mention matching two ways, once


def test_the_words_fall_on_two_columns_in_as_few_ways_as_needed() -> None:
    assert _name_branches(["w", "wood"]) == [("forenames", "wood", None), ("surname", "wood", None)]
    assert _name_branches(["i", "smit"]) == [("forenames", "smit", "i"), ("surname", "smit", "i")]
    assert _name_branches(["mary", "jane", "smith"]) == []  # three unrelated words: no name fits
