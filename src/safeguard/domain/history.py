"""One person's linked history, as plain facts: what the rules, the profile, the board and the
risk model all read. Pure: no storage types.

**The person key.** A person is a linked ``people`` row once linking has run (key ``P<id>``),
or, for a person mention that linking has not reached yet, that mention alone (key ``M<id>``).
:class:`PersonKey` is that value; ``str(key)`` is the stored text form (findings carry it) and
:attr:`PersonKey.signed` the integer form the web and the board use (``people.id``, or minus the
mention id).

**The facts.** Identifiers are the stored row ids (events, assessments, referrals, episodes,
contacts). Each :class:`InvolvementFact` knows the other parties of its event
(:attr:`InvolvementFact.others`, each a :class:`Party` with its own person key), so a victim's
history names the suspects of each incident (:meth:`PersonHistory.pairs`); their own
histories are read beside it from the same repository.

**No look-ahead.** :meth:`PersonHistory.as_of` gives the history as it could have been known at a
moment: every record and every timestamp after it is hidden (an episode not yet found, a
referral not yet decided, an assessment not yet reviewed, an event not yet reported). Features
for the risk model are computed on ``history.as_of(prediction_time)``; a test checks that
nothing later leaks. What it cannot undo: a record corrected after the moment shows its
corrected values (earlier versions are in ``record_history``), and links are today's links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from safeguard.domain.working_time import age_on

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True, order=True)
class PersonKey:
    """Who a record is about: a linked person (``people.id``) or an unlinked mention.

    Examples:
        >>> PersonKey.of(12, 345)
        PersonKey(person_id=12, mention_id=None)
        >>> str(PersonKey.of(None, 345)), PersonKey.parse("P12").signed
        ('M345', 12)
        >>> PersonKey.from_signed(-345) == PersonKey.parse("M345")
        True
    """

    person_id: int | None = None
    mention_id: int | None = None

    def __post_init__(self) -> None:
        if (self.person_id is None) == (self.mention_id is None):
            raise ValueError("a person key is a person id or a mention id, exactly one")

    @classmethod
    def of(cls, person_id: int | None, mention_id: int) -> PersonKey:
        """The key of the person behind a mention: the linked person, else the mention."""
        return cls(person_id=person_id) if person_id is not None else cls(mention_id=mention_id)

    @classmethod
    def parse(cls, text: str) -> PersonKey:
        """``P<id>`` or ``M<id>``; ValueError otherwise."""
        kind, digits = text[:1], text[1:]
        if kind not in ("P", "M") or not digits.isdigit():
            raise ValueError(f"not a person key: {text!r} (expected P<id> or M<id>)")
        return cls(person_id=int(digits)) if kind == "P" else cls(mention_id=int(digits))

    @classmethod
    def from_signed(cls, value: int) -> PersonKey:
        """From the signed form: ``people.id`` if positive, minus a mention id if negative."""
        if value == 0:
            raise ValueError("0 is not a person")
        return cls(person_id=value) if value > 0 else cls(mention_id=-value)

    @property
    def linked(self) -> bool:
        return self.person_id is not None

    @property
    def signed(self) -> int:
        return self.person_id if self.person_id is not None else -(self.mention_id or 0)

    def __str__(self) -> str:
        return f"P{self.person_id}" if self.person_id is not None else f"M{self.mention_id}"


def signed_key(person_id: int | None, mention_id: int) -> int:
    """``PersonKey.of(person_id, mention_id).signed`` without building the object (hot path)."""
    return person_id if person_id is not None else -mention_id


def birth_of(
    dobs: list[date], ages: list[tuple[int, int, date]]
) -> tuple[date | None, tuple[int, date] | None]:
    """A person's date of birth from their mentions: the one recorded most often (the earliest
    on a tie); without any, an age hint ``(age, recorded on)`` from the lowest-numbered mention
    recording an age. ``ages`` holds ``(mention id, age, recorded on)``."""
    if dobs:
        counts: dict[date, int] = {}
        for d in dobs:
            counts[d] = counts.get(d, 0) + 1
        return min(counts, key=lambda d: (-counts[d], d)), None
    if ages:
        _, age, on = min(ages)
        return None, (age, on)
    return None, None


def age_from(dob: date | None, age_hint: tuple[int, date] | None, day: date) -> int | None:
    """Age on ``day`` from a date of birth, else estimated from an age recorded on a day."""
    if dob is not None:
        return age_on(dob, day)
    if age_hint is not None:
        age, recorded_on = age_hint
        return age + (day - recorded_on).days // 365
    return None


def person_key_text(person_id: int | None, mention_id: int) -> str:
    """``str(PersonKey.of(person_id, mention_id))`` without building the object (hot path)."""
    return f"P{person_id}" if person_id is not None else f"M{mention_id}"


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
    summary: str | None = None  # free text: read only for the profile, never for the rules
    offence_code: str | None = None  # Home Office code (domain/offences.py gives its group)
    injury_level: str | None = None  # none | minor | serious | fatal

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
class Party:
    """Another person involved in the same event: who (their own key) and in what role."""

    person_key: str
    role: str
    relationship_to_suspect: str | None = None
    involvement_id: int | None = None


@dataclass(frozen=True, slots=True)
class InvolvementFact:
    """The person's part in one event, and the other parties of that event."""

    involvement_id: int
    event: EventFact
    role: str
    relationship_to_suspect: str | None = None
    others: tuple[Party, ...] = ()


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
    agency: str | None = None
    reason: str | None = None  # free text: profile only


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

    @property
    def dates_in_order(self) -> bool:
        """Last seen no later than reported missing, and found no earlier than reported."""
        return not (
            (self.last_seen_at is not None and self.last_seen_at > self.reported_missing_at)
            or (self.found_at is not None and self.found_at < self.reported_missing_at)
        )


@dataclass(frozen=True, slots=True)
class ContactFact:
    contact_id: int
    trigger: str
    trigger_at: datetime | None
    event_id: int | None = None
    contacted_at: datetime | None = None
    summary: str | None = None  # free text: profile only


@dataclass(frozen=True, slots=True)
class RiskScoreFact:
    """The active risk model's advisory score of an incident (or episode) of the person as
    victim or child: a calibrated probability and its band (``domain/risk/bands.py``)."""

    target: str
    event_id: int
    probability: float
    band: str
    scored_at: datetime
    other_key: str | None = None
    model_version: int | None = None


@dataclass(frozen=True, slots=True)
class PersonHistory:
    """Everything known about one (linked) person, in any order; :meth:`normalised` sorts it.

    ``person_key`` is the key's text form (``P12``, ``M345``); :attr:`key` the value object.
    """

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
    risk_scores: tuple[RiskScoreFact, ...] = ()

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
        return age_from(self.date_of_birth, self.age_hint, day)

    def event(self, event_id: int | None) -> EventFact | None:
        return None if event_id is None else self.events.get(event_id)

    @property
    def key(self) -> PersonKey:
        return PersonKey.parse(self.person_key)

    def pairs(self, role: str = "victim", other_role: str = "suspect") -> list[tuple[int, str]]:
        """(event id, other party's person key) for each event where this person had ``role``
        and another party ``other_role``: victim-suspect pairs by default, oldest first."""
        found: dict[tuple[int, str], datetime] = {}
        for inv in self.involvements:
            if inv.role != role:
                continue
            for party in inv.others:
                if party.role == other_role and party.person_key != self.person_key:
                    found.setdefault((inv.event.event_id, party.person_key), inv.event.occurred_at)
        return sorted(found, key=lambda pair: (found[pair], pair))

    def as_of(self, moment: datetime) -> PersonHistory:
        """The history as it could have been known at ``moment``: nothing later shows.

        Hidden: events that occurred (or were reported) after it, and the involvements in them;
        assessments completed after it, and a review made after it; referrals made after it,
        and status changes after it; missing episodes reported after it, and their finding and
        return interview if later; victim contacts triggered after it, and an update given
        after it. The date of birth stays (it was true then).
        """
        if moment.tzinfo is None:
            raise ValueError("as_of needs a timezone-aware moment")

        def known(at: datetime | None) -> datetime | None:
            return at if at is not None and at <= moment else None

        def event_known(e: EventFact) -> bool:
            return e.occurred_at <= moment and (e.reported_at is None or e.reported_at <= moment)

        events = {k: e for k, e in self.events.items() if event_known(e)}
        assessments = tuple(
            a
            if a.reviewed_at is not None and a.reviewed_at <= moment
            else replace(a, reviewed_grade=None, reviewed_at=None)
            if a.reviewed_grade is not None or a.reviewed_at is not None
            else a
            for a in self.assessments
            if a.completed_at <= moment
        )
        referrals = tuple(
            r
            if all(s[1] <= moment for s in r.statuses)
            else replace(r, statuses=tuple(s for s in r.statuses if s[1] <= moment))
            for r in self.referrals
            if r.made_at is not None and r.made_at <= moment
        )

        def settled(*ats: datetime | None) -> bool:  # nothing to hide: keep the same object
            return all(at is None or at <= moment for at in ats)

        missing = tuple(
            m
            if settled(m.found_at, m.rhi_offered_at, m.rhi_completed_at)
            and (m.rhi_offered_at is not None or m.rhi_declined is None)
            else replace(
                m,
                found_at=known(m.found_at),
                rhi_offered_at=known(m.rhi_offered_at),
                rhi_completed_at=known(m.rhi_completed_at),
                rhi_declined=m.rhi_declined if known(m.rhi_offered_at) else None,
            )
            for m in self.missing
            if m.reported_missing_at <= moment
        )
        contacts = tuple(
            c if settled(c.contacted_at) else replace(c, contacted_at=None)
            for c in self.contacts
            if c.trigger_at is not None and c.trigger_at <= moment
        )
        return replace(
            self,
            involvements=tuple(i for i in self.involvements if event_known(i.event)),
            assessments=assessments,
            referrals=referrals,
            missing=missing,
            contacts=contacts,
            events=events,
            risk_scores=tuple(r for r in self.risk_scores if r.scored_at <= moment),
        )
