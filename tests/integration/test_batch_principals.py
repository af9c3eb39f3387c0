"""Batch runs (ingest, linking, assessment, the risk model) and exports are done for a checked
account or a declared batch job, on real SQLite and PostgreSQL: the run records who, and a
principal without the permission is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log
from safeguard.adapters.db.findings import assessment_runs, findings
from safeguard.adapters.db.linkage import link_runs
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.risk_models import risk_models
from safeguard.adapters.db.tables import ingest_runs, person_mentions
from safeguard.domain.access import Actor, Principal, Role, SystemJob
from safeguard.domain.risk.targets import Target
from safeguard.errors import PermissionDenied
from safeguard.services import assessment, audit_trail, risk_model
from safeguard.services.ingest import ingest_paths
from safeguard.services.linking.config import LinkConfig
from safeguard.services.linking.runs import link_all, link_new
from safeguard.services.unit_of_work import OPERATOR_RUN, SCHEDULED_RUN, authorize
from tests.conftest import count
from tests.factories import small_force
from tests.linkage_data import insert_mentions, make_mentions, make_people

ANALYST = Actor(7, "mash_analyst", Role.ANALYST)
SUPERVISOR = Actor(8, "sgt_okafor", Role.SUPERVISOR)
# Each may use the system, none may start a batch run; nor may a job nobody declared.
REFUSED: list[Principal] = [
    Actor(3, "pc_patel", Role.OFFICER),
    Actor(4, "board_member", Role.BOARD_VIEWER),
    Actor(5, "admin", Role.ADMINISTRATOR),
    Actor(6, "social_worker", Role.PARTNER_AGENCY, "childrens-services"),
    SystemJob("cli:alice"),
]
REFUSED_IDS = ["officer", "board_viewer", "administrator", "partner", "undeclared_job"]


def _runs(engine: Engine, table: sa.Table) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table.c.actor).order_by(table.c.id)).scalars())


def _audit(engine: Engine, action: str) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.actor_role)
            .where(audit_log.c.action == action)
            .order_by(audit_log.c.seq)
        )
        return [(r.actor, r.actor_role) for r in rows]


def test_an_ingest_is_recorded_under_the_declared_job_or_the_checked_account(
    engine: Engine, tmp_path: Path
) -> None:
    folder = small_force(tmp_path / "in")
    ingest_paths(engine, [folder], actor=SCHEDULED_RUN)
    ingest_paths(engine, [folder], actor=ANALYST)
    assert _runs(engine, ingest_runs) == ["nightly", "user:7"]
    assert _audit(engine, "ingest.run") == [("nightly", None), ("user:7", "analyst")]


@pytest.mark.parametrize("principal", REFUSED, ids=REFUSED_IDS)
def test_an_ingest_for_a_principal_without_permission_writes_nothing(
    engine: Engine, tmp_path: Path, principal: Principal
) -> None:
    folder = small_force(tmp_path / "in")
    with pytest.raises(PermissionDenied) as refused:
        ingest_paths(engine, [folder], actor=principal)
    assert ("run_batch_jobs" in str(refused.value)) or ("not declared" in str(refused.value))
    assert (count(engine, ingest_runs), count(engine, person_mentions)) == (0, 0)
    assert count(engine, audit_log) == 0


@pytest.mark.parametrize("principal", REFUSED, ids=REFUSED_IDS)
def test_an_assessment_run_for_a_principal_without_permission_writes_nothing(
    engine: Engine, tmp_path: Path, principal: Principal
) -> None:
    ingest_paths(engine, [small_force(tmp_path / "in")], actor=OPERATOR_RUN)
    with pytest.raises(PermissionDenied):
        assessment.assess_all(engine, actor=principal)
    with pytest.raises(PermissionDenied):
        assessment.assess_people(engine, [], mention_ids=[1], actor=principal)
    assert (count(engine, assessment_runs), count(engine, findings)) == (0, 0)
    assessment.assess_all(engine, actor=SCHEDULED_RUN)
    assessment.assess_since(engine, actor=SUPERVISOR)
    assert _runs(engine, assessment_runs) == ["nightly", "user:8"]


def test_a_link_run_records_the_declared_job_and_refuses_an_officer(
    engine: Engine, tmp_path: Path
) -> None:
    insert_mentions(engine, make_mentions(make_people(30)))
    config = LinkConfig(store_dir=tmp_path / "store")
    for run in (link_all, link_new):
        with pytest.raises(PermissionDenied, match="may not run_batch_jobs"):
            run(engine, actor=REFUSED[0], config=config)
    assert (count(engine, link_runs), count(engine, person_links)) == (0, 0)
    link_all(engine, actor=SCHEDULED_RUN, config=config)
    assert _runs(engine, link_runs) == ["nightly"]
    assert _audit(engine, "link.batch") == [("nightly", None)]


@pytest.mark.parametrize("principal", REFUSED, ids=REFUSED_IDS)
def test_the_risk_model_is_neither_trained_nor_activated_without_permission(
    engine: Engine, principal: Principal
) -> None:
    with pytest.raises(PermissionDenied):
        risk_model.train(engine, Target.DA_REPEAT, actor=principal)
    with pytest.raises(PermissionDenied):
        risk_model.activate(engine, Target.DA_REPEAT, 1, actor=principal)
    assert count(engine, risk_models) == 0


def test_an_export_is_audited_under_the_account_or_the_declared_job() -> None:
    by_account = audit_trail.export(ANALYST, what="quarantine", records=["all"], justification="x")
    by_job = audit_trail.export(OPERATOR_RUN, what="quarantine", records=["all"], justification="x")
    assert (by_account.actor, by_account.actor_role) == ("user:7", "analyst")
    assert (by_job.actor, by_job.actor_role) == ("cli", None)


def test_authorize_accepts_declared_jobs_and_permitted_accounts_only() -> None:
    from safeguard.domain.access import Action

    assert authorize(SCHEDULED_RUN, Action.RUN_BATCH_JOBS) is SCHEDULED_RUN
    assert authorize(SystemJob("nightly"), Action.RUN_BATCH_JOBS) == SCHEDULED_RUN
    assert authorize(SUPERVISOR, Action.RUN_BATCH_JOBS) is SUPERVISOR
    with pytest.raises(PermissionDenied, match=r"'cli:alice' is not declared \(cli, demo, "):
        authorize(SystemJob("cli:alice"), Action.RUN_BATCH_JOBS)
    with pytest.raises(PermissionDenied, match="may not run_batch_jobs"):
        authorize(REFUSED[0], Action.RUN_BATCH_JOBS)
