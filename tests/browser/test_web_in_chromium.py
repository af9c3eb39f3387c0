"""The web app in real headless Chromium: the practitioners' main paths, accessibility checked
with axe-core (WCAG 2.2 A/AA) on every page, and the keyboard alone is enough."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import AXE
from tests.web_fixtures import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
REASON = "purpose=supervision_qa"


def axe_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


def sign_in_with_keyboard(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "govuk-skip-link"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_an_officer_signs_in_searches_and_opens_a_profile_by_keyboard(
    live: tuple[str, World], page: Any
) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "pc_patel")
    page.goto(f"{base}/search")
    page.focus("#purpose")
    page.select_option("#purpose", "supervision_qa")  # nothing is chosen for the officer
    page.focus("#q")
    page.keyboard.type("joanne smi")
    page.keyboard.press("Enter")  # htmx swaps the results in
    link = page.get_by_role("link", name="Joanne Smith")
    link.wait_for()
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/people/{world.victim}?**")
    assert page.get_by_role("heading", level=1).inner_text() == "Joanne Smith"
    assert "Current high risk" in page.content()
    assert axe_violations(page) == []


def test_a_dash_form_shows_its_live_grade_and_marac_decision(
    live: tuple[str, World], page: Any
) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "pc_patel")
    page.goto(f"{base}/people/{world.victim}/assess/dash-ric/2009?{REASON}")
    for i in range(1, 25):
        page.check(f"#q{i}-{'yes' if i <= 14 else 'no'}")
    page.wait_for_function(
        "document.querySelector('[data-testid=grade]')?.textContent.trim() === 'high'"
    )
    assert "Refer to MARAC" in page.inner_text("[data-testid=marac]")
    assert page.inner_text("[data-testid=yes-count]") == "14"
    assert axe_violations(page) == []
    page.select_option("#event_id", str(world.event))  # the DASH belongs to its incident
    page.get_by_role("button", name="Submit assessment").click()
    page.wait_for_url(f"**/people/{world.victim}?**")
    assert "Current risk" in page.content()


def test_an_officers_day_worklist_to_profile_to_dash_to_new_duties(
    live: tuple[str, World], page: Any
) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "pc_patel")
    page.goto(f"{base}/")
    page.get_by_role("link", name="MARAC referral due").click()
    page.wait_for_url("**/worklists/marac-due")
    assert axe_violations(page) == []
    first = page.locator("#worklist tbody tr").first
    assert first.get_attribute("data-person") == str(world.victim)  # the most urgent on top
    first.get_by_role("link").click()
    page.wait_for_url(f"**/people/{world.victim}")
    page.select_option("#purpose", "supervision_qa")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/people/{world.victim}?**")
    assert "What is due now" in page.content() and "Linked people" in page.content()
    assert axe_violations(page) == []
    page.get_by_role(
        "link", name="SafeLives (CAADA) DASH risk identification checklist, 24 questions"
    ).click()
    page.wait_for_url("**/assess/dash-ric/2009?**")
    for i in range(1, 25):
        page.check(f"#q{i}-{'yes' if i <= 15 else 'no'}")
    page.select_option("#event_id", str(world.event))
    page.get_by_role("button", name="Submit assessment").click()
    page.wait_for_url(f"**/people/{world.victim}?**")
    assert "Assessment stored" in page.content()
    assert "MARAC referral: visible high risk" in page.inner_text("main")
    assert axe_violations(page) == []


def test_a_mash_analyst_triages_a_contact_to_a_decision(live: tuple[str, World], page: Any) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "mash_analyst")
    page.goto(f"{base}/mash")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Record a new contact").click()
    page.wait_for_url("**/mash/new")
    page.get_by_role("button", name="Record the contact").click()  # empty: every field said
    assert "There is a problem" in page.content()
    assert axe_violations(page) == []
    page.fill("#person_id", str(world.child_shared))
    page.check("#source-public")
    page.check("#rag-amber")
    page.fill("#summary", "A neighbour saw the child out alone late at night, twice.")
    page.get_by_role("button", name="Record the contact").click()
    page.wait_for_url("**/mash/*")
    assert "Decision due" in page.content()
    assert axe_violations(page) == []
    page.check("#decision-early_help")
    page.fill("#rationale", "Needs support for the family; no sign of significant harm.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_url("**/mash/*#decision")
    assert "Early help" in page.inner_text("#decision ~ p")
    assert axe_violations(page) == []


def test_a_supervisor_reviews_a_link_and_undoes_it(live: tuple[str, World], page: Any) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "sgt_okafor")
    page.goto(f"{base}/links/{world.uncertain_review}")
    if page.inner_text("[data-testid=decision]") == "open":
        page.fill("#reason", "Same date of birth and address history")
        page.get_by_role("button", name="Confirm: same person").click()
        page.wait_for_url(f"**/links/{world.uncertain_review}")
    assert page.inner_text("[data-testid=decision]") == "confirmed"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Undo the decision").click()  # no reason: refused
    assert "There is a problem" in page.content()
    page.fill("#undo-reason", "The PNC records are of two different people")
    page.get_by_role("button", name="Undo the decision").click()
    page.wait_for_url(f"**/links/{world.uncertain_review}")
    assert page.inner_text("[data-testid=decision]") == "open"
    assert "Kept apart" in page.content() or "Joined (same person)" in page.content()
    assert axe_violations(page) == []


def test_a_board_viewer_downloads_the_pdf(live: tuple[str, World], page: Any) -> None:
    base, _ = live
    sign_in_with_keyboard(page, base, "board_member")
    page.goto(f"{base}/board?start=2026-01-01&end=2026-03-31")
    assert "What got worse" in page.content()
    assert axe_violations(page) == []
    with page.expect_download(timeout=180_000) as info:  # a loaded machine renders slowly
        page.click("#download-pdf")
    path = info.value.path()
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_an_analyst_confirms_a_link_with_the_records_side_by_side(
    live: tuple[str, World], page: Any
) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "mash_analyst")
    page.goto(f"{base}/links")
    assert axe_violations(page) == []
    page.locator(f"a[href='/links/{world.uncertain_review}']").click()
    page.wait_for_url(f"**/links/{world.uncertain_review}")
    assert "Joanna Smith" in page.content() and "Joanne Smith" in page.content()
    assert axe_violations(page) == []
    page.fill("#reason", "Same date of birth and address history")
    page.get_by_role("button", name="Confirm: same person").click()
    page.wait_for_url(f"**/links/{world.uncertain_review}")
    assert page.inner_text("[data-testid=decision]") == "confirmed"


def test_a_partner_agency_user_cannot_open_an_unshared_person(
    live: tuple[str, World], page: Any
) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "social_worker")
    denied = page.goto(f"{base}/people/{world.victim}?{REASON}")
    assert denied is not None and denied.status == 403
    assert "You cannot do this" in page.content() and "Joanne" not in page.content()
    assert axe_violations(page) == []
    shared = page.goto(f"{base}/people/{world.child_shared}?{REASON}")
    assert shared is not None and shared.status == 200
    assert "Kayleigh Brown" in page.content()


PAGES_BY_USER = {
    "pc_patel": [
        "/",
        "/search",
        "/search?q=smith&" + REASON,
        "/people/{victim}",
        "/people/{victim}?" + REASON,
        "/people/{restricted}?" + REASON,
        "/people/{victim}/assess/dash-police/2009",
        "/people/{child}/assess/missing-app/2024",
        "/people/{child}/assess/cse-seraf/1",
        "/worklists/new-high-risk",
        "/worklists/repeat-missing",
        "/worklists/marac-due?due=soon",
        "/worklists/overdue",
        "/worklists/rhi-due",
        "/people/{child}?" + REASON,
        "/referrals",
        "/dashboard",
    ],
    "sgt_okafor": ["/people/{victim}/audit", "/links", "/links/{review}", "/mash", "/mash/new"],
    "board_member": ["/", "/dashboard", "/board", "/board?start=2026-13-01"],
    "admin": ["/"],
    "social_worker": ["/referrals", "/people/{child}?" + REASON],
}


@pytest.mark.parametrize("username", list(PAGES_BY_USER))
def test_every_page_has_no_wcag_a_or_aa_violations(
    live: tuple[str, World], page: Any, username: str
) -> None:
    base, world = live
    page.goto(f"{base}/login")
    assert axe_violations(page) == []
    sign_in_with_keyboard(page, base, username)
    ids = {
        "victim": world.victim,
        "child": world.child_shared,
        "restricted": world.suspect_restricted,
        "review": world.uncertain_review,
    }
    problems = {}
    for path in PAGES_BY_USER[username]:
        page.goto(base + path.format(**ids))
        found = axe_violations(page)
        if found:
            problems[path] = found
    assert problems == {}


def test_every_interactive_element_of_the_profile_is_reachable_by_tab_with_visible_focus(
    live: tuple[str, World], page: Any
) -> None:
    base, world = live
    sign_in_with_keyboard(page, base, "sgt_okafor")
    page.goto(f"{base}/people/{world.victim}?{REASON}")
    interactive = page.evaluate(
        "Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), "
        "select, textarea, summary')).filter(e => e.offsetParent !== null"
        # content of a closed <details> (the share form) is not reachable until it is opened
        " && !e.closest('details:not([open]) > :not(summary)')).length"
    )
    reached = set()
    for _ in range(2 * interactive + 5):  # a busy machine may land a press in the browser UI
        page.keyboard.press("Tab")
        info = page.evaluate(
            "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.outerHTML.slice(0, 80), s.outlineStyle !== 'none' ||"
            " s.boxShadow !== 'none' || s.backgroundColor !== 'rgba(0, 0, 0, 0)']; })()"
        )
        reached.add(info[0])
        assert info[1], f"no visible focus on {info[0]}"
    every = page.evaluate(
        "Array.from(document.querySelectorAll('a[href], button, input:not([type=hidden]), "
        "select, textarea, summary')).filter(e => e.offsetParent !== null"
        " && !e.closest('details:not([open]) > :not(summary)')).map(e => e.outerHTML.slice(0, 80))"
    )
    # Compared as sets of their opening markup: two elements may open alike.
    assert len(every) == interactive and set(every) <= reached, sorted(set(every) - reached)
    # The skip link takes keyboard users straight to the content.
    page.goto(f"{base}/people/{world.victim}?{REASON}")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
