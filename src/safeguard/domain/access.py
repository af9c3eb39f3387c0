"""Who may do what: roles, actions, scopes and the ONE policy function ``can``.

Every route and service asks ``can(actor, action, resource)`` (or ``ensure``); nothing else in
the code base compares roles. The policy is need to know:

* officers, supervisors and public-protection / MASH analysts work with people's records;
* a partner-agency user sees only the people and referrals shared with their own agency;
* a board viewer sees aggregates only, never a person;
* an administrator manages accounts and the audit log, never people's records;
* a restricted person (for example a protected victim) is shown to nobody, whatever the role,
  until the viewer has recorded a reason ("break glass"); partner agencies cannot break glass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from safeguard.errors import PermissionDenied


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
    MANAGE_USERS = "manage_users"


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
    Action.MANAGE_USERS: {Role.ADMINISTRATOR: Scope.ALL},
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


@dataclass(frozen=True, slots=True)
class Resource:
    """What an action is about; an action on no particular record passes ``None``.

    Args:
        kind: ``person``, ``referral``...
        restricted: the person is restricted (protected); needs break glass.
        shared_with: agencies the record is shared with.
        break_glass: the actor has recorded a reason to see this restricted person.
    """

    kind: str
    restricted: bool = False
    shared_with: frozenset[str] = field(default_factory=frozenset)
    break_glass: bool = False


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


class BreakGlassRequired(PermissionDenied):
    """The person is restricted; the actor may see them after recording a reason."""


def ensure(actor: Actor, action: Action, resource: Resource | None = None) -> None:
    """``can`` that raises: PermissionDenied, or BreakGlassRequired when a reason would do."""
    decision = can(actor, action, resource)
    if decision.verdict is Verdict.NEEDS_REASON:
        raise BreakGlassRequired(decision.why)
    if decision.verdict is Verdict.DENY:
        raise PermissionDenied(decision.why)


class Purpose(StrEnum):
    """Why a person's record is consulted: the s.62(2) justification, chosen from a list."""

    INCIDENT = "Responding to an incident"
    SAFEGUARDING = "Safeguarding assessment"
    REFERRAL = "Handling a referral"
    MARAC = "MARAC or multi-agency meeting preparation"
    MISSING = "Missing person enquiry"
    INVESTIGATION = "Criminal investigation"
    SUPERVISION = "Supervision or quality assurance"
