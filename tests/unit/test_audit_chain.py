"""The audit chain: any altered, removed or cut-off entry is found."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from safeguard.domain.audit import (
    GENESIS_HASH,
    AuditCategory,
    AuditCheckpoint,
    AuditEntry,
    StoredAuditEntry,
    check_checkpoint,
    entry_hash,
    verify_chain,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _chain(n: int) -> list[StoredAuditEntry]:
    out, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        entry = AuditEntry(
            "pc_patel",
            "person.view",
            AuditCategory.CONSULTATION,
            "person",
            [str(seq)],
            [seq],
            justification="safeguarding enquiry",
        )
        at = T0 + timedelta(seconds=seq)
        digest = entry_hash(prev, seq, at, entry)
        out.append(StoredAuditEntry(seq, at, entry, prev, digest))
        prev = digest
    return out


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(_chain(5), 5) == []


def test_an_altered_entry_is_found() -> None:
    chain = _chain(5)
    forged = dataclasses.replace(chain[2].entry, actor="someone_else")
    chain[2] = dataclasses.replace(chain[2], entry=forged)
    assert [p.seq for p in verify_chain(chain, 5)] == [3]


def test_a_deleted_entry_is_found() -> None:
    chain = _chain(5)
    del chain[1]
    problems = verify_chain(chain, 5)
    assert any("missing" in p.problem for p in problems)


def test_a_cut_off_tail_is_found() -> None:
    assert verify_chain(_chain(5)[:3], 5)[0].problem == "entries 4..5 are missing"


def test_consultation_without_a_justification_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a justification"):
        AuditEntry("pc_patel", "person.view", AuditCategory.CONSULTATION, "person", ["1"], [1])


def test_a_disclosure_must_name_its_recipient() -> None:
    with pytest.raises(ValueError, match="recipient"):
        AuditEntry(
            "analyst",
            "person.share",
            AuditCategory.DISCLOSURE,
            "person",
            ["1"],
            [1],
            justification="MARAC",
        )


def test_a_newest_entry_whose_hash_is_not_the_heads_is_found() -> None:
    chain = _chain(3)
    assert verify_chain(chain, 3, chain[-1].hash) == []
    [problem] = verify_chain(chain, 3, "e" * 64)
    assert problem.seq == 3 and "rewritten" in problem.problem


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("[1]", "not a JSON object"),
        ("{", "not JSON"),
        ('{"seq": -1}', "seq"),
        ('{"seq": 1, "hash": "ab"}', "hash"),
        ('{"seq": 1, "hash": "' + "a" * 64 + '", "at": "soon"}', "at"),
        ('{"seq": 1, "hash": "' + "a" * 64 + '", "at": "2026-01-01T00:00:00"}', "time zone"),
    ],
)
def test_a_bad_checkpoint_line_names_its_field(line: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AuditCheckpoint.from_json(line)


def test_a_checkpoint_round_trips_and_pins_the_chain() -> None:
    chain = _chain(4)
    cp = AuditCheckpoint(4, chain[3].hash, T0)
    assert AuditCheckpoint.from_json(cp.to_json()) == cp
    assert check_checkpoint(cp, chain[3].hash, 4) == []
    assert "rewritten" in check_checkpoint(cp, "0" * 64, 4)[0].problem
    assert "ends at entry 2" in check_checkpoint(cp, None, 2)[0].problem
    assert check_checkpoint(AuditCheckpoint(0, GENESIS_HASH, T0), None, 0) == []
