"""The dashboard's figures and one incident's parties, read through their repositories, on both
databases: each figure counted by hand from the world the web tests use."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from safeguard.adapters.db.force_counts import ForceCounts
from safeguard.adapters.db.incidents import incident
from safeguard.domain.access import Actor, BreakGlassRequired, Role
from safeguard.domain.purposes import Use, justify
from safeguard.services.dashboard import force_figures
from safeguard.services.events import get_event
from safeguard.services.unit_of_work import UnitOfWork
from tests.web_fixtures import NOW, build_world

BOARD = Actor(user_id=1, username="board", role=Role.BOARD_VIEWER)
OFFICER = Actor(user_id=2, username="pc", role=Role.OFFICER)


def test_the_dashboard_counts_what_the_world_holds(engine: Engine) -> None:
    build_world(engine)
    with engine.connect() as conn:
        counts = ForceCounts(conn)
        since = NOW - timedelta(days=365)
        assert counts.people() == 3
        assert counts.mentions() == 6
        assert counts.incidents_since("domestic_abuse", since) == 1
        assert counts.incidents_since("missing_person", since) == 3
        assert counts.incidents_since("missing_person", NOW - timedelta(days=50)) == 1
        assert counts.referrals_since("marac", since) == 1
        assert counts.referrals_since("marac", NOW) == 0
        assert counts.open_missing_episodes() == 0  # every episode of the world has ended
        assert counts.open_link_reviews() == 1
        forms = counts.forms_completed_since(since)
        assert [(f.instrument_id, f.officer_grade) for f in forms] == [("dash-police", "high")]
        assert forms[0].answers["q1"] == "yes"
        figures = {f.label: f.value for f in force_figures(conn, actor=BOARD, now=NOW)}
    # 1 to 4 are suppressed (None); 0 and 5 or more are shown
    assert figures["High-risk assessments, last 12 months"] is None
    assert figures["Domestic abuse incidents, last 12 months"] is None
    assert figures["Missing episodes still open"] == 0
    assert figures["Records of people"] == 6


def test_an_incident_names_each_party_once_linked_or_not(engine: Engine) -> None:
    world = build_world(engine)
    with engine.connect() as conn:
        assert incident(conn, 10**9) is None
        found = incident(conn, world.event)
    assert found is not None
    assert found.event_type == "domestic_abuse"
    assert {(p.person_id, p.role) for p in found.people} == {
        (world.victim, "victim"),
        (world.suspect_restricted, "suspect"),
    }


def test_reading_an_incident_with_a_restricted_party_needs_break_glass(engine: Engine) -> None:
    world = build_world(engine)
    why = justify("investigation", "CU/2026/1234", use=Use.CONSULT)
    with engine.begin() as conn:
        with pytest.raises(BreakGlassRequired):
            get_event(UnitOfWork(conn, OFFICER), event_id=world.event, justification=why)


def test_a_persons_other_names_are_read_as_names(engine: Engine) -> None:
    from safeguard.adapters.db.person_records import mentions_of
    from safeguard.adapters.db.tables import person_mentions
    from safeguard.services.people import _aliases
    from tests.web_fixtures import add

    with engine.begin() as conn:
        one = add(conn, person_mentions, forenames="Jo", surname="Smith", other_names=["Jo Brown"])
        old = add(conn, person_mentions, forenames="Jo", surname="Smith", other_names="JB; J Brown")
    with engine.connect() as conn:
        records = mentions_of(conn, -one) + mentions_of(conn, -old)
    assert [r.other_names for r in records] == [("Jo Brown",), ("JB", "J Brown")]
    assert _aliases(records, ["Jo Smith"]) == ["Jo Brown", "JB", "J Brown"]


def test_a_server_engine_maps_the_sqlite_file_and_answers_a_ping(tmp_path: Path) -> None:
    from safeguard.adapters.db.engine import make_engine, ping

    eng = make_engine(f"sqlite:///{tmp_path / 'x.db'}", sqlite_mmap_bytes=1 << 20)
    plain = make_engine(f"sqlite:///{tmp_path / 'y.db'}")
    try:
        assert ping(eng) is None
        assert ping(make_engine("postgresql://nobody@127.0.0.1:1/none")) == "OperationalError"
        with eng.connect() as conn, plain.connect() as other:
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 1 << 20
            assert other.exec_driver_sql("PRAGMA mmap_size").scalar() == 0
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        eng.dispose()
        plain.dispose()
