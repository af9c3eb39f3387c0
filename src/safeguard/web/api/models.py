"""Response and request bodies of the JSON API (they make the OpenAPI description)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from safeguard.domain.vocabulary import ReferralStatus

Reason = Annotated[str, StringConstraints(min_length=3, max_length=300, pattern=r"\S")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[dict[str, str]]


class ErrorOut(BaseModel):
    error: ErrorDetail


class MeOut(BaseModel):
    user_id: int
    username: str
    role: str
    agency: str | None
    allowed_actions: list[str]


class PersonHitOut(BaseModel):
    person_id: int
    name: str
    date_of_birth: date | None
    sex: str | None
    records: int
    restricted: bool


class TimelineItemOut(BaseModel):
    at: datetime
    kind: str
    title: str
    detail: str
    record_id: int
    domain: str
    addressed_to: str | None = None


class FlagOut(BaseModel):
    code: str
    label: str


class RiskOut(BaseModel):
    instrument_id: str
    instrument_version: str
    title: str
    completed_at: datetime
    grade: str | None
    recorded_grade: str | None
    score: int | None
    reasons: list[str]
    yes_questions: list[str]
    marac_route: str | None
    assessment_id: int


class ProfileOut(BaseModel):
    person_id: int
    restricted: bool
    names: list[str]
    dates_of_birth: list[date]
    sexes: list[str]
    postcodes: list[str]
    mention_ids: list[int]
    timeline: list[TimelineItemOut]
    flags: list[FlagOut]
    risk: list[RiskOut]
    referrals: list[dict[str, object]]
    findings: list[dict[str, object]]
    shared_with: list[str]


PurposeCode = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Reference = Annotated[str, StringConstraints(max_length=40)]


class BreakGlassIn(Strict):
    """Why you must see a restricted person: a purpose (GET /api/purposes) and its reference."""

    purpose: PurposeCode
    reference: Reference | None = None


class ShareIn(Strict):
    """A share: the agency (registry code or name), why, what it covers and until when."""

    agency: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    purpose: PurposeCode
    reference: Reference | None = None
    record_kinds: list[Annotated[str, StringConstraints(max_length=40)]] = Field(max_length=20)
    expires_on: date


class RevokeIn(Strict):
    reason: Reason


class ShareOut(BaseModel):
    id: int
    person_id: int
    agency: str
    agency_name: str
    purpose: str
    reference: str | None
    record_kinds: list[str]
    shared_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool


class PurposeOut(BaseModel):
    code: str
    label: str
    reference: str | None
    uses: list[str]


class AgencyOut(BaseModel):
    code: str
    display_name: str
    sector: str


class BreakGlassUseOut(BaseModel):
    id: int
    user_id: int
    username: str
    person_id: int
    purpose: str
    reference: str | None
    reason: str
    granted_at: datetime
    expires_at: datetime
    review_status: str | None
    reviewed_by: int | None
    reviewed_at: datetime | None
    review_note: str | None


class ReviewIn(Strict):
    verdict: Literal["accepted", "questioned"]
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    category: str
    justification: str | None
    recipient: str | None
    why_refused: str | None = None


class AnswersIn(Strict):
    instrument_id: Annotated[str, StringConstraints(max_length=64)]
    instrument_version: Annotated[str, StringConstraints(max_length=32)]
    answers: dict[
        Annotated[str, StringConstraints(max_length=64)],
        Annotated[str, StringConstraints(max_length=32)],
    ] = Field(max_length=100)
    officer_grade: Annotated[str, StringConstraints(max_length=32)] | None = None
    rationale: Annotated[str, StringConstraints(max_length=4000)] | None = None
    event_id: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = None  # the incident


class ScoreOut(BaseModel):
    instrument_id: str
    instrument_version: str
    state: str
    score: int | None
    yes_count: int
    actuarial_grade: str | None
    grade: str | None
    raised_by_judgement: bool
    reasons: list[str]
    missing: list[str]
    marac_route: str | None


class SubmittedOut(BaseModel):
    assessment_id: int
    result: ScoreOut
    new_duties: int = 0  # findings the immediate re-assessment raised or changed


class InstrumentOut(BaseModel):
    id: str
    version: str
    title: str
    method: str
    grades: list[str]
    questions: list[dict[str, str]]


class ReferralOut(BaseModel):
    id: int
    referral_type: str
    agency: str | None
    made_at: datetime
    route: str | None
    rag: str | None
    status: str | None
    person_id: int
    allowed_next: list[str]
    agency_code: str | None = None


class StatusIn(Strict):
    status: ReferralStatus
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None


class WorklistCountOut(BaseModel):
    code: str
    title: str
    what_to_do: str
    count: int


class WorkItemOut(BaseModel):
    person_id: int
    name: str
    at: datetime
    detail: str
    record_id: int
    restricted: bool


class WorklistOut(BaseModel):
    code: str
    title: str
    what_to_do: str
    items: list[WorkItemOut]


class MentionOut(BaseModel):
    mention_id: int
    person_id: int | None
    source_system: str
    name: str
    date_of_birth: date | None
    sex: str | None
    postcode: str | None
    pnc_id: str | None
    restricted: bool


class PairReviewOut(BaseModel):
    review_id: int
    status: str
    reason: str
    match_probability: float
    left: MentionOut
    right: MentionOut
    left_others: list[MentionOut]
    right_others: list[MentionOut]


class LinkDecisionIn(Strict):
    reason: Reason


class LinkDecisionOut(BaseModel):
    review_id: int
    decision_id: int
    decision: str


class FigureOut(BaseModel):
    label: str
    value: int | None
    shown: str


class EventOut(BaseModel):
    id: int
    event_type: str
    occurred_at: datetime
    reported_at: datetime | None
    injury_level: str | None
    domestic_abuse_related: bool | None
    summary: str | None
    people: list[dict[str, object]]


class FindingActIn(Strict):
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class FindingChangeOut(BaseModel):
    at: datetime
    change: str
    status: str
    actor: str
    reason: str


class FindingOut(BaseModel):
    id: int
    rule_id: str
    category: str
    kind: str
    severity: str
    status: str
    due_at: datetime | None
    explanation: str
    person_id: int | None
    person_key: str
    first_found_at: datetime
    history: list[FindingChangeOut] = []


class FieldWhyOut(BaseModel):
    field: str
    level: str
    match_weight: float
    m_probability: float | None
    u_probability: float | None


class GuardWhyOut(BaseModel):
    guard: str
    description: str


class PairWhyOut(BaseModel):
    """Why two records are one person or two: Splink's waterfall and the guards that apply."""

    left: MentionOut
    right: MentionOut
    same_person: bool
    decision: str | None
    model_version: str | None
    prior_weight: float | None
    match_weight: float | None
    match_probability: float | None
    fields: list[FieldWhyOut]
    guards: list[GuardWhyOut]
    unlinkable: list[str]
    withheld: bool


class RetentionItemOut(BaseModel):
    person_id: int
    group: str
    review_on: date
    earliest_disposal: date
    reason: str
    restricted: bool
    legal_hold: bool


class RetentionDecisionIn(Strict):
    decision: Literal["retain", "dispose"]
    rationale: Annotated[str, StringConstraints(min_length=10, max_length=2000)]
    next_review: date | None = None


class RetentionDecisionOut(BaseModel):
    review_id: int
    person_id: int
    decision: str


class RetentionHoldIn(Strict):
    reason: Annotated[str, StringConstraints(min_length=10, max_length=2000)]
    lift: bool = False
