"""Every route, walked by every role: the set of roles let through is exactly the expected one.

A role is "let through" when the answer is neither 401 nor 403. The expected sets are written
out here by hand (not derived from the policy table), so a change to the policy or a new route
that forgets its ``Authorised(...)`` shows up as a failure.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from safeguard.domain.access import Role
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import PASSWORD, PERSONAS, World

OFF, SUP, ANA, PAR, BRD, ADM = (
    Role.OFFICER,
    Role.SUPERVISOR,
    Role.ANALYST,
    Role.PARTNER_AGENCY,
    Role.BOARD_VIEWER,
    Role.ADMINISTRATOR,
)
ALL = {OFF, SUP, ANA, PAR, BRD, ADM}
PRACTITIONERS = {OFF, SUP, ANA}
REASON = {"reason": "Responding to an incident"}
DASH = {
    "instrument_id": "dash-ric",
    "instrument_version": "2009",
    "answers": {f"q{i}": "no" for i in range(1, 25)},
}

# (method, path with {placeholders}, query/body, roles let through)
MATRIX: list[tuple[str, str, dict[str, Any], set[Role]]] = [
    # First, before anyone breaks glass: nobody sees a restricted person without a reason.
    ("GET", "/api/people/{restricted}", REASON, set()),
    ("GET", "/login", {}, ALL),
    ("POST", "/login", {}, ALL),
    ("POST", "/logout", {}, ALL),
    ("GET", "/", {}, ALL),
    ("GET", "/search", {"q": "smith", **REASON}, PRACTITIONERS | {PAR}),
    ("GET", "/people/{victim}", REASON, PRACTITIONERS),
    ("GET", "/people/{child}", REASON, PRACTITIONERS | {PAR}),
    ("GET", "/people/{unlinked}", REASON, PRACTITIONERS),
    ("GET", "/people/{victim}/audit", {}, {SUP, ADM}),
    (
        "POST",
        "/people/{restricted}/break-glass",
        {"reason": "Incident 42 safety plan"},
        PRACTITIONERS,
    ),
    ("GET", "/people/{victim}/assess/dash-ric/2009", {}, PRACTITIONERS),
    ("POST", "/assess/dash-ric/2009/score", {"a_q1": "yes"}, PRACTITIONERS),
    (
        "POST",
        "/people/{victim}/assess/dash-ric/2009",
        {f"a_q{i}": "no" for i in range(1, 25)},
        PRACTITIONERS,
    ),
    ("GET", "/worklists/marac-due", {}, PRACTITIONERS),
    ("GET", "/referrals", {}, PRACTITIONERS | {PAR}),
    ("POST", "/referrals/{csc_referral}/status", {"status": "received"}, {SUP, ANA, PAR}),
    ("POST", "/findings/{finding}/acknowledge", {"back": "1"}, {SUP, ANA}),
    ("POST", "/findings/{finding}/resolve", {"back": "1", "note": "referred"}, {SUP, ANA}),
    ("GET", "/links", {}, {SUP, ANA}),
    ("GET", "/links/{uncertain}", {}, {SUP, ANA}),
    ("POST", "/links/{uncertain}/confirm", {"reason": "same DOB and postcode"}, {SUP, ANA}),
    ("POST", "/links/{uncertain}/split", {"reason": "different people"}, {SUP, ANA}),
    ("GET", "/dashboard", {}, PRACTITIONERS | {BRD, ADM}),
    ("GET", "/api/health", {}, ALL),
    ("GET", "/api/me", {}, ALL),
    ("GET", "/api/people", {"q": "smith", **REASON}, PRACTITIONERS | {PAR}),
    ("GET", "/api/people/{victim}", REASON, PRACTITIONERS),
    ("GET", "/api/people/{child}", REASON, PRACTITIONERS | {PAR}),
    (
        "POST",
        "/api/people/{restricted}/break-glass",
        {"reason": "Incident 42 safety plan"},
        PRACTITIONERS,
    ),
    (
        "POST",
        "/api/people/{victim}/shares",
        {"agency": "health", "reason": "MARAC action"},
        {SUP, ANA},
    ),
    ("GET", "/api/people/{victim}/audit", {}, {SUP, ADM}),
    ("GET", "/api/events/{event}", REASON, PRACTITIONERS),
    ("GET", "/api/instruments", {}, PRACTITIONERS),
    ("POST", "/api/assessments/score", DASH, PRACTITIONERS),
    ("POST", "/api/people/{victim}/assessments", DASH, PRACTITIONERS),
    ("GET", "/api/referrals", {}, PRACTITIONERS | {PAR}),
    ("GET", "/api/referrals/{marac_referral}", {}, PRACTITIONERS),
    ("GET", "/api/referrals/{csc_referral}", {}, PRACTITIONERS | {PAR}),
    ("POST", "/api/referrals/{csc_referral}/status", {"status": "received"}, {SUP, ANA, PAR}),
    ("GET", "/api/worklists", {}, PRACTITIONERS),
    ("GET", "/api/worklists/{code}", {}, PRACTITIONERS),
    ("GET", "/api/worklists/uncertain-links", {}, {SUP, ANA}),
    ("POST", "/api/findings/{finding}/acknowledge", {}, {SUP, ANA}),
    ("POST", "/api/findings/{finding}/resolve", {"note": "MARAC referral made"}, {SUP, ANA}),
    ("GET", "/api/links", {}, {SUP, ANA}),
    ("GET", "/api/links/{uncertain}", {}, {SUP, ANA}),
    ("POST", "/api/links/{uncertain}/confirm", {"reason": "same DOB and postcode"}, {SUP, ANA}),
    ("POST", "/api/links/{uncertain}/split", {"reason": "different people"}, {SUP, ANA}),
    ("GET", "/api/dashboard", {}, PRACTITIONERS | {BRD, ADM}),
]


def _app_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, except docs and static files."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if contexts is not None:
                walk(contexts() if callable(contexts) else contexts)
                continue
            methods = getattr(route, "methods", None)
            if methods:
                for m in methods - {"HEAD"}:
                    found.add((m, route.path))

    walk(client.app.routes)  # type: ignore[attr-defined]
    return {(m, p) for m, p in found if not p.startswith(("/api/docs", "/api/openapi", "/docs"))}


def _template(path: str) -> str:
    return re.sub(
        r"\{(victim|child|unlinked|restricted|csc_referral|marac_referral|uncertain|"
        r"event|finding)\}",
        "{id}",
        path,
    ).replace("{code}", "{id}")


def test_the_matrix_covers_every_route_of_the_app(client: TestClient) -> None:
    served = {(m, re.sub(r"\{[a-z_]+\}", "{id}", p)) for m, p in _app_routes(client)}
    covered = {(m, _template(p)) for m, p, _, _ in MATRIX}
    covered = {
        (m, re.sub(r"/(dash-ric|2009|marac-due|uncertain-links)", "/{id}", p)) for m, p in covered
    }
    # The page route /findings/{finding_id}/{to} takes the action as a path parameter.
    covered = {(m, re.sub(r"^/findings/\{id\}/\w+$", "/findings/{id}/{id}", p)) for m, p in covered}
    assert served == covered


def _url(path: str, world: World) -> str:
    ids = {
        "victim": world.victim,
        "child": world.child_shared,
        "unlinked": world.unlinked,
        "restricted": world.suspect_restricted,
        "csc_referral": world.csc_referral,
        "marac_referral": world.marac_referral,
        "uncertain": world.uncertain_review,
        "event": world.event,
        "code": "repeat-missing",
        "finding": world.finding,
    }
    return path.format(**ids)


@pytest.mark.parametrize("role", list(Role))
def test_each_route_lets_through_exactly_the_expected_roles(
    role: Role, client: TestClient, engine: Engine, world: World
) -> None:
    let_through: dict[tuple[str, str], bool] = {}
    for method, path, data, _ in MATRIX:
        csrf = sign_in(client, engine, role)
        url = _url(path, world)
        if path == "/login" and method == "POST":
            client.cookies.clear()
            form = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            username = PERSONAS[role][0]
            r = client.post(
                url, data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
            )
        elif method == "GET":
            r = client.get(url, params=data)
        elif path.startswith("/api"):
            r = client.post(url, json=data, headers={"X-CSRF-Token": csrf})
        else:
            r = client.post(url, data={**data, "csrf_token": csrf})
        assert r.status_code < 500, (method, url, r.status_code, r.text[:300])
        let_through[(method, path)] = r.status_code not in (401, 403)
    expected = {(m, p): role in roles for m, p, _, roles in MATRIX}
    wrong = {k: v for k, v in let_through.items() if v != expected[k]}
    assert wrong == {}, f"{role}: let through (True) or refused (False) unexpectedly: {wrong}"
