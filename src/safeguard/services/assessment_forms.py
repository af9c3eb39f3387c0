"""Submitting a risk assessment from the app (the web form and the API): graded with the
force's instruments and the person's age, stored, audited. Running the rules over people is
:mod:`safeguard.services.assessment`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db.audit import append_audit
from safeguard.adapters.db.tables import risk_assessments
from safeguard.domain.access import Action, Actor, ensure
from safeguard.domain.assessments import ScoreResult
from safeguard.domain.audit import AuditCategory, AuditEntry
from safeguard.errors import IncompleteAssessment, ValidationFailed
from safeguard.services import access, people, risk_model, risk_view
from safeguard.services.records import insert_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubmittedAssessment:
    assessment_id: int
    result: ScoreResult


def submit_assessment(
    conn: Connection,
    *,
    actor: Actor,
    person_id: int,
    instrument_id: str,
    instrument_version: str,
    answers: Mapping[str, object],
    officer_grade: str | None,
    rationale: str | None,
    now: datetime | None = None,
) -> SubmittedAssessment:
    """Grade the answers with the rules engine and store the assessment about a person.

    Raises:
        IncompleteAssessment: questions unanswered, or a raised grade without a rationale.
        ValidationFailed: an unknown question or a bad answer (the message names it).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    ensure(actor, Action.SUBMIT_ASSESSMENT)
    mids = people.mention_ids_of(conn, person_id)
    ensure(actor, Action.SUBMIT_ASSESSMENT, access.person_resource(conn, actor, person_id, now))
    if rationale is not None and len(rationale) > 4000:
        raise ValidationFailed("rationale: at most 4000 characters")
    result = risk_view.grade_answers(
        instrument_id,
        instrument_version,
        answers,
        officer_grade,
        rationale,
        subject_age=risk_view.subject_age(conn, mids, now.date()),
        assessed_on=now.date(),
    )
    if result.state != "complete":
        raise IncompleteAssessment(
            f"{instrument_id}/{instrument_version}: incomplete, missing "
            + ", ".join(result.missing)
        )
    assessment_id = insert_record(
        conn,
        risk_assessments,
        {
            "subject_id": mids[0],
            "instrument_id": instrument_id,
            "instrument_version": instrument_version,
            "answers": dict(answers),
            "officer_grade": officer_grade,
            "rationale": rationale,
            "assessor_id": actor.username,
            "completed_at": now,
        },
        now,
    )
    append_audit(
        conn,
        AuditEntry(
            actor=actor.audit_name,
            actor_role=str(actor.role),
            action="assessment.submit",
            category=AuditCategory.COLLECTION,
            record_type="risk_assessment",
            record_ids=[str(assessment_id)],
            person_ids=[person_id],
            detail={"instrument": f"{instrument_id}/{instrument_version}", "grade": result.grade},
        ),
    )
    risk_model.rescore_people(conn, [f"P{person_id}"])  # a new record: the advice follows it
    logger.info("assessment %s stored by user %s", assessment_id, actor.user_id)
    return SubmittedAssessment(assessment_id, result)
