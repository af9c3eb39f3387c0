"""Migrations: upgrade to head, down to base and up again, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.engine import current_revision, downgrade, head_revision, upgrade
from safeguard.adapters.db.tables import metadata


def test_the_database_is_at_the_latest_revision(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()


def test_downgrade_to_base_and_upgrade_again_restores_every_table(engine: Engine) -> None:
    downgrade(engine, "base")
    left = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    upgrade(engine)
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())


def test_the_migrations_match_the_table_definitions(engine: Engine) -> None:
    """Autogenerate finds nothing to do: the migrations create exactly what tables.py says."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
