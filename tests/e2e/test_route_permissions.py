"""Need to know, route by route: every route of the app (read from the app itself, web and API),
walked by every role, for a person in each access state (ordinary, restricted, shared,
unshared), on SQLite and PostgreSQL.

For each (route, state) the set of roles let through (an answer that is neither 401, 403 nor
429) must be exactly the one written here by hand, not derived from the policy table; a route
the app serves that is not in ``EXPECTED`` fails ``test_every_route_of_the_app_is_in_the_matrix``.
And no response body, whatever its status, may hold an identifying value (name, alias, date of
birth, postcode, phone, address, PNC id, incident text, assessment rationale) of a person the
viewer may not see: a restricted person before break glass, anyone for a board viewer or an
administrator, and for a partner agency anyone not shared or referred to it and, of the shared
child, every kind of record the share does not cover.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from safeguard.domain.access import ALWAYS_SHARED, RecordKind, Role
from tests.access_world import STATES, AccessWorld, Someone, build_access_world
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import PASSWORD, PERSONAS

OFF, SUP, ANA, PAR, BRD, ADM = (
    Role.OFFICER,
    Role.SUPERVISOR,
    Role.ANALYST,
    Role.PARTNER_AGENCY,
    Role.BOARD_VIEWER,
    Role.ADMINISTRATOR,
)
ALL = frozenset(Role)
P = frozenset({OFF, SUP, ANA})  # practitioners
S = frozenset({SUP, ANA})  # supervisors and analysts
NOBODY: frozenset[Role] = frozenset()


def each(roles: frozenset[Role]) -> dict[str, frozenset[Role]]:
    """The same roles whatever the person's state."""
    return dict.fromkeys(STATES, roles)


def by_state(
    ordinary: frozenset[Role],
    restricted: frozenset[Role],
    shared: frozenset[Role],
    unshared: frozenset[Role],
) -> dict[str, frozenset[Role]]:
    return {"ordinary": ordinary, "restricted": restricted, "shared": shared, "unshared": unshared}


# A person's own record: practitioners; a restricted one nobody before break glass; a partner
# only the child shared (or referred) to it.
VIEW = by_state(P, NOBODY, P | {PAR}, P)
WRITE = by_state(S, NOBODY, S, S)  # acting on a person: supervisors and analysts; restricted: none
ASSESS = by_state(P, NOBODY, P, P)

# (method, path as the app declares it) -> state -> roles let through. None: not about a person.
EXPECTED: dict[tuple[str, str], dict[str, frozenset[Role]]] = {
    ("GET", "/api/health"): each(ALL),
    # Operations: no sign-in, nothing about anyone; /metrics is 404 unless a scrape token is
    # configured (tests/e2e/test_operations.py), and then answers only that bearer token.
    ("GET", "/healthz"): each(ALL),
    ("GET", "/readyz"): each(ALL),
    ("GET", "/metrics"): each(ALL),
    ("GET", "/api/me"): each(ALL),
    ("GET", "/api/purposes"): each(ALL),
    ("GET", "/api/agencies"): each(S),
    ("GET", "/api/people"): each(P | {PAR}),
    ("GET", "/api/people/{person_id}"): VIEW,
    ("GET", "/api/people/{person_id}/shares"): each(S),
    ("POST", "/api/people/{person_id}/shares"): WRITE,
    ("POST", "/api/shares/{share_id}/revoke"): WRITE,
    ("GET", "/api/people/{person_id}/audit"): each(frozenset({SUP, ADM})),
    ("GET", "/api/events/{event_id}"): ASSESS,
    ("GET", "/api/instruments"): each(P),
    ("POST", "/api/assessments/score"): each(P),
    ("POST", "/api/people/{person_id}/assessments"): ASSESS,
    ("GET", "/api/referrals"): each(P | {PAR}),
    # A referral names nobody: shown to whoever may see referrals to that agency.
    ("GET", "/api/referrals/{referral_id}"): by_state(P, P | {PAR}, P | {PAR}, P),
    ("POST", "/api/referrals/{referral_id}/status"): by_state(S, NOBODY, S | {PAR}, S),
    ("GET", "/api/worklists"): each(P),
    ("GET", "/api/worklists/{code}"): each(P),
    ("POST", "/api/findings/{finding_id}/acknowledge"): WRITE,
    ("POST", "/api/findings/{finding_id}/resolve"): WRITE,
    ("GET", "/api/links"): each(S),
    ("GET", "/api/links/{review_id}"): each(S),  # a restricted record is shown withheld
    ("GET", "/api/links/pairs/{left}/{right}/why"): each(S),  # restricted: withheld
    ("POST", "/api/links/{review_id}/confirm"): WRITE,
    ("POST", "/api/links/{review_id}/split"): WRITE,
    ("GET", "/api/dashboard"): each(P | {BRD, ADM}),
    ("GET", "/api/break-glass"): each(frozenset({SUP})),
    ("POST", "/api/break-glass/{grant_id}/review"): each(frozenset({SUP})),
    ("POST", "/api/people/{person_id}/break-glass"): each(P),
    # MoPI review: the records manager's work (supervisors); restricted: break glass first.
    ("GET", "/api/retention"): each(frozenset({SUP})),
    ("POST", "/api/retention/{person_id}/review"): by_state(
        frozenset({SUP}), NOBODY, frozenset({SUP}), frozenset({SUP})
    ),
    ("POST", "/api/retention/{person_id}/hold"): by_state(
        frozenset({SUP}), NOBODY, frozenset({SUP}), frozenset({SUP})
    ),
    ("GET", "/retention"): each(frozenset({SUP})),
    ("GET", "/login"): each(ALL),
    ("POST", "/login"): each(ALL),
    ("POST", "/logout"): each(ALL),
    ("GET", "/"): each(ALL),
    ("GET", "/search"): each(P | {PAR}),
    ("GET", "/people/{person_id}"): VIEW,
    ("POST", "/people/{person_id}/shares"): WRITE,
    ("POST", "/shares/{share_id}/revoke"): WRITE,
    ("GET", "/people/{person_id}/audit"): each(frozenset({SUP, ADM})),
    ("POST", "/findings/{finding_id}/{to}"): WRITE,
    ("GET", "/break-glass"): each(frozenset({SUP})),
    ("POST", "/break-glass/{grant_id}/review"): each(frozenset({SUP})),
    ("GET", "/people/{person_id}/assess/{instrument_id}/{version}"): ASSESS,
    ("POST", "/assess/{instrument_id}/{version}/score"): each(P),
    ("POST", "/people/{person_id}/assess/{instrument_id}/{version}"): ASSESS,
    ("GET", "/worklists/{code}"): each(P),
    ("POST", "/work/{finding_id}/{action}"): WRITE,
    ("GET", "/mash"): each(S),
    ("GET", "/mash/new"): each(S),
    ("POST", "/mash"): each(S),
    ("GET", "/mash/{referral_id}"): WRITE,
    ("POST", "/mash/{referral_id}/requests"): WRITE,
    ("POST", "/mash/{referral_id}/requests/{request_id}/answer"): WRITE,
    ("POST", "/mash/{referral_id}/decision"): WRITE,
    ("POST", "/mash/{referral_id}/strategy"): WRITE,
    ("GET", "/referrals"): each(P | {PAR}),
    ("POST", "/referrals/{referral_id}/status"): by_state(S, NOBODY, S | {PAR}, S),
    ("GET", "/links"): each(S),
    ("GET", "/links/{review_id}"): each(S),
    ("GET", "/links/pairs/{left}/{right}/why"): each(S),
    ("POST", "/links/{review_id}/confirm"): WRITE,
    ("POST", "/links/{review_id}/split"): WRITE,
    ("POST", "/links/{review_id}/undo"): WRITE,
    ("GET", "/dashboard"): each(P | {BRD, ADM}),
    ("GET", "/board"): each(P | {BRD, ADM}),
    ("GET", "/board/report.pdf"): each(P | {BRD, ADM}),
    ("GET", "/board/report.css"): each(P | {BRD, ADM}),
    ("POST", "/people/{person_id}/break-glass"): each(P),
}

WHY = {"purpose": "supervision_qa"}
GLASS = {"purpose": "investigation", "reference": "CU/2026/1"}
DASH_API = {
    "instrument_id": "dash-ric",
    "instrument_version": "2009",
    "answers": {f"q{i}": "no" for i in range(1, 25)},
}
DASH_FORM = {f"a_q{i}": "no" for i in range(1, 25)}


def _share_body(form: bool) -> dict[str, Any]:
    return {
        "agency": "health",
        "purpose": "marac_preparation",
        "reference": "MARAC/4",
        "record_kinds": ["risk_summary"],
        "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        **({"back": ""} if form else {}),
    }


# What each route is sent: (path parameters, query or body) for a person in a state.
Request = tuple[dict[str, Any], dict[str, Any]]
CALLS: dict[tuple[str, str], Callable[[Someone], Request]] = {
    ("POST", "/api/retention/{person_id}/review"): lambda p: (
        {"person_id": p.person_id},
        {
            "decision": "retain",
            "rationale": "still needed for a policing purpose",
            "next_review": (date.today() + timedelta(days=365)).isoformat(),
        },
    ),
    ("POST", "/api/retention/{person_id}/hold"): lambda p: (
        {"person_id": p.person_id},
        {"reason": "civil claim pending, preserve records"},
    ),
    ("GET", "/api/people"): lambda p: ({}, {"q": p.forenames, **WHY}),
    ("GET", "/search"): lambda p: ({}, {"q": p.forenames, **WHY}),
    ("GET", "/api/people/{person_id}"): lambda p: ({"person_id": p.person_id}, WHY),
    ("GET", "/people/{person_id}"): lambda p: ({"person_id": p.person_id}, WHY),
    ("GET", "/api/events/{event_id}"): lambda p: ({"event_id": p.event}, WHY),
    ("POST", "/api/people/{person_id}/shares"): lambda p: (
        {"person_id": p.person_id},
        _share_body(False),
    ),
    ("POST", "/people/{person_id}/shares"): lambda p: (
        {"person_id": p.person_id},
        _share_body(True),
    ),
    ("POST", "/api/shares/{share_id}/revoke"): lambda p: (
        {"share_id": p.share},
        {"reason": "ended"},
    ),
    ("POST", "/shares/{share_id}/revoke"): lambda p: ({"share_id": p.share}, {"reason": "ended"}),
    ("POST", "/api/assessments/score"): lambda p: ({}, DASH_API),
    ("POST", "/api/people/{person_id}/assessments"): lambda p: (
        {"person_id": p.person_id},
        DASH_API,
    ),
    ("POST", "/assess/{instrument_id}/{version}/score"): lambda p: (
        {"instrument_id": "dash-ric", "version": "2009"},
        {"a_q1": "yes"},
    ),
    ("GET", "/people/{person_id}/assess/{instrument_id}/{version}"): lambda p: (
        {"person_id": p.person_id, "instrument_id": "dash-ric", "version": "2009"},
        {},
    ),
    ("POST", "/people/{person_id}/assess/{instrument_id}/{version}"): lambda p: (
        {"person_id": p.person_id, "instrument_id": "dash-ric", "version": "2009"},
        DASH_FORM,
    ),
    ("POST", "/api/referrals/{referral_id}/status"): lambda p: (
        {"referral_id": p.referral},
        {"status": "received"},
    ),
    ("POST", "/referrals/{referral_id}/status"): lambda p: (
        {"referral_id": p.referral},
        {"status": "received"},
    ),
    ("GET", "/api/worklists/{code}"): lambda p: ({"code": "marac-due"}, {}),
    ("GET", "/worklists/{code}"): lambda p: ({"code": "marac-due"}, {}),
    ("POST", "/api/findings/{finding_id}/acknowledge"): lambda p: ({"finding_id": p.finding}, {}),
    ("POST", "/api/findings/{finding_id}/resolve"): lambda p: (
        {"finding_id": p.finding},
        {"note": "MARAC referral made"},
    ),
    ("POST", "/work/{finding_id}/{action}"): lambda p: (
        {"finding_id": p.finding, "action": "assign"},
        {},
    ),
    ("POST", "/mash/{referral_id}/requests/{request_id}/answer"): lambda p: (
        {"referral_id": p.referral, "request_id": 1},
        {"answer": "known to us"},
    ),
    ("POST", "/findings/{finding_id}/{to}"): lambda p: (
        {"finding_id": p.finding, "to": "resolve"},
        {"note": "referred"},
    ),
    ("POST", "/api/links/{review_id}/confirm"): lambda p: (
        {"review_id": p.review},
        {"reason": "same"},
    ),
    ("POST", "/api/links/{review_id}/split"): lambda p: (
        {"review_id": p.review},
        {"reason": "not"},
    ),
    ("GET", "/api/links/pairs/{left}/{right}/why"): lambda p: (
        {"left": p.mentions[0], "right": p.mentions[1]},
        {},
    ),
    ("GET", "/links/pairs/{left}/{right}/why"): lambda p: (
        {"left": p.mentions[0], "right": p.mentions[1]},
        {},
    ),
    ("POST", "/links/{review_id}/confirm"): lambda p: ({"review_id": p.review}, {"reason": "same"}),
    ("POST", "/links/{review_id}/split"): lambda p: ({"review_id": p.review}, {"reason": "not"}),
    ("POST", "/links/{review_id}/undo"): lambda p: ({"review_id": p.review}, {"reason": "wrong"}),
    ("POST", "/api/break-glass/{grant_id}/review"): lambda p: (
        {"grant_id": p.grant},
        {"verdict": "questioned", "note": "an hour was long"},
    ),
    ("POST", "/break-glass/{grant_id}/review"): lambda p: (
        {"grant_id": p.grant},
        {"verdict": "questioned", "note": "an hour was long"},
    ),
    ("POST", "/api/people/{person_id}/break-glass"): lambda p: ({"person_id": p.person_id}, GLASS),
    ("POST", "/people/{person_id}/break-glass"): lambda p: ({"person_id": p.person_id}, GLASS),
}
PERSON_PARAMS = ("person_id", "share_id", "event_id", "referral_id", "finding_id", "review_id")


def _default_call(path: str) -> Callable[[Someone], Request]:
    """A route not in CALLS takes at most a person id (filled in) and nothing else."""

    def call(p: Someone) -> Request:
        params = {
            "person_id": p.person_id,
            "review_id": p.review,
            "grant_id": p.grant,
            "referral_id": p.referral,
            "event_id": p.event,
            "share_id": p.share,
        }
        return {k: v for k, v in params.items() if "{" + k + "}" in path}, {}

    return call


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, except the API docs and static files."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if contexts is not None:
                walk(contexts() if callable(contexts) else contexts)
                continue
            methods = getattr(route, "methods", None)
            if methods:
                found.update((m, route.path) for m in methods - {"HEAD"})

    walk(app.routes)
    return {(m, p) for m, p in found if not p.startswith(("/api/docs", "/api/openapi", "/docs"))}


def _order(key: tuple[str, str]) -> tuple[int, str, str]:
    """Reads first, then changes, break glass last (it opens the restricted person) and the
    link decisions just before it (a split makes a new person of a record)."""
    method, path = key
    if "break-glass" in path and method == "POST" and path.startswith(("/people", "/api/people")):
        return (3, path, method)
    if "/links/" in path and method == "POST":
        return (2, path, method)
    return (0 if method == "GET" else 1, path, method)


def forbidden_values(world: AccessWorld, role: Role) -> dict[str, list[str]]:
    """For each person, the values ``role`` may not see anywhere before breaking glass."""
    out: dict[str, list[str]] = {}
    for state, p in world.people.items():
        if role in P and state != "restricted":
            continue
        if role is PAR and state == "shared":
            allowed = ALWAYS_SHARED | {RecordKind.RISK_SUMMARY}  # what its share covers
            out[state] = [v for k, vs in p.values.items() if k not in allowed for v in vs]
            continue
        out[state] = [v for vs in p.values.values() for v in vs]
    return out


def _send(
    client: TestClient, engine: Engine, role: Role, method: str, path: str, url: str, data: Any
) -> Any:
    if path == "/login" and method == "POST":
        client.cookies.clear()
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        r = client.post(
            url,
            data={
                "username": PERSONAS[role][0],
                "password": PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        client.csrf = sign_in(client, engine, role)  # type: ignore[attr-defined]
        return r
    csrf = client.csrf  # type: ignore[attr-defined]
    if method == "GET":
        return client.get(url, params=data)
    if path.startswith("/api"):
        return client.post(url, json=data, headers={"X-CSRF-Token": csrf})
    r = client.post(url, data={**data, "csrf_token": csrf})
    if path == "/logout":
        client.csrf = sign_in(client, engine, role)  # type: ignore[attr-defined]
    return r


@pytest.fixture
def access_world(engine: Engine) -> AccessWorld:
    return build_access_world(engine)


@pytest.fixture
def app_client(settings: Any, engine: Engine, access_world: AccessWorld) -> Any:
    from safeguard.web.app import create_app

    app = create_app(settings, engine)
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_every_route_of_the_app_is_in_the_matrix(app_client: TestClient) -> None:
    served = app_routes(app_client.app)
    assert served - set(EXPECTED) == set(), "routes with no expectation: add them to EXPECTED"
    assert set(EXPECTED) - served == set(), "expectations for routes the app no longer serves"


@pytest.mark.parametrize("role", list(Role))
def test_each_route_lets_through_exactly_the_expected_roles_and_leaks_nobody(
    role: Role, app_client: TestClient, engine: Engine, access_world: AccessWorld
) -> None:
    app_client.csrf = sign_in(app_client, engine, role)  # type: ignore[attr-defined]
    forbidden = forbidden_values(access_world, role)
    wrong: dict[tuple[str, str, str], tuple[bool, int]] = {}
    leaks: list[str] = []
    for key in sorted(app_routes(app_client.app), key=_order):
        method, path = key
        per_person = any("{" + name + "}" in path for name in PERSON_PARAMS) or key in CALLS
        for state in STATES if per_person else ("ordinary",):
            someone = access_world.people[state]
            params, data = CALLS.get(key, _default_call(path))(someone)
            url = path.format(**params)
            r = _send(app_client, engine, role, method, path, url, data)
            assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
            through = r.status_code not in (401, 403, 429)
            if through != (role in EXPECTED[key][state]):
                wrong[(method, path, state)] = (through, r.status_code)
            typed = str(data.get("q", "")) if method == "GET" else ""
            for whose, values in forbidden.items():
                for value in values:
                    if value and value != typed and value in r.text:
                        leaks.append(f"{method} {url} ({state}) shows {whose}'s {value!r}")
    assert wrong == {}, f"{role}: let through (True) or refused (False) unexpectedly: {wrong}"
    assert leaks == [], f"{role} sees what it may not: {leaks[:20]}"
