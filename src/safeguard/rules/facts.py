"""A person's history as plain facts: what the rules engine reads. Pure, no storage types.

Identifiers are the stored row ids (events, assessments, referrals, episodes, contacts); the
person is a ``person_key``: ``P<people.id>`` once linked, ``M<person_mentions.id>`` for a mention
that linking has not reached yet (it is treated as its own person).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from safeguard.domain.working_time import age_on

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class EventFact:
    """An event (incident, crime, episode) the person was involved in."""

    event_id: int
    event_type: str
    occurred_at: datetime
    reported_at: datetime | None = None
    domestic_abuse_related: bool = False
    hate_crime_strands: tuple[str, ...] = ()
    area: str | None = None
    team: str | None = None

    @property
    def domestic_abuse(self) -> bool:
        return self.event_type == "domestic_abuse" or self.domestic_abuse_related

    @property
    def hate(self) -> bool:
        return bool(self.hate_crime_strands)

    @property
    def is_crime(self) -> bool:
        return self.event_type not in ("other_incident", "missing_person")


@dataclass(frozen=True, slots=True)
class InvolvementFact:
    involvement_id: int
    event: EventFact
    role: str
    relationship_to_suspect: str | None = None


@dataclass(frozen=True, slots=True)
class AssessmentFact:
    assessment_id: int
    instrument_id: str
    instrument_version: str
    answers: Mapping[str, object]
    completed_at: datetime
    event_id: int | None = None
    officer_grade: str | None = None
    rationale: str | None = None
    reviewed_grade: str | None = None
    reviewed_at: datetime | None = None
    assessor_team: str | None = None


@dataclass(frozen=True, slots=True)
class ReferralFact:
    referral_id: int
    referral_type: str
    made_at: datetime | None
    event_id: int | None = None
    route: str | None = None
    rag: str | None = None
    statuses: tuple[tuple[str, datetime], ...] = ()


@dataclass(frozen=True, slots=True)
class MissingFact:
    episode_id: int
    event_id: int
    reported_missing_at: datetime
    last_seen_at: datetime | None = None
    found_at: datetime | None = None
    risk_grade: str | None = None
    in_care: bool | None = None
    exploitation_flag: bool | None = None
    rhi_offered_at: datetime | None = None
    rhi_completed_at: datetime | None = None
    rhi_declined: bool | None = None
    area: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class ContactFact:
    contact_id: int
    trigger: str
    trigger_at: datetime | None
    event_id: int | None = None
    contacted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonHistory:
    """Everything known about one (linked) person, in any order; :meth:`normalised` sorts it."""

    person_key: str
    person_id: int | None = None
    date_of_birth: date | None = None
    age_hint: tuple[int, date] | None = None
    involvements: tuple[InvolvementFact, ...] = ()
    assessments: tuple[AssessmentFact, ...] = ()
    referrals: tuple[ReferralFact, ...] = ()
    missing: tuple[MissingFact, ...] = ()
    contacts: tuple[ContactFact, ...] = ()
    events: Mapping[int, EventFact] = field(default_factory=dict)

    def normalised(self) -> PersonHistory:
        """The same history in a canonical order, so that arrival order cannot matter."""
        invs = tuple(
            sorted(
                set(self.involvements),
                key=lambda i: (i.event.occurred_at, i.event.event_id, i.role, i.involvement_id),
            )
        )
        events = {i.event.event_id: i.event for i in invs}
        events.update(self.events)
        return replace(
            self,
            involvements=invs,
            assessments=tuple(
                sorted(self.assessments, key=lambda a: (a.completed_at, a.assessment_id))
            ),
            referrals=tuple(
                sorted(
                    (replace(r, statuses=tuple(sorted(r.statuses))) for r in self.referrals),
                    key=lambda r: (r.made_at is None, r.made_at or _EARLIEST, r.referral_id),
                )
            ),
            missing=tuple(
                sorted(self.missing, key=lambda m: (m.reported_missing_at, m.episode_id))
            ),
            contacts=tuple(
                sorted(
                    self.contacts,
                    key=lambda c: (
                        c.trigger_at is None,
                        c.trigger_at or _EARLIEST,
                        c.contact_id,
                    ),
                )
            ),
            events=dict(sorted(events.items())),
        )

    def age_at(self, day: date) -> int | None:
        """Age on ``day`` from the date of birth, else estimated from a recorded age."""
        if self.date_of_birth is not None:
            return age_on(self.date_of_birth, day)
        if self.age_hint is not None:
            age, recorded_on = self.age_hint
            return age + (day - recorded_on).days // 365
        return None

    def event(self, event_id: int | None) -> EventFact | None:
        return None if event_id is None else self.events.get(event_id)
