"""Backup and restore: a backup restored into a fresh database (SQLite and PostgreSQL) holds
exactly what was backed up, linkage store included; bad backups and non-empty targets are
refused with a clear message."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters.db.audit import append_audit, audit_log
from safeguard.adapters.db.dumps import table_counts
from safeguard.adapters.db.engine import make_engine, upgrade
from safeguard.cli import app as cli_app
from safeguard.domain.audit import AuditCategory, AuditEntry
from safeguard.errors import Conflict, ValidationFailed
from safeguard.services.backup import create_backup, read_backup, restore_backup
from tests.conftest import PG_ADMIN_URL
from tests.web_fixtures import build_world


def content_digest(engine: Engine) -> dict[str, str]:
    """A digest of every row of every table (sorted), to compare two databases exactly."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()  # noqa: S608
            text = json.dumps(sorted([str(v) for v in r] for r in rows))
            out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database of ``kind`` (sqlite or postgresql), not migrated; dropped after."""
    if kind == "sqlite":
        folder.mkdir(parents=True)
        yield f"sqlite:///{folder / 'safeguard.db'}"
        return
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"sg_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as ``db_url``, not migrated."""
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with fresh_database(kind, tmp_path / "restored") as url:
        yield url


def populated(engine: Engine, data_dir: Path) -> None:
    world = build_world(engine)
    with engine.begin() as conn:
        for why in ("safeguarding enquiry", "supervision"):
            append_audit(
                conn,
                AuditEntry(
                    "pc_patel",
                    "person.view",
                    AuditCategory.CONSULTATION,
                    "person",
                    [str(world.victim)],
                    [world.victim],
                    justification=why,
                ),
            )
    store = data_dir / "linkage"
    store.mkdir(parents=True)
    (store / "mentions.duckdb").write_bytes(os.urandom(20_000))


def test_a_backup_restored_into_a_fresh_database_is_identical(
    engine: Engine, fresh_url: str, tmp_path: Path
) -> None:
    populated(engine, tmp_path / "data")
    manifest = create_backup(engine, data_dir=tmp_path / "data", dest=tmp_path / "bk")
    assert manifest.counts["audit_log"] > 0 and manifest.counts["person_mentions"] > 0
    assert {f.role for f in manifest.files} == {"database", "linkage"}
    assert not (tmp_path / "bk.partial").exists()

    target = make_engine(fresh_url)
    report = restore_backup(target, data_dir=tmp_path / "data2", source=tmp_path / "bk")
    assert report.rows == sum(manifest.counts.values())
    assert content_digest(target) == content_digest(engine)
    store = tmp_path / "data2" / "linkage" / "mentions.duckdb"
    assert store.read_bytes() == (tmp_path / "data" / "linkage" / "mentions.duckdb").read_bytes()
    assert not (tmp_path / "data2" / ".restore-in-progress").exists()
    upgrade(target)  # the restored database carries on like any other
    target.dispose()


def test_restore_refuses_a_target_that_is_not_empty_unless_forced(
    engine: Engine, fresh_url: str, tmp_path: Path
) -> None:
    populated(engine, tmp_path / "data")
    create_backup(engine, data_dir=tmp_path / "data", dest=tmp_path / "bk")
    with pytest.raises(Conflict, match="not empty"):
        restore_backup(engine, data_dir=tmp_path / "data", source=tmp_path / "bk")
    other = make_engine(fresh_url)
    upgrade(other)  # migrated but empty: a fine target
    with pytest.raises(Conflict, match="linkage store"):
        restore_backup(other, data_dir=tmp_path / "data", source=tmp_path / "bk")
    restore_backup(engine, data_dir=tmp_path / "data", source=tmp_path / "bk", force=True)
    other.dispose()


def test_a_finished_restore_run_again_verifies_until_the_target_changes(
    engine: Engine, fresh_url: str, tmp_path: Path
) -> None:
    """A restore killed after its last step but before it exited is run again by an operator
    who cannot know it had finished: the same backup verifies, anything changed is refused."""
    populated(engine, tmp_path / "data")
    create_backup(engine, data_dir=tmp_path / "data", dest=tmp_path / "bk")
    target = make_engine(fresh_url)
    first = restore_backup(target, data_dir=tmp_path / "data2", source=tmp_path / "bk")
    again = restore_backup(target, data_dir=tmp_path / "data2", source=tmp_path / "bk")
    assert (again.tables, again.rows) == (first.tables, first.rows)
    assert not (tmp_path / "data2" / ".restore-in-progress").exists()
    with target.begin() as conn:  # the force has used the restored system since
        append_audit(
            conn,
            AuditEntry(
                "pc_patel", "search", AuditCategory.CONSULTATION, "search", justification="enquiry"
            ),
        )
    with pytest.raises(Conflict, match="not empty"):
        restore_backup(target, data_dir=tmp_path / "data2", source=tmp_path / "bk")
    target.dispose()


def test_a_corrupt_or_foreign_backup_is_refused_with_what_is_wrong(
    engine: Engine, tmp_path: Path
) -> None:
    populated(engine, tmp_path / "data")
    bk = tmp_path / "bk"
    create_backup(engine, data_dir=tmp_path / "data", dest=bk)
    with pytest.raises(Conflict, match="already exists"):
        create_backup(engine, data_dir=tmp_path / "data", dest=bk)
    with pytest.raises(ValidationFailed, match="not a backup"):
        read_backup(tmp_path)
    store = bk / "linkage" / "mentions.duckdb"
    held = store.read_bytes()
    store.write_bytes(held[:-1] + bytes([held[-1] ^ 0xFF]))  # the last byte, always changed
    with pytest.raises(ValidationFailed, match=r"mentions.duckdb: corrupt"):
        read_backup(bk)
    store.unlink()
    with pytest.raises(ValidationFailed, match="missing from the backup"):
        read_backup(bk)
    manifest = bk / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["files"] = [f for f in raw["files"] if f["role"] == "database"]
    raw["schema_revision"] = "9999"
    manifest.write_text(json.dumps(raw))
    with pytest.raises(ValidationFailed, match="schema_revision '9999' is unknown"):
        read_backup(bk)
    raw["schema_revision"], raw["dialect"] = None, "oracle"
    manifest.write_text(json.dumps(raw))
    with pytest.raises(ValidationFailed, match="dialect: unknown"):
        read_backup(bk)
    manifest.write_text("{not json")
    with pytest.raises(ValidationFailed, match=r"manifest.json: not JSON"):
        read_backup(bk)


def test_a_restore_that_does_not_match_its_manifest_is_not_reported_as_success(
    engine: Engine, fresh_url: str, tmp_path: Path
) -> None:
    populated(engine, tmp_path / "data")
    bk = tmp_path / "bk"
    create_backup(engine, data_dir=tmp_path / "data", dest=bk)
    manifest = bk / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["counts"]["audit_log"] += 1
    raw["audit_head"]["seq"] += 1
    manifest.write_text(json.dumps(raw))
    target = make_engine(fresh_url)
    with pytest.raises(ValidationFailed, match="table audit_log") as info:
        restore_backup(target, data_dir=tmp_path / "data2", source=bk)
    assert "tail was cut" in str(info.value)
    assert (tmp_path / "data2" / ".restore-in-progress").exists()
    target.dispose()


def test_a_sqlite_backup_cannot_be_restored_into_postgresql(
    engine: Engine, fresh_url: str, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("one direction is enough")
    sqlite_target = tmp_path / "a.db"
    populated(engine, tmp_path / "data")
    create_backup(engine, data_dir=tmp_path / "data", dest=tmp_path / "bk")
    raw = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    raw["dialect"] = "postgresql"
    (tmp_path / "bk" / "manifest.json").write_text(json.dumps(raw))
    target = make_engine(f"sqlite:///{sqlite_target}")
    with pytest.raises(ValidationFailed, match="postgresql backup cannot be restored into sqlite"):
        restore_backup(target, data_dir=tmp_path / "d", source=tmp_path / "bk")


def test_the_cli_backs_up_and_restores(
    engine: Engine,
    db_url: str,
    fresh_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safeguard.config import get_settings

    populated(engine, tmp_path / "data")
    runner = CliRunner()
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("SAFEGUARD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        made = runner.invoke(cli_app, ["backup", str(tmp_path / "bk")])
        assert made.exit_code == 0, made.output
        assert "audit head" in made.output
        monkeypatch.setenv("SAFEGUARD_DATABASE_URL", fresh_url)
        monkeypatch.setenv("SAFEGUARD_DATA_DIR", str(tmp_path / "data2"))
        get_settings.cache_clear()
        done = runner.invoke(cli_app, ["restore", str(tmp_path / "bk")])
        assert done.exit_code == 0, done.output
        assert "restored and verified" in done.output
        again = runner.invoke(cli_app, ["restore", str(tmp_path / "bk")])
        assert again.exit_code == 0 and "already restored" in again.output
        other = tmp_path / "bk-other"
        monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
        get_settings.cache_clear()
        assert runner.invoke(cli_app, ["backup", str(other)]).exit_code == 0
        monkeypatch.setenv("SAFEGUARD_DATABASE_URL", fresh_url)
        get_settings.cache_clear()
        refused = runner.invoke(cli_app, ["restore", str(other)])
        assert refused.exit_code == 2 and "not empty" in refused.output
    finally:
        get_settings.cache_clear()
    target = make_engine(fresh_url)
    with target.connect() as conn:
        assert table_counts(conn)["audit_log"] == len(conn.execute(sa.select(audit_log)).all())
    target.dispose()
