"""The access policy: one function, checked against the whole role x action matrix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from safeguard.domain.access import (
    Action,
    Actor,
    BreakGlassRequired,
    Resource,
    Role,
    Verdict,
    can,
    ensure,
)
from safeguard.domain.accounts import (
    LockState,
    after_failed_login,
    check_password,
    check_role_agency,
    check_username,
    is_locked,
    secret_digest,
    session_expired,
    throttle_policy,
)
from safeguard.errors import PermissionDenied, ValidationFailed

OFF, S, A, P, B, D = (
    Role.OFFICER,
    Role.SUPERVISOR,
    Role.ANALYST,
    Role.PARTNER_AGENCY,
    Role.BOARD_VIEWER,
    Role.ADMINISTRATOR,
)

# Written out by hand, not derived from the policy table: who may do each action at all.
EXPECTED = {
    Action.SEARCH_PEOPLE: {OFF, S, A, P},
    Action.VIEW_PERSON: {OFF, S, A, P},
    Action.BREAK_GLASS: {OFF, S, A},
    Action.VIEW_EVENTS: {OFF, S, A},
    Action.SUBMIT_ASSESSMENT: {OFF, S, A},
    Action.VIEW_REFERRALS: {OFF, S, A, P},
    Action.CHANGE_REFERRAL_STATUS: {S, A, P},
    Action.SHARE_WITH_AGENCY: {S, A},
    Action.VIEW_WORKLISTS: {OFF, S, A},
    Action.REVIEW_LINKS: {S, A},
    Action.VIEW_FINDINGS: {OFF, S, A},
    Action.ACT_ON_FINDINGS: {S, A},
    Action.VIEW_DASHBOARD: {OFF, S, A, B, D},
    Action.VIEW_AUDIT: {S, D},
    Action.REVIEW_BREAK_GLASS: {S},
    Action.MANAGE_USERS: {D},
    Action.TRIAGE_CONTACTS: {S, A},
    Action.MANAGE_RETENTION: {S},
    Action.RUN_BATCH_JOBS: {S, A},
}


def actor(role: Role, agency: str | None = None) -> Actor:
    return Actor(1, f"u_{role}", role, agency if role is Role.PARTNER_AGENCY else None)


def test_every_action_is_in_the_expected_matrix() -> None:
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_granted_exactly_the_expected_actions(role: Role, action: Action) -> None:
    assert bool(can(actor(role, "csc"), action)) == (role in EXPECTED[action])


def test_a_partner_agency_sees_a_person_only_when_shared_with_their_agency() -> None:
    social_worker = actor(P, "csc")
    shared = Resource("person", shared_with=frozenset({"csc"}))
    other = Resource("person", shared_with=frozenset({"health"}))
    assert can(social_worker, Action.VIEW_PERSON, shared)
    assert can(social_worker, Action.VIEW_PERSON, other).verdict is Verdict.DENY
    assert can(social_worker, Action.VIEW_PERSON, Resource("person")).verdict is Verdict.DENY


def test_a_partner_user_without_an_agency_sees_nothing_shared() -> None:
    odd = Actor(9, "odd", P, None)
    shared = Resource("person", shared_with=frozenset({"csc"}))
    assert can(odd, Action.VIEW_PERSON, shared).verdict is Verdict.DENY


def test_a_restricted_person_needs_a_recorded_reason_before_practitioners_see_them() -> None:
    restricted = Resource("person", restricted=True)
    for role in (OFF, S, A):
        assert can(actor(role), Action.VIEW_PERSON, restricted).verdict is Verdict.NEEDS_REASON
        opened = Resource("person", restricted=True, break_glass=True)
        assert can(actor(role), Action.VIEW_PERSON, opened)


def test_a_partner_agency_cannot_break_glass_even_when_shared() -> None:
    restricted = Resource("person", restricted=True, shared_with=frozenset({"csc"}))
    assert can(actor(P, "csc"), Action.VIEW_PERSON, restricted).verdict is Verdict.DENY


def test_board_viewers_and_administrators_never_see_a_person() -> None:
    for role in (B, D):
        assert can(actor(role), Action.VIEW_PERSON, Resource("person")).verdict is Verdict.DENY
        assert can(actor(role), Action.VIEW_DASHBOARD, Resource("person")).verdict is Verdict.DENY


def test_ensure_raises_break_glass_required_or_permission_denied() -> None:
    with pytest.raises(BreakGlassRequired):
        ensure(actor(OFF), Action.VIEW_PERSON, Resource("person", restricted=True))
    with pytest.raises(PermissionDenied):
        ensure(actor(B), Action.VIEW_PERSON, Resource("person"))
    ensure(actor(OFF), Action.VIEW_PERSON, Resource("person"))


def test_usernames_passwords_and_agencies_are_checked_with_clear_messages() -> None:
    assert check_username("pc_patel") == "pc_patel"
    for bad in ("", "A", "Robert'); DROP TABLE users;--", "x" * 40):
        with pytest.raises(ValidationFailed, match="username"):
            check_username(bad)
    with pytest.raises(ValidationFailed, match="password"):
        check_password("short")
    assert check_role_agency(P, "childrens-services") == "childrens-services"
    with pytest.raises(ValidationFailed, match="agency"):
        check_role_agency(P, None)
    with pytest.raises(ValidationFailed, match="agency"):
        check_role_agency(OFF, "csc")


def test_failing_on_purpose_counts_but_never_locks_an_account() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    state = LockState(0, None)
    for _ in range(50):
        state = after_failed_login(state)
    assert state.failed == 50 and not is_locked(state, now=now)
    locked = LockState(0, now + timedelta(minutes=15))  # an administrator's lock
    assert is_locked(locked, now=now) and not is_locked(locked, now=now + timedelta(minutes=16))


def test_the_throttle_tiers_grow_from_the_free_failures() -> None:
    policy = throttle_policy(3)
    assert policy.per_account == "3/minute; 6/15 minutes; 12/hour; 24/day"
    assert policy.per_source.startswith("12/minute")


def test_a_session_ends_at_its_configured_absolute_limit() -> None:
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    idle, absolute = timedelta(minutes=30), timedelta(hours=8)
    late = t0 + timedelta(hours=8, minutes=1)
    assert session_expired(created_at=t0, last_seen_at=late, now=late, idle=idle, absolute=absolute)


def test_a_session_expires_when_idle_or_after_twelve_hours() -> None:
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    idle = timedelta(minutes=30)
    assert not session_expired(created_at=t0, last_seen_at=t0, now=t0 + idle, idle=idle)
    assert session_expired(created_at=t0, last_seen_at=t0, now=t0 + idle * 2, idle=idle)
    late = t0 + timedelta(hours=12, minutes=1)
    assert session_expired(created_at=t0, last_seen_at=late, now=late, idle=idle)


def test_only_a_digest_of_a_secret_is_kept_and_it_is_stable() -> None:
    assert secret_digest("abc") == secret_digest("abc")
    assert len(secret_digest("abc")) == 64
    assert secret_digest("abc") != "abc"
