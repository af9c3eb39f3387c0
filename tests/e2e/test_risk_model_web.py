"""The risk model's advice in the practitioner's hands: a panel on the profile (with the
history items that drove it, linked to their records, and a MARAC citation), a sortable band on
the worklists, both under the profile's projection and audit."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.risk_models import risk_models, risk_scores
from safeguard.adapters.db.tables import events
from safeguard.domain.access import Role
from tests.e2e.conftest import TestClient, sign_in
from tests.web_fixtures import World


def _score(engine: Engine, person_id: int, band: str = "high", p: float = 0.71) -> int:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        event_id = conn.execute(sa.select(sa.func.min(events.c.id))).scalar_one()
        model_id = conn.execute(
            sa.insert(risk_models)
            .values(
                target="da_repeat",
                version=4,
                family="spline_logistic",
                format_version=1,
                features=[],
                created_at=now,
                trained_by="t",
                data_end=now,
                artifact=b"x",
                sha256="0" * 64,
                card={},
                card_markdown="",
                refusals=[],
                active=True,
            )  # fmt: skip
            .returning(risk_models.c.id)
        ).scalar_one()
        conn.execute(
            sa.insert(risk_scores).values(
                model_id=model_id,
                target="da_repeat",
                subject_key=f"E{event_id}:P{person_id}:P0",
                person_key=f"P{person_id}",
                other_key="P0",
                event_id=event_id,
                occurred_at=now,
                probability=p,
                band=band,
                scored_at=now,
                drivers=[
                    {
                        "feature": "pair_last_year",
                        "words": "incidents between the pair in the year before",
                        "contribution": 0.9,
                        "records": [event_id],
                    }
                ],
            )  # fmt: skip
        )
    return int(event_id)


def test_the_profile_shows_the_models_advice_with_its_drivers_and_a_citation(
    client: TestClient, engine: Engine, world: World
) -> None:
    event_id = _score(engine, world.victim)
    sign_in(client, engine, Role.OFFICER)
    page = client.get(f"/people/{world.victim}", params={"purpose": "supervision_qa"})
    assert page.status_code == 200, page.text
    text = page.text
    assert "What the force&#39;s history suggests (advisory)" in text or "history suggests" in text
    assert "71% chance of another domestic-abuse incident in the pair" in text
    assert f'href="/api/events/{event_id}"' in text
    assert "incidents between the pair in the year before" in text
    assert "Risk model v4 (advisory): 71%" in text  # the MARAC citation
    assert "Current high risk" in text  # the instrument's grade stays as it was


def test_worklists_show_a_sortable_band(client: TestClient, engine: Engine, world: World) -> None:
    _score(engine, world.victim)
    sign_in(client, engine, Role.SUPERVISOR)
    # The triaged list shows the band and counts it in the person's priority.
    page = client.get("/worklists/marac-due")
    assert page.status_code == 200, page.text
    assert "History risk band (advisory)" in page.text
    assert 'data-label="History risk band">high</td>' in page.text
