"""Link review that protects people: a reason is required (shown next to the field), conflicts
are shown prominently, every decision can be undone with a reason, and the history shows."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.linkage import link_decisions, link_reviews
from safeguard.domain.access import Role
from safeguard.services.links import MentionCard, conflicts_between
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import World


def _status(engine: Engine, review: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(link_reviews.c.status).where(link_reviews.c.id == review)
            ).scalar_one()
        )


def test_a_decision_without_a_reason_is_refused_next_to_the_field_and_changes_nothing(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.SUPERVISOR)
    r = client.post(
        f"/links/{world.uncertain_review}/confirm", data={"csrf_token": csrf, "reason": "  "}
    )
    assert r.status_code == 422
    assert 'id="reason-error"' in r.text and "There is a problem" in r.text
    assert _status(engine, world.uncertain_review) == "open"


def test_a_supervisor_confirms_a_link_then_undoes_it_with_a_reason(
    client: TestClient, engine: Engine, world: World
) -> None:
    csrf = sign_in(client, engine, Role.SUPERVISOR)
    review = world.uncertain_review
    ok = client.post(
        f"/links/{review}/confirm",
        data={"csrf_token": csrf, "reason": "Same address history and PNC"},
    )
    assert ok.status_code == 303
    assert _status(engine, review) == "confirmed"
    page = client.get(f"/links/{review}")
    assert "Undo this decision" in page.text
    assert "Joined (same person)" in page.text and "Same address history and PNC" in page.text
    refused = client.post(f"/links/{review}/undo", data={"csrf_token": csrf, "reason": ""})
    assert refused.status_code == 422 and 'id="undo-reason-error"' in refused.text
    assert _status(engine, review) == "confirmed"
    undone = client.post(
        f"/links/{review}/undo", data={"csrf_token": csrf, "reason": "Dates of birth differ"}
    )
    assert undone.status_code == 303
    assert _status(engine, review) == "open"
    with engine.connect() as conn:
        revoked = conn.execute(sa.select(link_decisions.c.revoked_at)).scalar_one()
        why = conn.execute(
            sa.select(audit_log.c.justification).where(audit_log.c.action == "link.undo_reason")
        ).scalar_one()
    assert revoked is not None and why == "Dates of birth differ"
    again = client.post(f"/links/{review}/undo", data={"csrf_token": csrf, "reason": "again"})
    assert again.status_code == 409
    history = client.get(f"/links/{review}").text
    assert "Undone" in history and "by user:" in history


def test_conflicting_dates_of_birth_sexes_and_a_generation_gap_are_named() -> None:
    from datetime import date

    a = MentionCard(1, 1, "niche", "Sam Hill", date(1970, 5, 1), "male")
    b = MentionCard(2, 2, "niche", "Sam Hill", date(1998, 5, 1), "female")
    same = MentionCard(3, 2, "niche", "Sam Hill", date(1970, 5, 1), "male")
    found = conflicts_between([a, b], [])
    assert any(w.startswith("Different dates of birth") for w in found)
    assert any(w.startswith("Different sexes") for w in found)
    assert any(w.startswith("A generation apart: dates of birth 28 years apart") for w in found)
    assert conflicts_between([a, same], []) == ()
