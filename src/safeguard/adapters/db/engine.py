"""Engine construction and migrations (Alembic), for SQLite and PostgreSQL alike."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)


def make_engine(url: str, *, sqlite_mmap_bytes: int = 0, **options: Any) -> Engine:
    """An engine with the pragmas safeguard relies on (SQLite: WAL, foreign keys, busy timeout).

    ``sqlite_mmap_bytes``: a server's SQLite connections also memory-map the database file (one
    copy in the OS cache for all of them); 0 leaves it off. ``options`` go to
    ``sqlalchemy.create_engine`` (e.g. ``pool_size`` for a server)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **options)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            if sqlite_mmap_bytes:
                cur.execute(f"PRAGMA mmap_size={int(sqlite_mmap_bytes)}")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return sa.create_engine(url, pool_pre_ping=True, **options)


def ping(engine: Engine) -> str | None:
    """Ask the database to answer one trivial query: None when it does, else the name of the
    error's type (for the log; never its text, which may hold the address)."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return type(exc).__name__
    return None


def _alembic_config(url: str) -> Config:
    script_location = resources.files("safeguard").joinpath("migrations")
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on the engine's database."""
    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    cfg = _alembic_config("sqlite://")
    return ScriptDirectory.from_config(cfg).get_current_head()


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


def known_revisions() -> set[str | None]:
    """Every schema revision this version of safeguard can migrate from (None: no schema)."""
    cfg = _alembic_config("sqlite://")
    return {None} | {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
