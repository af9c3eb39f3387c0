"""Migration 0002 (linking tables) upgrades and downgrades cleanly on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.engine import current_revision, downgrade, make_engine, upgrade

LINK_TABLES = {"link_models", "link_runs", "link_reviews", "link_decisions", "link_unlinkable"}


def test_linking_tables_come_and_go_with_their_revision(db_url: str):
    engine = make_engine(db_url)
    try:
        assert LINK_TABLES <= set(sa.inspect(engine).get_table_names())
        downgrade(engine, "-1")  # the revision before linking's (re-chained at each merge)
        assert current_revision(engine) != "0002"
        assert not LINK_TABLES & set(sa.inspect(engine).get_table_names())
        upgrade(engine)
        assert LINK_TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
