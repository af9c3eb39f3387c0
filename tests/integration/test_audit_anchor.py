"""The audit anchor: a checkpoint kept outside the database catches what the head row beside
the chain cannot (a cut tail with the head rewound, a rewritten newest entry, an emptied log),
and PostgreSQL refuses TRUNCATE of the log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from typer.testing import CliRunner

from safeguard.adapters.db.audit import (
    append_audit,
    audit_head,
    audit_log,
    audit_person_index,
    verify_audit,
)
from safeguard.cli import app as cli_app
from safeguard.domain.audit import AuditCategory, AuditEntry, entry_hash
from safeguard.errors import ValidationFailed
from safeguard.services.audit_anchor import read_checkpoints, take_checkpoint


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        "pc_patel",
        "person.view",
        AuditCategory.CONSULTATION,
        "person",
        [str(n)],
        [n],
        justification="safeguarding enquiry",
    )


def _write(engine: Engine, n: int, start: int = 1) -> None:
    with engine.begin() as conn:
        for i in range(start, start + n):
            append_audit(conn, _entry(i))


@contextmanager
def _as_dba(engine: Engine) -> Iterator[Connection]:
    """A transaction with the append-only triggers out of the way, as someone with database
    access could have it."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            for op in ("update", "delete"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_audit_log_no_{op}")
        yield conn


def _cut_tail_and_rewind(engine: Engine, keep: int) -> None:
    with _as_dba(engine) as conn:
        conn.execute(sa.delete(audit_person_index).where(audit_person_index.c.seq > keep))
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq > keep))
        last = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.seq == keep)).scalar()
        conn.execute(sa.update(audit_head).values(last_seq=keep, last_hash=last))


def test_a_cut_tail_with_the_head_rewound_passes_the_chain_but_not_the_checkpoint(
    engine: Engine, tmp_path: Path
) -> None:
    anchor = tmp_path / "anchor.jsonl"
    _write(engine, 5)
    take_checkpoint(engine, anchor)
    _cut_tail_and_rewind(engine, keep=3)
    with engine.connect() as conn:
        assert verify_audit(conn) == []  # the head beside the chain was rewound too
        problems = verify_audit(conn, read_checkpoints(anchor))
    assert [p.seq for p in problems] == [5]
    assert "tail was cut" in problems[0].problem


def test_an_emptied_log_fails_against_the_checkpoint(engine: Engine, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.jsonl"
    _write(engine, 3)
    take_checkpoint(engine, anchor)
    with _as_dba(engine) as conn:
        conn.execute(sa.delete(audit_person_index))
        conn.execute(sa.delete(audit_log))
        conn.execute(sa.delete(audit_head))
    with engine.connect() as conn:
        assert verify_audit(conn) == []
        [problem] = verify_audit(conn, read_checkpoints(anchor))
    assert "the log is empty" in problem.problem


def test_a_rewritten_newest_entry_with_its_hash_recomputed_is_found(engine: Engine) -> None:
    _write(engine, 4)
    with _as_dba(engine) as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 4)).one()
        forged = AuditEntry(
            "someone_else",
            "person.view",
            AuditCategory.CONSULTATION,
            "person",
            ["4"],
            [4],
            justification="safeguarding enquiry",
        )
        digest = entry_hash(row.prev_hash, 4, row.at, forged)
        conn.execute(
            sa.update(audit_log)
            .where(audit_log.c.seq == 4)
            .values(actor="someone_else", hash=digest)
        )
    with engine.connect() as conn:
        [problem] = verify_audit(conn)
    assert problem.seq == 4 and "rewritten" in problem.problem


def test_a_rewritten_head_too_is_caught_by_the_checkpoint(engine: Engine, tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.jsonl"
    _write(engine, 4)
    take_checkpoint(engine, anchor)
    _write(engine, 2, start=5)  # the chain goes on after the checkpoint: still fine
    with engine.connect() as conn:
        assert verify_audit(conn, read_checkpoints(anchor)) == []
    with _as_dba(engine) as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 4).values(hash="f" * 64))
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 5).values(prev_hash="f" * 64))
    with engine.connect() as conn:
        problems = verify_audit(conn, read_checkpoints(anchor))
    assert any(p.seq == 4 and "checkpoint" in p.problem for p in problems)


@pytest.mark.postgres
def test_postgresql_refuses_truncate_of_the_audit_log(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite's DELETE meets the row triggers")
    _write(engine, 2)
    with pytest.raises(sa.exc.DBAPIError, match="TRUNCATE refused"), engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE audit_log CASCADE")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == 2


def test_a_damaged_checkpoint_file_names_its_line(tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.jsonl"
    anchor.write_text(
        '{"seq": 1, "hash": "' + "a" * 64 + '", "at": "2026-01-01T00:00:00+00:00"}\n{"seq": "x"}\n'
    )
    with pytest.raises(ValidationFailed, match=r"anchor.jsonl, line 2: seq"):
        read_checkpoints(anchor)
    with pytest.raises(ValidationFailed, match="no such checkpoint file"):
        read_checkpoints(tmp_path / "absent.jsonl")


def test_the_cli_checkpoints_and_verifies_and_reading_the_log_is_audited(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguard.config import get_settings

    anchor = tmp_path / "anchor.jsonl"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        _write(engine, 3)
        runner = CliRunner()
        cp = runner.invoke(cli_app, ["audit", "checkpoint", "--file", str(anchor)])
        assert cp.exit_code == 0, cp.output
        assert '"seq": 3' in cp.output and len(read_checkpoints(anchor)) == 1
        add = ["users", "add", "dpo", "--role", "administrator", "--name", "DPO"]
        made = runner.invoke(cli_app, [*add, "--password", "a long enough password"])
        assert made.exit_code == 0, made.output  # the first account: the bootstrap's
        ok = runner.invoke(cli_app, ["audit", "verify", "--checkpoint", str(anchor)])
        assert ok.exit_code == 0 and "matches 1 checkpoint" in ok.output
        seen = runner.invoke(cli_app, ["--as", "dpo", "audit", "person", "2"])
        assert seen.exit_code == 0, seen.output
        with engine.connect() as conn:
            actions = conn.execute(
                sa.select(audit_log.c.action, audit_log.c.actor).order_by(audit_log.c.seq)
            ).all()
        assert [a for a, _ in actions][-3:] == ["user.create", "audit.verify", "audit.view"]
        assert [w for _, w in actions][-3:] == ["bootstrap", "cli", "user:1"]
        _cut_tail_and_rewind(engine, keep=2)
        bad = runner.invoke(cli_app, ["audit", "verify", "--checkpoint", str(anchor)])
        assert bad.exit_code == 1 and "tail was cut" in bad.output
    finally:
        get_settings.cache_clear()


def test_a_configured_anchor_gets_a_checkpoint_after_each_run(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safeguard.config import get_settings

    anchor = tmp_path / "anchor.jsonl"
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("SAFEGUARD_AUDIT_ANCHOR", str(anchor))
    get_settings.cache_clear()
    try:
        _write(engine, 1)
        r = CliRunner().invoke(cli_app, ["assess", "--quiet"])
        assert r.exit_code == 0, r.output
        [cp] = read_checkpoints(anchor)
        with engine.connect() as conn:
            head = conn.execute(sa.select(audit_head.c.last_seq)).scalar()
        assert cp.seq == head
    finally:
        get_settings.cache_clear()
