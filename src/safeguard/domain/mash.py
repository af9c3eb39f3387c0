"""MASH triage: a contact's source, its RAG rating, information requests to partner agencies,
the decision with its rationale, and the strategy discussion that a section 47 route needs.

Pure: the clocks are the force's (:class:`safeguard.domain.clocks.Clocks`, read from the rules
settings), never numbers written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ContactSource(StrEnum):
    """Where a contact came from."""

    INCIDENT = "incident"  # a police incident
    PARTNER = "partner"  # a partner agency (school, health, social care...)
    PUBLIC = "public"  # a member of the public


class Rag(StrEnum):
    """The MASH rating (red 4, amber 24, green 72 working hours by default; blue: not shared)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Decision(StrEnum):
    """What the MASH decides about a contact."""

    NO_FURTHER_ACTION = "no_further_action"
    EARLY_HELP = "early_help"
    SECTION_17 = "section_17"  # child in need (Children Act 1989 s.17)
    STRATEGY_DISCUSSION = "strategy_discussion"  # reasonable cause: possible s.47 enquiries


DECISION_LABELS: dict[Decision, str] = {
    Decision.NO_FURTHER_ACTION: "No further action",
    Decision.EARLY_HELP: "Early help",
    Decision.SECTION_17: "Section 17: child in need assessment",
    Decision.STRATEGY_DISCUSSION: "Strategy discussion (possible section 47 enquiries)",
}


class StrategyOutcome(StrEnum):
    SECTION_47 = "section_47"  # section 47 enquiries to start
    SECTION_17 = "section_17"  # no s.47; a child in need assessment instead
    NO_FURTHER_ACTION = "no_further_action"


STRATEGY_LABELS: dict[StrategyOutcome, str] = {
    StrategyOutcome.SECTION_47: "Section 47 enquiries",
    StrategyOutcome.SECTION_17: "Section 17 assessment instead",
    StrategyOutcome.NO_FURTHER_ACTION: "No further action",
}


@dataclass(frozen=True, slots=True)
class Clock:
    """A deadline as a practitioner reads it."""

    due_at: datetime | None
    done_at: datetime | None
    now: datetime

    @property
    def state(self) -> str:
        """``done`` / ``done late`` / ``overdue`` / ``running`` / ``no clock``."""
        if self.due_at is None:
            return "no clock"
        if self.done_at is not None:
            return "done" if self.done_at <= self.due_at else "done late"
        return "overdue" if self.now > self.due_at else "running"

    @property
    def hours_left(self) -> float | None:
        """Hours (elapsed) until due; negative when late; None when done or no clock."""
        if self.due_at is None or self.done_at is not None:
            return None
        return round((self.due_at - self.now).total_seconds() / 3600, 1)
