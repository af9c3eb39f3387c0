"""Reconciling a new evaluation with what is stored: done duties close, erased ones are kept
with a supervisor review, grades are never silently lowered, other flags follow the facts."""

from __future__ import annotations

from safeguard.rules.obligations import OnRecord, reconcile
from tests.unit.rules_facts import at, dash, event, involved, person, referral, run

MARAC = "MARAC-VISIBLE-HIGH-RISK|P1|assessment:1"


def _first() -> tuple[list[OnRecord], list[str]]:
    history = person(
        involvements=(involved(event(1, at())),), assessments=(dash(1, at(0, 3), 15, 1),)
    )
    first = run(history)
    stored = [OnRecord(f.key, f.rule_id, f.kind, "open") for f in first.findings]
    return stored, [c.key for c in first.checks]


def test_a_duty_a_correction_would_erase_is_kept_with_a_review() -> None:
    stored, checks = _first()
    corrected = person(
        involvements=(involved(event(1, at())),), assessments=(dash(1, at(0, 3), 5, 1),)
    )
    done = reconcile(run(corrected), stored, checks, review_version="1.x")
    assert MARAC in done.kept_findings and MARAC in done.kept_checks
    assert "DA-NEW-HIGH-RISK|P1|assessment:1" in done.kept_findings
    reviews = [f for f in done.evaluation.findings if f.rule_id == "CORRECTION-REVIEW"]
    assert {r.facts["kept"] for r in reviews} >= {MARAC, "DA-NEW-HIGH-RISK|P1|assessment:1"}
    assert all(r.rule_version == "1.x" and r.severity == "high" for r in reviews)


def test_a_duty_done_is_not_kept_and_raises_no_review() -> None:
    stored, checks = _first()
    done_now = person(
        involvements=(involved(event(1, at())),),
        assessments=(dash(1, at(0, 3), 15, 1),),
        referrals=(referral(1, "marac", at(1), event_id=1),),
    )
    done = reconcile(run(done_now), stored, checks, review_version="1")
    assert MARAC not in done.kept_findings
    assert not [f for f in done.evaluation.findings if f.rule_id == "CORRECTION-REVIEW"]


def test_resolved_findings_and_plain_flags_are_not_kept() -> None:
    stored = [
        OnRecord(MARAC, "MARAC-VISIBLE-HIGH-RISK", "procedure", "resolved"),
        OnRecord("DA-REPEAT-VICTIM|P1|event:2", "DA-REPEAT-VICTIM", "flag", "open"),
    ]
    done = reconcile(run(person()), stored, [], review_version="1")
    assert done.kept_findings == frozenset() and done.kept_checks == frozenset()
    assert done.evaluation.findings == run(person()).findings
