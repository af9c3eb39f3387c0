"""Who may do what: roles, actions, scopes and the ONE policy function ``can``.

Every route and service asks ``can(actor, action, resource)`` (or ``ensure``); nothing else in
the code base compares roles. The policy is need to know:

* officers, supervisors and public-protection / MASH analysts work with people's records;
* a partner-agency user sees only the people and referrals shared with their own agency;
* a board viewer sees aggregates only, never a person;
* an administrator manages accounts and the audit log, never people's records;
* a restricted person (for example a protected victim) is shown to nobody, whatever the role,
  until the viewer has recorded a reason ("break glass"); partner agencies cannot break glass;
* what a viewer may see of a person is a ``Sight`` (``sight``): everything, the record kinds a
  share covers, or nothing but "restricted record, reason needed"; ``safeguard.domain.projection``
  applies it to every shape that carries a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from safeguard.errors import PermissionDenied, ValidationFailed


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"  # public protection unit / MASH analyst
    PARTNER_AGENCY = "partner_agency"
    BOARD_VIEWER = "board_viewer"
    ADMINISTRATOR = "administrator"


ROLE_LABELS: dict[Role, str] = {
    Role.OFFICER: "Police officer",
    Role.SUPERVISOR: "Supervisor (sergeant)",
    Role.ANALYST: "Public protection / MASH analyst",
    Role.PARTNER_AGENCY: "Partner agency",
    Role.BOARD_VIEWER: "Executive Board viewer",
    Role.ADMINISTRATOR: "Administrator",
}


class Action(StrEnum):
    SEARCH_PEOPLE = "search_people"
    VIEW_PERSON = "view_person"
    BREAK_GLASS = "break_glass"
    VIEW_EVENTS = "view_events"
    SUBMIT_ASSESSMENT = "submit_assessment"
    VIEW_REFERRALS = "view_referrals"
    CHANGE_REFERRAL_STATUS = "change_referral_status"
    SHARE_WITH_AGENCY = "share_with_agency"
    VIEW_WORKLISTS = "view_worklists"
    REVIEW_LINKS = "review_links"
    VIEW_FINDINGS = "view_findings"
    ACT_ON_FINDINGS = "act_on_findings"
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_AUDIT = "view_audit"
    REVIEW_BREAK_GLASS = "review_break_glass"
    MANAGE_USERS = "manage_users"
    TRIAGE_CONTACTS = "triage_contacts"  # MASH: rate, ask partners, decide
    # MoPI review, retention and disposal (the records manager's work; docs/retention.md).
    MANAGE_RETENTION = "manage_retention"
    # Start a batch run over everyone's records: an ingest, a linking run, an assessment run,
    # training or activating the risk model (an operator acting as a named account).
    RUN_BATCH_JOBS = "run_batch_jobs"


class Scope(StrEnum):
    """How much of a kind of record a role reaches."""

    NONE = "none"
    AGGREGATE = "aggregate"  # counts only, small numbers suppressed elsewhere
    SHARED = "shared"  # only what is shared with the actor's agency
    ALL = "all"


_PRACTITIONERS = (Role.OFFICER, Role.SUPERVISOR, Role.ANALYST)

# The policy table: for each action, the scope each role has. Absent = Scope.NONE.
POLICY: dict[Action, dict[Role, Scope]] = {
    Action.SEARCH_PEOPLE: {
        **dict.fromkeys(_PRACTITIONERS, Scope.ALL),
        Role.PARTNER_AGENCY: Scope.SHARED,
    },
    Action.VIEW_PERSON: {
        **dict.fromkeys(_PRACTITIONERS, Scope.ALL),
        Role.PARTNER_AGENCY: Scope.SHARED,
    },
    Action.BREAK_GLASS: dict.fromkeys(_PRACTITIONERS, Scope.ALL),
    Action.VIEW_EVENTS: dict.fromkeys(_PRACTITIONERS, Scope.ALL),
    Action.SUBMIT_ASSESSMENT: dict.fromkeys(_PRACTITIONERS, Scope.ALL),
    Action.VIEW_REFERRALS: {
        **dict.fromkeys(_PRACTITIONERS, Scope.ALL),
        Role.PARTNER_AGENCY: Scope.SHARED,
    },
    Action.CHANGE_REFERRAL_STATUS: {
        Role.SUPERVISOR: Scope.ALL,
        Role.ANALYST: Scope.ALL,
        Role.PARTNER_AGENCY: Scope.SHARED,
    },
    Action.SHARE_WITH_AGENCY: {Role.SUPERVISOR: Scope.ALL, Role.ANALYST: Scope.ALL},
    Action.VIEW_WORKLISTS: dict.fromkeys(_PRACTITIONERS, Scope.ALL),
    Action.REVIEW_LINKS: {Role.SUPERVISOR: Scope.ALL, Role.ANALYST: Scope.ALL},
    Action.VIEW_FINDINGS: dict.fromkeys(_PRACTITIONERS, Scope.ALL),
    Action.ACT_ON_FINDINGS: {Role.SUPERVISOR: Scope.ALL, Role.ANALYST: Scope.ALL},
    Action.VIEW_DASHBOARD: {
        **dict.fromkeys(_PRACTITIONERS, Scope.AGGREGATE),
        Role.BOARD_VIEWER: Scope.AGGREGATE,
        Role.ADMINISTRATOR: Scope.AGGREGATE,
    },
    Action.VIEW_AUDIT: {Role.SUPERVISOR: Scope.ALL, Role.ADMINISTRATOR: Scope.ALL},
    Action.REVIEW_BREAK_GLASS: {Role.SUPERVISOR: Scope.ALL},
    Action.MANAGE_USERS: {Role.ADMINISTRATOR: Scope.ALL},
    Action.TRIAGE_CONTACTS: {Role.SUPERVISOR: Scope.ALL, Role.ANALYST: Scope.ALL},
    Action.MANAGE_RETENTION: {Role.SUPERVISOR: Scope.ALL},
    Action.RUN_BATCH_JOBS: {Role.SUPERVISOR: Scope.ALL, Role.ANALYST: Scope.ALL},
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user (or API client) on whose behalf something is done."""

    user_id: int
    username: str
    role: Role
    agency: str | None = None

    @property
    def audit_name(self) -> str:
        return f"user:{self.user_id}"

    @property
    def audit_role(self) -> str | None:
        return str(self.role)


@dataclass(frozen=True, slots=True)
class SystemJob:
    """A scheduled or operator-started batch job (an ingest, a linking run, an assessment run)
    acting for nobody in particular: audited under its name, permitted nothing a person must be
    permitted (``ensure`` refuses it)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 64:
            raise ValidationFailed("actor: a system job needs a name of 1 to 64 characters")

    @property
    def audit_name(self) -> str:
        return self.name

    @property
    def audit_role(self) -> str | None:
        return None


# Who a use case is done for: a checked account, or a declared batch job.
Principal = Actor | SystemJob


def recorded_as(principal: Principal) -> str:
    """The name a principal is stored under (audit rows, run records, decisions, finding
    history): ``user:<id>`` for an account, the job's name for a system job. The one place the
    string is made; a service never takes it as free text.

    Examples:
        >>> recorded_as(Actor(7, "pc_patel", Role.OFFICER)), recorded_as(SystemJob("nightly"))
        ('user:7', 'nightly')
    """
    return principal.audit_name


class RecordKind(StrEnum):
    """The kinds of record a person's history holds; a share with a partner names the kinds it
    covers, and every field that carries a person says which kind it belongs to."""

    IDENTITY = "identity"  # names, aliases, date of birth, age, sex, PNC id
    CONTACT = "contact"  # address, postcode, phone
    REFERRALS = "referrals"  # referrals (for a partner agency: those made to it)
    RISK_SUMMARY = "risk_summary"  # current risk: grade and its reasons, warning flags
    ASSESSMENTS = "assessments"  # assessments in full: the answers and the rationale
    INCIDENTS = "incidents"  # events (incidents) and their summaries
    MISSING = "missing"  # missing episodes
    FINDINGS = "findings"  # findings: missed or late procedures, deadlines
    VICTIM_UPDATES = "victim_updates"  # Victims' Code contacts
    RECORDS = "records"  # the police record itself: record ids, sharing; never shared


RECORD_KIND_LABELS: dict[RecordKind, str] = {
    RecordKind.IDENTITY: "Identity (name, date of birth, sex)",
    RecordKind.CONTACT: "Address, postcode and phone",
    RecordKind.REFERRALS: "Referrals made to the agency",
    RecordKind.RISK_SUMMARY: "Risk summary (grade and why)",
    RecordKind.ASSESSMENTS: "Risk assessments in full (answers)",
    RecordKind.INCIDENTS: "Incidents",
    RecordKind.MISSING: "Missing episodes",
    RecordKind.FINDINGS: "Findings and deadlines",
    RecordKind.VICTIM_UPDATES: "Victim updates",
}
# A partner always sees who the person is and the referrals made to it; a share adds to that.
ALWAYS_SHARED = frozenset({RecordKind.IDENTITY, RecordKind.REFERRALS})
SHAREABLE = frozenset(RECORD_KIND_LABELS) - ALWAYS_SHARED


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is about; an action on no particular record passes ``None``.

    Args:
        kind: ``person``, ``referral``...
        restricted: the person is restricted (protected); needs break glass.
        shared_with: agencies the record is shared with (or, for a referral, made to).
        break_glass: the actor has recorded a reason to see this restricted person.
        person_id: the person concerned, when there is one (for the audit of a refusal).
        shared_kinds: for each agency it is shared with, the record kinds the shares cover.
    """

    kind: str
    restricted: bool = False
    shared_with: frozenset[str] = field(default_factory=frozenset)
    break_glass: bool = False
    person_id: int | None = None
    shared_kinds: Mapping[str, frozenset[RecordKind]] = field(default_factory=dict)


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    NEEDS_REASON = "needs_reason"  # allowed once a break-glass reason is recorded


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    why: str

    def __bool__(self) -> bool:
        return self.verdict is Verdict.ALLOW


def scope_of(role: Role, action: Action) -> Scope:
    """The scope a role has for an action (``Scope.NONE`` when not granted)."""
    return POLICY.get(action, {}).get(role, Scope.NONE)


def can(actor: Actor, action: Action, resource: Resource | None = None) -> Decision:
    """The one access decision: may ``actor`` do ``action`` to ``resource``?

    Args:
        actor: who asks.
        action: what they want to do.
        resource: the record concerned, or ``None`` for the action in general (e.g. to show
            a menu item or a search box).

    Returns:
        A ``Decision``: truthy only when allowed outright. ``Verdict.NEEDS_REASON`` means the
        person is restricted and the actor may break glass by recording a reason.

    Examples:
        >>> pc = Actor(1, "pc_patel", Role.OFFICER)
        >>> bool(can(pc, Action.VIEW_PERSON, Resource("person")))
        True
        >>> can(pc, Action.VIEW_PERSON, Resource("person", restricted=True)).verdict
        <Verdict.NEEDS_REASON: 'needs_reason'>
    """
    scope = scope_of(actor.role, action)
    if scope is Scope.NONE:
        return Decision(Verdict.DENY, f"the {actor.role} role may not {action}")
    if resource is None:
        return Decision(Verdict.ALLOW, "granted by role")
    if scope is Scope.AGGREGATE:
        return Decision(Verdict.DENY, f"the {actor.role} role sees aggregates only")
    if scope is Scope.SHARED and (actor.agency is None or actor.agency not in resource.shared_with):
        return Decision(Verdict.DENY, "not shared with your agency")
    if resource.restricted and not resource.break_glass:
        if scope_of(actor.role, Action.BREAK_GLASS) is Scope.ALL:
            return Decision(Verdict.NEEDS_REASON, "restricted: record a reason to continue")
        return Decision(Verdict.DENY, "restricted person")
    return Decision(Verdict.ALLOW, "granted by role")


class Refused(PermissionDenied):
    """The policy said no: carries who asked, for what and about which person, so the refusal
    itself can be audited (``why`` is the policy's reason)."""

    def __init__(
        self, why: str, *, actor: Actor, action: Action, resource: Resource | None = None
    ) -> None:
        super().__init__(why)
        self.why = why
        self.actor = actor
        self.action = action
        self.resource = resource

    @property
    def person_id(self) -> int | None:
        return None if self.resource is None else self.resource.person_id


class BreakGlassRequired(Refused):
    """The person is restricted; the actor may see them after recording a reason."""


def ensure(actor: Actor, action: Action, resource: Resource | None = None) -> None:
    """``can`` that raises: Refused, or BreakGlassRequired when a reason would do."""
    decision = can(actor, action, resource)
    if decision.verdict is Verdict.NEEDS_REASON:
        raise BreakGlassRequired(decision.why, actor=actor, action=action, resource=resource)
    if decision.verdict is Verdict.DENY:
        raise Refused(decision.why, actor=actor, action=action, resource=resource)


@dataclass(frozen=True, slots=True)
class Sight:
    """What a viewer may see of one person.

    Args:
        kinds: the record kinds shown; every other field is withheld.
        agency: a partner's agency: records addressed to another agency are withheld too.
        reason_needed: restricted, and the viewer may break glass to see more.
    """

    kinds: frozenset[RecordKind]
    agency: str | None = None
    reason_needed: bool = False

    @property
    def everything(self) -> bool:
        return self.agency is None and self.kinds >= _ALL_KINDS

    @property
    def nothing(self) -> bool:
        return not self.kinds

    def covers(self, kind: RecordKind, addressed_to: str | None = None) -> bool:
        """Whether a record of ``kind`` (addressed to an agency, e.g. a referral) is shown."""
        if kind not in self.kinds:
            return False
        return self.agency is None or addressed_to is None or addressed_to == self.agency


_ALL_KINDS = frozenset(RecordKind)
EVERYTHING = Sight(_ALL_KINDS)
NOTHING = Sight(frozenset())
REASON_NEEDED = Sight(frozenset(), reason_needed=True)


def sight(actor: Actor, resource: Resource) -> Sight:
    """What ``actor`` may see of the person ``resource`` describes (never more than ``can``
    allows for VIEW_PERSON): everything, the kinds shared with their agency, or nothing."""
    decision = can(actor, Action.VIEW_PERSON, resource)
    if decision.verdict is Verdict.NEEDS_REASON:
        return REASON_NEEDED
    if decision.verdict is Verdict.DENY:
        return NOTHING
    if scope_of(actor.role, Action.VIEW_PERSON) is Scope.SHARED:
        shared = resource.shared_kinds.get(actor.agency or "", frozenset())
        return Sight(ALWAYS_SHARED | shared, agency=actor.agency)
    return EVERYTHING
