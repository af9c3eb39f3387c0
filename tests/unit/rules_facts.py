"""Plain-function factories of rules-engine facts, with overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from safeguard.domain.history import (
    AssessmentFact,
    ContactFact,
    EventFact,
    InvolvementFact,
    MissingFact,
    PersonHistory,
    ReferralFact,
)
from safeguard.instruments import default_catalogue
from safeguard.rules import Evaluation, Finding, RulesConfig, evaluate, parse_rules_config

T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)  # a Friday
DEFAULT = parse_rules_config()


def at(days: float = 0, hours: float = 0, start: datetime = T0) -> datetime:
    return start + timedelta(days=days, hours=hours)


def event(
    event_id: int, occurred_at: datetime, event_type: str = "domestic_abuse", **kw: Any
) -> EventFact:
    kw.setdefault("area", "North")
    kw.setdefault("team", "PPU-1")
    return EventFact(event_id, event_type, occurred_at, **kw)


def involved(e: EventFact, role: str = "victim", inv_id: int | None = None) -> InvolvementFact:
    return InvolvementFact(inv_id if inv_id is not None else 1000 + e.event_id, e, role)


def dash(
    assessment_id: int, completed_at: datetime, yes: int, event_id: int | None = None, **kw: Any
) -> AssessmentFact:
    answers = {f"q{i}": "yes" if i <= yes else "no" for i in range(1, 28)}
    answers.update(kw.pop("answers", {}))
    return AssessmentFact(
        assessment_id, "dash-police", "2009", answers, completed_at, event_id, **kw
    )


def referral(referral_id: int, referral_type: str, made_at: datetime, **kw: Any) -> ReferralFact:
    return ReferralFact(referral_id, referral_type, made_at, **kw)


def episode(episode_id: int, reported: datetime, **kw: Any) -> MissingFact:
    kw.setdefault("event_id", 500 + episode_id)
    return MissingFact(episode_id=episode_id, reported_missing_at=reported, **kw)


def contact(contact_id: int, trigger: str, trigger_at: datetime, **kw: Any) -> ContactFact:
    return ContactFact(contact_id, trigger, trigger_at, **kw)


def person(dob: date | None = date(1990, 5, 1), **kw: Any) -> PersonHistory:
    kw.setdefault("person_key", "P1")
    kw.setdefault("person_id", 1)
    return PersonHistory(date_of_birth=dob, **kw)


def run(history: PersonHistory, config: RulesConfig = DEFAULT) -> Evaluation:
    return evaluate(history, config, default_catalogue())


def fired(history: PersonHistory, rule_id: str, config: RulesConfig = DEFAULT) -> list[Finding]:
    return [f for f in run(history, config).findings if f.rule_id == rule_id]
