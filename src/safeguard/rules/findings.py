"""What the rules engine yields: findings (to act on) and procedure checks (for compliance)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

Severity = Literal["high", "medium", "low"]


class FindingStatus(StrEnum):
    """Life of a stored finding.

    ``closed_by_rule``: the engine no longer raises it, e.g. the procedure was later done.
    """

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED_BY_RULE = "closed_by_rule"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule firing for one person (and usually one event), with its reasons and deadline.

    ``satisfied`` is true for a procedure that was done, but late: the finding stays on record
    (the lateness is an assurance fact) and is stored as ``closed_by_rule``.
    """

    key: str
    rule_id: str
    rule_version: str
    person_key: str
    category: str
    kind: Literal["flag", "procedure", "data_quality"]
    severity: Severity
    explanation: str
    event_id: int | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None
    satisfied: bool = False
    instrument_id: str | None = None
    instrument_version: str | None = None
    area: str | None = None
    team: str | None = None
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProcedureCheck:
    """A procedure that became due: when, by when, and when (if ever) it was done."""

    key: str
    rule_id: str
    rule_version: str
    person_key: str
    trigger_at: datetime
    due_at: datetime
    done_at: datetime | None = None
    event_id: int | None = None
    area: str | None = None
    team: str | None = None

    @property
    def on_time(self) -> bool:
        return self.done_at is not None and self.done_at <= self.due_at


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The engine's whole answer for one person, in a canonical order."""

    person_key: str
    findings: tuple[Finding, ...]
    checks: tuple[ProcedureCheck, ...]
