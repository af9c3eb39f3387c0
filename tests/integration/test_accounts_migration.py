"""Revision 0004 (accounts, sessions, sharing) upgrades and downgrades on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from safeguard.adapters.db.engine import downgrade, upgrade
from safeguard.adapters.db.tables import metadata

MINE = {"users", "web_sessions", "api_tokens", "break_glass_grants", "agency_shares"}


def test_accounts_tables_exist_after_upgrade_and_go_after_downgrade(engine: Engine) -> None:
    assert MINE <= set(sa.inspect(engine).get_table_names())
    downgrade(engine, "0001")  # 0004 joins two heads, so step back below both
    assert not MINE & set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert MINE <= set(sa.inspect(engine).get_table_names())


# SQLAlchemy cannot reflect the expression indexes on lower(name) and says so; that is expected.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression")
def test_accounts_migration_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    mine = [d for d in diff if any(name in repr(d) for name in MINE)]
    assert mine == []
