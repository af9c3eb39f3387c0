"""The one history repository, on SQLite and PostgreSQL: people, parties, batches, free text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.people import people, person_links
from safeguard.domain.history import PersonKey
from tests.integration import interchange_rows as rows

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _force(engine: Engine, tmp_path: Path) -> dict[str, int]:
    items = [
        rows.person("v1"),
        rows.person("v1b", dob="1990-05-01"),
        rows.person("s1", dob="1985-02-02"),
        rows.person("w1", dob=None),
        rows.event("e1", "2025-01-10T12:00:00Z", summary="Neighbour called police"),
        rows.event("e2", "2025-03-10T12:00:00Z"),
        rows.involvement("i1", "e1", "v1"),
        rows.involvement("i2", "e1", "s1", "suspect"),
        rows.involvement("i3", "e1", "w1", "witness"),
        rows.involvement("i4", "e2", "v1b"),
        rows.involvement("i5", "e2", "s1", "suspect"),
    ]
    ids = rows.ingest_clean(engine, tmp_path, items, NOW)
    with engine.begin() as conn:
        victim = conn.execute(
            sa.insert(people).values(created_at=NOW).returning(people.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(person_links),
            [{"mention_id": ids[m], "person_id": victim, "linked_at": NOW} for m in ("v1", "v1b")],
        )
    return {**ids, "victim": int(victim)}


def test_a_victims_history_names_the_suspect_whose_history_is_read_beside_it(
    engine: Engine, tmp_path: Path
) -> None:
    ids = _force(engine, tmp_path)
    victim_key, suspect_key = f"P{ids['victim']}", f"M{ids['s1']}"
    with engine.connect() as conn:
        repo = HistoryRepository(conn)
        (victim,) = repo.of_people([PersonKey.parse(victim_key)])
        assert victim.key == PersonKey(person_id=ids["victim"])
        assert victim.pairs() == [
            (victim.involvements[0].event.event_id, suspect_key),
            (victim.involvements[1].event.event_id, suspect_key),
        ]
        others = {p.person_key: p.role for p in victim.involvements[0].others}
        assert others == {suspect_key: "suspect", f"M{ids['w1']}": "witness"}
        (suspect,) = repo.of_people([suspect_key])
        assert suspect.pairs("suspect", "victim") == [
            (i.event.event_id, victim_key) for i in victim.involvements
        ]
        # The rules read no parties and no free text; the profile reads both.
        (bare,) = repo.histories([ids["v1"]], parties=False)
        assert all(not i.others and i.event.summary is None for i in bare.involvements)
        (full,) = repo.histories([ids["v1"]], text=True)
        assert full.involvements[0].event.summary == "Neighbour called police"
        assert repo.of_people(["P999999"]) == []


def test_batches_hold_whole_people_and_ages_match_the_history(
    engine: Engine, tmp_path: Path
) -> None:
    ids = _force(engine, tmp_path)
    with engine.connect() as conn:
        repo = HistoryRepository(conn)
        total, batches = repo.batches(2)
        assert total == 3 and sum(len(b) for b in batches) == 4
        histories = [h for b in batches for h in repo.histories(b, expand=False)]
        assert sorted(h.person_key for h in histories) == sorted(
            [f"P{ids['victim']}", f"M{ids['s1']}", f"M{ids['w1']}"]
        )
        births = repo.births()
        for h in histories:
            assert births[h.key.signed] == (h.date_of_birth, h.age_hint)
        of = repo.births_of([ids["v1b"], ids["s1"]])
        assert of[ids["v1b"]] == births[ids["victim"]]
        assert repo.keys_of([ids["v1b"]]) == {ids["v1b"]: f"P{ids['victim']}"}
        assert repo.touched_since(NOW) == sorted(ids[k] for k in ("v1", "v1b", "s1", "w1"))
