"""Obligations are facts that a correction cannot erase (issue 16 item 2).

A duty that became due (a MARAC referral, a return home interview offer, an Encompass notice, a
Victims' Code contact) stays due until it is done or a named person closes it with a reason. A
grade that was given (a new high-risk victim) is never lowered by a later form. So when a new
evaluation of a person no longer raises what was on record, :func:`reconcile` decides:

* the procedure was **done** (its check is still produced, now with a done time): the finding
  closes by rule, as before;
* the duty or the grade **disappeared** (a corrected record, a changed threshold): the finding
  stays as it was, its compliance row is kept, and a ``CORRECTION-REVIEW`` finding asks a
  supervisor to review the correction. Nothing changes silently; the board's figures do not
  move without a record of why.

Pure: the stored state comes in as plain values; the adapter and the scenario runner both
call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from safeguard.rules.findings import Evaluation, Finding, FindingStatus
from safeguard.rules.rules import RULES_BY_ID

REVIEW_RULE = "CORRECTION-REVIEW"
GRADE_RULES = frozenset({"DA-NEW-HIGH-RISK"})
"""Flag rules that record a grade: losing one is lowering a grade, which needs a review."""

ACTIVE = frozenset({FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value})


@dataclass(frozen=True, slots=True)
class OnRecord:
    """A stored finding, as much as reconciling needs."""

    key: str
    rule_id: str
    kind: str
    status: str
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Reconciled:
    """The evaluation with its review findings added, and what must be kept as it is."""

    evaluation: Evaluation
    kept_findings: frozenset[str]
    """Keys of stored findings the engine no longer raises that must not be closed."""
    kept_checks: frozenset[str]
    """Keys of stored procedure checks the engine no longer produces that must not be dropped."""


def _anchor(key: str) -> str:
    return key.replace("|", ":")


def _review(person_key: str, key: str, rule_id: str, why: str, version: str) -> Finding:
    rule = RULES_BY_ID[REVIEW_RULE]
    return Finding(
        key=f"{REVIEW_RULE}|{person_key}|{_anchor(key)}",
        rule_id=REVIEW_RULE,
        rule_version=version,
        person_key=person_key,
        category=rule.category,
        kind=rule.kind,
        severity=rule.severity,
        explanation=why,
        facts={"kept": key, "kept_rule_id": rule_id},
    )


def review_corrections(
    person_key: str,
    produced: set[str],
    checks_now: set[str],
    findings_on_record: Iterable[OnRecord],
    checks_on_record: Iterable[str],
    *,
    review_version: str,
) -> tuple[list[Finding], set[str], set[str]]:
    """For one person: the review findings to raise, and the stored finding and check keys to
    keep, given the finding and check keys the engine produces now and what is stored.

    Args:
        person_key: the person.
        produced: keys of the findings the engine raises now.
        checks_now: keys of the procedure checks the engine produces now.
        findings_on_record: the person's stored findings (any status).
        checks_on_record: keys of the person's stored procedure checks.
        review_version: the ``CORRECTION-REVIEW`` rule version to stamp on reviews.
    """
    reviews: dict[str, Finding] = {}
    kept_findings: set[str] = set()
    kept_checks: set[str] = set()
    for stored in findings_on_record:
        if stored.key in produced or stored.status not in ACTIVE:
            continue
        if stored.rule_id == REVIEW_RULE:
            continue  # a review is produced again below while what it is about stays kept
        if stored.kind == "procedure" and stored.key in checks_now:
            continue  # done since: closes by rule
        if stored.kind == "procedure":
            why = (
                f"a correction would remove a duty that was due ({stored.rule_id}, "
                f"{stored.key}): the duty stays due until done or closed by a named person "
                "with a reason; review the correction."
            )
        elif stored.rule_id in GRADE_RULES:
            why = (
                f"a correction would lower a grade on record ({stored.rule_id}, {stored.key}); "
                "a grade is never reduced by a later form: review the correction."
            )
        else:
            continue  # other flags follow the facts (e.g. a repeat count after relinking)
        kept_findings.add(stored.key)
        review = _review(person_key, stored.key, stored.rule_id, why, review_version)
        reviews[review.key] = review
    for key in checks_on_record:
        if key in checks_now:
            continue
        kept_checks.add(key)
        rule_id = key.split("|", 1)[0]
        review = _review(
            person_key,
            key,
            rule_id,
            f"a correction would remove a procedure that became due ({rule_id}, {key}) from the "
            "compliance figures: its record is kept; review the correction.",
            review_version,
        )
        reviews.setdefault(review.key, review)
    return [reviews[k] for k in sorted(reviews)], kept_findings, kept_checks


def reconcile(
    evaluation: Evaluation,
    findings_on_record: Iterable[OnRecord],
    checks_on_record: Iterable[str],
    *,
    review_version: str,
) -> Reconciled:
    """:func:`review_corrections` for one evaluation: the evaluation with its reviews added."""
    reviews, kept_findings, kept_checks = review_corrections(
        evaluation.person_key,
        {f.key for f in evaluation.findings},
        {c.key for c in evaluation.checks},
        findings_on_record,
        checks_on_record,
        review_version=review_version,
    )
    if not reviews:
        return Reconciled(evaluation, frozenset(kept_findings), frozenset(kept_checks))
    merged = {f.key: f for f in evaluation.findings}
    merged.update((r.key, r) for r in reviews)
    return Reconciled(
        replace(evaluation, findings=tuple(merged[k] for k in sorted(merged))),
        frozenset(kept_findings),
        frozenset(kept_checks),
    )
