"""Migration 0002 (linking tables) upgrades and downgrades cleanly on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.engine import current_revision, downgrade, make_engine, upgrade

LINK_TABLES = {"link_models", "link_runs", "link_reviews", "link_decisions", "link_unlinkable"}


def test_linking_tables_come_and_go_with_their_revision(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert LINK_TABLES <= set(sa.inspect(engine).get_table_names())
        downgrade(engine, "0003")  # the revision linking's 0002 follows
        assert current_revision(engine) == "0003"
        assert not LINK_TABLES & set(sa.inspect(engine).get_table_names())
    finally:
        upgrade(engine)  # always leave the shared database at head for the tests after this
        assert LINK_TABLES <= set(sa.inspect(engine).get_table_names())
        engine.dispose()
