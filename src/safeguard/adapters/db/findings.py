"""Stored findings, procedure checks and assessment runs: the tables, and reading and changing
findings (writing the engine's answer is :mod:`safeguard.adapters.db.finding_sync`).

A finding is identified by its ``finding_key`` (rule, person, anchor), so re-running the engine
updates it in place and never doubles it. ``procedure_checks`` keeps one row per procedure that
became due (done or not), for compliance rates: on time / due, per rule, area and team.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime
from safeguard.domain.access import Principal, recorded_as
from safeguard.errors import InvalidTransition, NotFound
from safeguard.rules.findings import FindingStatus

CHUNK = 500
RAW_CHUNK = 5000

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("finding_key", sa.String(200), nullable=False, unique=True),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("rule_version", sa.String(32), nullable=False),
    sa.Column("instrument_id", sa.String(64), nullable=True),
    sa.Column("instrument_version", sa.String(32), nullable=True),
    sa.Column("person_key", sa.String(32), nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True, index=True),
    sa.Column("event_id", sa.Integer, nullable=True, index=True),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=True),
    sa.Column("done_at", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("area", sa.String(64), nullable=True),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("first_found_at", UTCDateTime(), nullable=False),
    sa.Column("last_changed_at", UTCDateTime(), nullable=False),
    sa.Column("acknowledged_by", sa.String(64), nullable=True),
    sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
    sa.Column("resolved_by", sa.String(64), nullable=True),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("resolution_note", sa.Text, nullable=True),
    sa.Index("ix_findings_status_category", "status", "category"),
    # The worklists (adapters/db/work_queue.py): a person's highest open severity, the
    # overdue list, and the filter choices read by a loose scan.
    sa.Index("ix_findings_person_status_severity", "person_key", "status", "severity"),
    # Covering the overdue list's ranking (58,000 items on the default force): no table reads.
    sa.Index(
        "ix_findings_status_due",
        "status",
        "due_at",
        "person_key",
        "severity",
        "event_id",
        "first_found_at",
    ),  # fmt: skip
    sa.Index("ix_findings_status_area", "status", "area"),
    sa.Index("ix_findings_status_team", "status", "team"),
    sa.Index("ix_findings_last_changed_at", "last_changed_at"),
)

procedure_checks = sa.Table(
    "procedure_checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("check_key", sa.String(200), nullable=False, unique=True),
    sa.Column("rule_id", sa.String(64), nullable=False),
    sa.Column("rule_version", sa.String(32), nullable=False),
    sa.Column("person_key", sa.String(32), nullable=False, index=True),
    sa.Column("person_id", sa.Integer, nullable=True),
    sa.Column("event_id", sa.Integer, nullable=True),
    sa.Column("area", sa.String(64), nullable=True),
    sa.Column("team", sa.String(64), nullable=True),
    sa.Column("trigger_at", UTCDateTime(), nullable=False),
    sa.Column("due_at", UTCDateTime(), nullable=False),
    sa.Column("done_at", UTCDateTime(), nullable=True),
    sa.Column("on_time", sa.Boolean, nullable=False),
    sa.Column("evaluated_at", UTCDateTime(), nullable=False),
    sa.Index("ix_procedure_checks_rule_due", "rule_id", "due_at"),
)

finding_history = sa.Table(
    "finding_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("finding_key", sa.String(200), nullable=False, index=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("change", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
"""Every change of every finding: opened, changed, closed, reopened, kept (a correction would
have removed it), acknowledged, resolved; by whom and why. Append-only."""

HISTORY_COLUMNS = ("finding_key", "at", "change", "status", "actor", "reason")


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One entry of a finding's history."""

    at: datetime
    change: str
    status: str
    actor: str
    reason: str


def history_of(conn: Connection, finding_keys: Sequence[str]) -> dict[str, list[FindingChange]]:
    """The history of each finding (by key), oldest first."""
    out: dict[str, list[FindingChange]] = {k: [] for k in finding_keys}
    keys = list(finding_keys)
    for i in range(0, len(keys), CHUNK):
        q = (
            sa.select(finding_history)
            .where(finding_history.c.finding_key.in_(keys[i : i + CHUNK]))
            .order_by(finding_history.c.at, finding_history.c.id)
        )
        for r in conn.execute(q):
            out[r.finding_key].append(FindingChange(r.at, r.change, r.status, r.actor, r.reason))
    return out


assessment_runs = sa.Table(
    "assessment_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("people", sa.Integer, nullable=False, server_default="0"),
    sa.Column("findings_new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("findings_changed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("findings_closed", sa.Integer, nullable=False, server_default="0"),
    # running | done | failed | abandoned (its process gone without finishing)
    sa.Column("status", sa.String(16), nullable=False, server_default="done"),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
)

ACTIVE = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as stored, with its status and who acknowledged or resolved it."""

    id: int
    finding_key: str
    rule_id: str
    rule_version: str
    instrument_id: str | None
    instrument_version: str | None
    person_key: str
    person_id: int | None
    event_id: int | None
    category: str
    kind: str
    severity: str
    due_at: datetime | None
    done_at: datetime | None
    status: str
    explanation: str
    facts: dict[str, Any]
    area: str | None
    team: str | None
    first_found_at: datetime
    last_changed_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None


def _stored(row: sa.Row[Any]) -> StoredFinding:
    data = dict(row._mapping)
    data["facts"] = json.loads(data["facts"])
    data.pop("content_hash", None)
    return StoredFinding(**data)


def get_finding(conn: Connection, finding_id: int) -> StoredFinding:
    row = conn.execute(sa.select(findings).where(findings.c.id == finding_id)).first()
    if row is None:
        raise NotFound(f"finding {finding_id} does not exist")
    return _stored(row)


def query_findings(
    conn: Connection,
    *,
    person_keys: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    rule_ids: Sequence[str] | None = None,
    due_before: datetime | None = None,
    area: str | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> list[StoredFinding]:
    """Findings matching every given filter, most urgent first (due time, then id)."""
    q = sa.select(findings)
    if person_keys is not None:
        q = q.where(findings.c.person_key.in_(list(person_keys)))
    if statuses is not None:
        q = q.where(findings.c.status.in_(list(statuses)))
    if categories is not None:
        q = q.where(findings.c.category.in_(list(categories)))
    if rule_ids is not None:
        q = q.where(findings.c.rule_id.in_(list(rule_ids)))
    if due_before is not None:
        q = q.where(findings.c.due_at < due_before)
    if area is not None:
        q = q.where(findings.c.area == area)
    if team is not None:
        q = q.where(findings.c.team == team)
    q = q.order_by(findings.c.due_at.is_(None), findings.c.due_at, findings.c.id)
    if limit is not None:
        q = q.limit(limit)
    return [_stored(r) for r in conn.execute(q)]


def set_status(
    conn: Connection,
    finding_id: int,
    *,
    to: FindingStatus,
    actor: Principal,
    at: datetime,
    note: str | None = None,
) -> StoredFinding:
    """Acknowledge or resolve a finding (allowed transitions only); returns the new state."""
    who = recorded_as(actor)
    current = get_finding(conn, finding_id)
    allowed = {
        FindingStatus.ACKNOWLEDGED: {FindingStatus.OPEN.value},
        FindingStatus.RESOLVED: {FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value},
    }
    if to not in allowed:
        raise InvalidTransition(f"a finding cannot be set to {to} by hand")
    if current.status not in allowed[to]:
        raise InvalidTransition(f"finding {finding_id} is {current.status}; it cannot become {to}")
    values: dict[str, Any] = {"status": to.value, "last_changed_at": at}
    if to is FindingStatus.ACKNOWLEDGED:
        values.update(acknowledged_by=who, acknowledged_at=at)
    else:
        values.update(resolved_by=who, resolved_at=at, resolution_note=note)
    conn.execute(sa.update(findings).where(findings.c.id == finding_id).values(**values))
    conn.execute(
        sa.insert(finding_history).values(
            finding_key=current.finding_key,
            at=at,
            change=to.value,
            status=to.value,
            actor=who,
            reason=(note or "").strip() or f"{to.value} by {who}",
        )
    )
    return get_finding(conn, finding_id)


def count_active(
    conn: Connection, *, due_before: datetime | None = None, categories: Sequence[str] = ()
) -> tuple[int, int]:
    """Exact (findings, people) open or acknowledged: those due before ``due_before`` when it
    is given, else those of ``categories``."""
    t = findings.c
    q = sa.select(sa.func.count(), sa.func.count(sa.distinct(t.person_key))).where(
        t.status.in_(ACTIVE)
    )
    q = (
        q.where(t.due_at < due_before)
        if due_before is not None
        else q.where(t.category.in_(categories))
    )
    items, people = conn.execute(q).one()
    return int(items), int(people)
