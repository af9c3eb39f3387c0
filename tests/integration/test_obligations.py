"""Corrections never erase a duty, and every finding keeps its history (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.findings import findings, history_of, procedure_checks
from safeguard.domain.access import Actor, Role
from safeguard.services import assessment as svc
from safeguard.services.unit_of_work import OPERATOR_RUN, SCHEDULED_RUN
from tests.integration import interchange_rows as rows
from tests.integration.test_assessment_service import NOW, ingest


def _case(yes: int) -> list[dict[str, object]]:
    return [
        rows.person("p1"),
        rows.event("e1", "2025-01-10T12:00:00Z"),
        rows.involvement("i1", "e1", "p1"),
        rows.dash("a1", "p1", "2025-01-10T15:00:00Z", yes, event_ref="e1"),
    ]


def _by_rule(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as conn:
        return {
            r.rule_id: (r.status, r.finding_key)
            for r in conn.execute(
                sa.select(findings.c.rule_id, findings.c.status, findings.c.finding_key)
            )
        }


def test_a_dash_corrected_to_fewer_yes_answers_keeps_the_marac_duty_and_asks_for_review(
    engine: Engine, tmp_path: Path
) -> None:
    ingest(engine, tmp_path / "v1", _case(15))
    svc.assess_all(engine, actor=OPERATOR_RUN)
    before = _by_rule(engine)
    assert before["MARAC-VISIBLE-HIGH-RISK"][0] == "open"
    with engine.connect() as conn:
        checks = conn.execute(sa.select(procedure_checks.c.check_key)).scalars().all()
    assert any(k.startswith("MARAC-VISIBLE-HIGH-RISK|") for k in checks)

    # The same DASH re-sent under the same reference with 5 'yes' answers.
    ingest(engine, tmp_path / "v2", _case(5), now=NOW + timedelta(hours=1))
    svc.assess_all(engine, actor=SCHEDULED_RUN)
    after = _by_rule(engine)
    assert after["MARAC-VISIBLE-HIGH-RISK"][0] == "open"  # the duty stays due
    assert after["DA-NEW-HIGH-RISK"][0] == "open"  # the grade is not silently lowered
    assert after["CORRECTION-REVIEW"][0] == "open"
    with engine.connect() as conn:
        kept = conn.execute(sa.select(procedure_checks.c.check_key)).scalars().all()
        marac_key = after["MARAC-VISIBLE-HIGH-RISK"][1]
        history = history_of(conn, [marac_key])[marac_key]
    assert marac_key in kept  # the compliance row is not erased
    assert [h.change for h in history] == ["opened", "kept"]
    assert history[0].actor == "cli" and history[1].actor == "nightly"
    assert "review the correction" in history[1].reason

    # A third run changes nothing: the review and the kept duty stay as they are.
    third = svc.assess_all(engine, actor=OPERATOR_RUN)
    assert (third.new, third.closed) == (0, 0)

    # A named person closes the duty with a reason; the review then closes by rule.
    with engine.connect() as conn:
        fid = conn.execute(
            sa.select(findings.c.id).where(findings.c.finding_key == marac_key)
        ).scalar_one()
    svc.resolve_finding(
        engine,
        fid,
        actor=Actor(1234, "ds_1234", Role.SUPERVISOR),
        note="Correction checked: 5 yes is right",
    )
    svc.assess_all(engine, actor=SCHEDULED_RUN)
    final = _by_rule(engine)
    assert final["MARAC-VISIBLE-HIGH-RISK"][0] == "resolved"
    with engine.connect() as conn:
        history = history_of(conn, [marac_key])[marac_key]
    assert history[-1].change == "resolved" and history[-1].actor == "user:1234"
    assert history[-1].reason == "Correction checked: 5 yes is right"


def test_a_duty_done_closes_by_rule_with_its_reason(engine: Engine, tmp_path: Path) -> None:
    ingest(engine, tmp_path / "v1", _case(15))
    svc.assess_all(engine)
    marac = [*_case(15), rows.referral("r1", "p1", "marac", "2025-01-11T10:00:00Z", event_ref="e1")]
    ingest(engine, tmp_path / "v2", marac, now=NOW + timedelta(hours=1))
    svc.assess_all(engine)
    status, key = _by_rule(engine)["MARAC-VISIBLE-HIGH-RISK"]
    assert status == "closed_by_rule"
    assert "CORRECTION-REVIEW" not in _by_rule(engine)
    with engine.connect() as conn:
        history = history_of(conn, [key])[key]
    assert [(h.change, h.reason) for h in history][-1] == ("closed", "the procedure was done")
