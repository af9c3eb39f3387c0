"""Triaged worklists in the web app: due time, priority, owner, state, filters, paging, and the
one-click actions (each audited)."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.assignments import work_assignments
from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.findings import findings
from safeguard.domain.access import Role
from safeguard.domain.local_time import LocalTime
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import World


def test_a_worklist_shows_the_due_time_priority_owner_and_state(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.OFFICER)
    page = client.get("/worklists/marac-due")
    assert page.status_code == 200, page.text
    assert "1</strong> person" in page.text
    assert "Joanne Smith" in page.text
    assert "Priority" in page.text and "urgent" in page.text
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(findings.c.due_at).where(findings.c.id == world.finding)
        ).scalar_one()
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    local = LocalTime().local(due)  # the page shows the force's local time with its zone
    assert local.strftime("%d %b %Y %H:%M %Z") in page.text
    assert "new" in page.text  # nobody has it yet


def test_filters_narrow_the_list_and_a_bad_window_is_explained_next_to_the_field(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.OFFICER)
    empty = client.get("/worklists/marac-due", params={"team": "no-such-team"})
    assert "Nothing to do on this list with these filters" in empty.text
    overdue = client.get("/worklists/marac-due", params={"due": "overdue"})
    assert "Joanne Smith" not in overdue.text  # due tomorrow
    day = client.get("/worklists/marac-due", params={"due": "7d"})
    assert "Joanne Smith" in day.text
    bad = client.get("/worklists/marac-due", params={"due": "soonish"})
    assert bad.status_code == 200
    assert "There is a problem" in bad.text and 'id="due-error"' in bad.text


def test_assign_acknowledge_and_complete_are_one_click_each_and_audited(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.SUPERVISOR)
    back = "/worklists/marac-due"
    r = client.post(f"/work/{world.finding}/assign", data={"csrf_token": csrf, "back": back})
    assert r.status_code == 303 and r.headers["location"] == back
    mine = client.get("/worklists/marac-due", params={"owner": "me"})
    assert "Joanne Smith" in mine.text and "assigned" in mine.text
    nobody = client.get("/worklists/marac-due", params={"owner": "unassigned"})
    assert "Joanne Smith" not in nobody.text
    r = client.post(f"/work/{world.finding}/acknowledge", data={"csrf_token": csrf, "back": back})
    assert r.status_code == 303
    r = client.post(f"/work/{world.finding}/complete", data={"csrf_token": csrf, "back": back})
    assert r.status_code == 303
    assert "Joanne Smith" not in client.get(back).text
    again = client.post(f"/work/{world.finding}/assign", data={"csrf_token": csrf})
    assert again.status_code == 409
    with engine.connect() as conn:
        owner = conn.execute(sa.select(work_assignments.c.owner_user)).scalar_one()
        status = conn.execute(
            sa.select(findings.c.status).where(findings.c.id == world.finding)
        ).scalar_one()
        actions = set(conn.execute(sa.select(audit_log.c.action)).scalars())
    assert owner == "sgt_okafor"
    assert status == "resolved"
    assert "worklist.assign" in actions


def test_an_officer_may_read_the_list_but_not_act_on_it(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.OFFICER)
    assert "Assign to me" not in client.get("/worklists/marac-due").text
    r = client.post(f"/work/{world.finding}/assign", data={"csrf_token": csrf})
    assert r.status_code == 403


def test_the_home_page_counts_are_exact(client: TestClient, engine: Engine, world: World) -> None:
    sign_in(client, engine, Role.SUPERVISOR)
    home = client.get("/")
    assert "Return home interviews due" in home.text
    assert (
        "Victims&#39; Code contacts due" in home.text or "Victims' Code contacts due" in home.text
    )


def test_a_kept_page_and_its_kept_lines_show_each_write_on_the_next_request(
    client: TestClient, engine: Engine, world: World
) -> None:
    """The built page is kept with its ranking and each person's line by its values
    (``web.pages.work_rows``): a write must still show on the very next request, and a
    completed item must never be shown from what was kept."""
    csrf = sign_in(client, engine, Role.SUPERVISOR)
    back = "/worklists/marac-due"
    item = f"/work/{world.finding}"
    first = client.get(back).text
    assert client.get(back).text == first  # the kept page and line, rendered the same
    assert f'formaction="{item}/assign"' in first and f'formaction="{item}/acknowledge"' in first
    client.post(f"{item}/assign", data={"csrf_token": csrf, "back": back})
    taken = client.get(back).text
    assert "assigned, sgt_okafor" in taken
    assert f'formaction="{item}/assign"' not in taken  # it is already the viewer's
    client.post(f"{item}/acknowledge", data={"csrf_token": csrf, "back": back})
    acknowledged = client.get(back).text
    assert "acknowledged, sgt_okafor" in acknowledged
    assert f'formaction="{item}/acknowledge"' not in acknowledged
    client.post(f"{item}/complete", data={"csrf_token": csrf, "back": back})
    done = client.get(back).text
    assert "Joanne Smith" not in done and item not in done
    assert "Nothing to do on this list" in done


def test_every_items_buttons_submit_the_pages_one_form_with_its_csrf_token(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.SUPERVISOR)
    page = client.get("/worklists/marac-due").text
    assert page.count('name="csrf_token"') == 2  # sign-out's form and the items' one form
    assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in page
    buttons = page.count('form="work-actions"')
    assert buttons >= 3 and buttons == page.count('formaction="/work/')
    # a button's form is the page's: the same token and way back as a per-item form had
    r = client.post(
        f"/work/{world.finding}/assign", data={"csrf_token": csrf, "back": "/worklists/marac-due"}
    )
    assert r.status_code == 303


def test_a_kept_line_is_never_shown_to_another_viewer_with_other_rights(
    client: TestClient, engine: Engine, world: World
) -> None:
    sign_in(client, engine, Role.SUPERVISOR)
    assert "Assign to me" in client.get("/worklists/marac-due").text
    sign_in(client, engine, Role.OFFICER)  # the same person's line, for a viewer who may not act
    officer = client.get("/worklists/marac-due").text
    assert "Joanne Smith" in officer and "Assign to me" not in officer
    assert 'form="work-actions"' not in officer
