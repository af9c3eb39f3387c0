"""`safeguard demo` on a small force: simulated once, ingested cleanly, safe to re-run."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from safeguard.adapters.db.accounts import users
from safeguard.adapters.db.engine import make_engine
from safeguard.adapters.db.tables import person_mentions, quarantine
from safeguard.cli import app
from safeguard.domain.access import Actor, BreakGlassRequired, Refused, Role
from safeguard.domain.purposes import Use, justify
from safeguard.services import people, referrals
from safeguard.services.unit_of_work import UnitOfWork

pytestmark = pytest.mark.slow


def _the_partner_persona_sees_the_children_referred_to_its_agency(engine: Engine) -> None:
    with engine.connect() as conn:
        uid = conn.execute(
            sa.select(users.c.id).where(users.c.username == "social_worker")
        ).scalar_one()
        actor = Actor(int(uid), "social_worker", Role.PARTNER_AGENCY, "childrens-services")
        found = referrals.list_referrals(UnitOfWork(conn, actor), open_only=False)
        assert found, "the demo's partner persona sees the referrals to its agency"
        assert {r.agency for r in found} == {"Cumbria Children's Services"}
        why = justify("safeguarding_referral", "MASH/1", use=Use.CONSULT)
        seen = 0
        for r in found[:20]:
            try:
                profile = people.person_profile(
                    UnitOfWork(conn, actor), person_id=r.person_id, justification=why
                )
            except BreakGlassRequired:
                continue
            except Refused:
                continue  # a restricted child: a partner never sees them
            assert profile.names and profile.mention_ids == []  # who, not the police record
            seen += 1
        assert seen, "and the children those referrals are about"


def test_the_demo_runs_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "demo",
        "--dir",
        str(tmp_path / "demo"),
        "--population",
        "1500",
        "--years",
        "2",
        "--no-serve",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    engine = make_engine(f"sqlite:///{tmp_path / 'demo' / 'safeguard.db'}")
    with engine.connect() as conn:
        mentions = conn.execute(sa.select(sa.func.count()).select_from(person_mentions)).scalar()
        bad = conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar()
    assert mentions and mentions > 100
    assert bad == 0, "the simulated force must pass strict ingest"
    _the_partner_persona_sees_the_children_referred_to_its_agency(engine)
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "kept" in second.output and " 0 new" in second.output
    engine.dispose()
