"""The audit chain under concurrency: consultations group-committed by ``AuditAppender`` from many
threads at once, interleaved with changes audited in their own transactions, give one intact
chain holding every entry exactly once, each committed before its caller goes on."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import (
    AuditAppender,
    append_audit,
    audit_log,
    audit_person_index,
    record_consultation,
    verify_audit,
)
from safeguard.adapters.db.engine import make_engine
from safeguard.domain.access import Role
from safeguard.domain.audit import AuditCategory, AuditEntry
from tests.conftest import count
from tests.e2e.conftest import TestClient, token_for
from tests.web_fixtures import World


def _view(n: int) -> AuditEntry:
    return AuditEntry(
        actor=f"user{n % 7}",
        action="person.view",
        category=AuditCategory.CONSULTATION,
        record_type="person",
        record_ids=[str(n)],
        person_ids=[n],
        justification="Concurrency test",
    )


def _change(n: int) -> AuditEntry:
    return AuditEntry(
        actor="writer",
        action="referral.status",
        category=AuditCategory.ALTERATION,
        record_type="referral",
        record_ids=[str(n)],
        person_ids=[100_000 + n],
    )


def test_many_threads_at_once_give_one_intact_chain_with_every_entry(
    engine: Engine, db_url: str
) -> None:
    readers, writers = 400, 40
    appenders = [AuditAppender(make_engine(db_url)) for _ in range(2)]  # two server processes
    committed: dict[int, int] = {}
    lock = threading.Lock()

    def read(n: int) -> None:
        seq = appenders[n % 2].append(_view(n))
        # Committed before append returns: visible to any other connection right now.
        with engine.connect() as conn:
            row = conn.execute(sa.select(audit_log.c.record_ids).where(audit_log.c.seq == seq))
            assert json.loads(row.scalar_one()) == [str(n)]
        with lock:
            committed[n] = seq

    def write(n: int) -> None:
        with engine.begin() as conn:
            append_audit(conn, _change(n))

    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            jobs = [pool.submit(read, n) for n in range(readers)]
            jobs += [pool.submit(write, n) for n in range(writers)]
            for job in jobs:
                job.result()
    finally:
        for a in appenders:
            a.close()
            a.engine.dispose()

    assert len(committed) == readers and len(set(committed.values())) == readers
    with engine.connect() as conn:
        assert verify_audit(conn) == []
        seqs = conn.execute(sa.select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars().all()
        viewed = {
            int(json.loads(r)[0])
            for r in conn.execute(
                sa.select(audit_log.c.record_ids).where(audit_log.c.action == "person.view")
            ).scalars()
        }
    assert seqs == list(range(1, readers + writers + 1))
    assert viewed == set(range(readers))
    assert count(engine, audit_person_index) == readers + writers
    # Batching happened: fewer transactions than entries.
    assert sum(a.entries for a in appenders) == readers
    assert sum(a.batches for a in appenders) <= readers


def test_a_consultation_inside_a_transaction_that_wrote_stays_in_that_transaction(
    engine: Engine, db_url: str
) -> None:
    appender = AuditAppender(make_engine(db_url), timeout=10)
    try:
        with engine.begin() as conn:
            append_audit(conn, _change(1))  # holds the head until this transaction ends
            record_consultation(conn, _view(2), appender)  # must not wait for another connection
            conn.rollback()
        assert count(engine, audit_log) == 0  # both went with the rolled-back transaction
        with engine.begin() as conn:
            seq = record_consultation(conn, _view(3), appender)  # a pure read: group commit
            conn.rollback()
        assert seq == 1 and count(engine, audit_log) == 1  # committed by the appender already
        assert appender.entries == 1
    finally:
        appender.close()
        appender.engine.dispose()


def test_a_closed_appender_refuses_entries(db_url: str) -> None:
    appender = AuditAppender(make_engine(db_url))
    appender.append(_view(1))
    appender.close()
    with pytest.raises(RuntimeError):
        appender.append(_view(2))
    appender.engine.dispose()


def test_concurrent_api_reads_are_each_audited_before_their_answer(
    client: TestClient, engine: Engine, world: World
) -> None:
    headers = token_for(engine, Role.ANALYST)

    def view(n: int) -> int:
        r = client.get(
            f"/api/people/{world.victim}",
            params={"purpose": "investigation", "reference": f"Case {n}"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        with engine.connect() as conn:  # the entry is already committed when the answer comes
            found = conn.execute(
                sa.select(sa.func.count())
                .select_from(audit_log)
                .where(audit_log.c.justification == f"Criminal investigation (ref Case {n})")
            ).scalar_one()
        return int(found)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(view, range(40))) == [1] * 40
    with engine.connect() as conn:
        assert verify_audit(conn) == []
    assert count(engine, audit_log) == 40
