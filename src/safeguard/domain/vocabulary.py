"""Controlled vocabularies shared by the interchange schema, storage and rules.

The JSON Schema files under ``safeguard/schemas/v1`` carry the same values; a test keeps the two
identical.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    DOMESTIC_ABUSE = "domestic_abuse"
    MISSING_PERSON = "missing_person"
    CHILD_SEXUAL_EXPLOITATION = "child_sexual_exploitation"
    CHILD_CRIMINAL_EXPLOITATION = "child_criminal_exploitation"
    MODERN_SLAVERY = "modern_slavery"
    SEXUAL_OFFENCE = "sexual_offence"
    OTHER_CRIME = "other_crime"
    OTHER_INCIDENT = "other_incident"


class InvolvementRole(StrEnum):
    VICTIM = "victim"
    SUSPECT = "suspect"
    WITNESS = "witness"
    MISSING_PERSON = "missing_person"
    CHILD_PRESENT = "child_present"
    REPORTER = "reporter"
    OTHER = "other"


class ReferralType(StrEnum):
    MARAC = "marac"
    MASH = "mash"
    IDVA = "idva"
    SARC = "sarc"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care"
    OPERATION_ENCOMPASS = "operation_encompass"
    ADULT_SOCIAL_CARE = "adult_social_care"
    VICTIM_SUPPORT = "victim_support"
    MULTI_AGENCY_REVIEW = "multi_agency_review"
    CSE_SCREENING = "cse_screening"
    OTHER = "other"


class MaracRoute(StrEnum):
    VISIBLE_HIGH_RISK = "visible_high_risk"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    POTENTIAL_ESCALATION = "potential_escalation"
    REPEAT = "repeat"


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"


class ReferralStatus(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    IN_PROGRESS = "in_progress"
    DECISION_MADE = "decision_made"
    # A MASH decision for a strategy discussion (possible section 47 enquiries), and the
    # discussion held: the MASH-STRATEGY-DISCUSSION clock runs between them.
    STRATEGY_DISCUSSION_NEEDED = "strategy_discussion_needed"
    STRATEGY_DISCUSSION_HELD = "strategy_discussion_held"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class MissingRiskGrade(StrEnum):
    NO_APPARENT_RISK = "no_apparent_risk"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class VictimContactTrigger(StrEnum):
    ARREST = "arrest"
    INTERVIEW_UNDER_CAUTION = "interview_under_caution"
    RELEASED_WITHOUT_CHARGE = "released_without_charge"
    RELEASED_ON_BAIL = "released_on_bail"
    RELEASED_UNDER_INVESTIGATION = "released_under_investigation"
    BAIL_CONDITIONS_CHANGED = "bail_conditions_changed"
    DECISION_NOT_TO_INVESTIGATE = "decision_not_to_investigate"
    CHARGE = "charge"
    NEEDS_ASSESSMENT = "needs_assessment"
    SUPPORT_REFERRAL = "support_referral"
    GENERAL_UPDATE = "general_update"


class Satisfaction(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    FAIRLY_SATISFIED = "fairly_satisfied"
    NEITHER = "neither"
    FAIRLY_DISSATISFIED = "fairly_dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"
