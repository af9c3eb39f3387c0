"""Submitting a risk assessment from the app (the web form and the API): graded with the
force's instruments and the person's age, stored, audited. Running the rules over people is
:mod:`safeguard.services.assessment`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import finding_sync as sync
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.web_records import insert_record
from safeguard.domain.access import Action, ensure
from safeguard.domain.assessments import ScoreResult
from safeguard.domain.audit import AuditCategory
from safeguard.errors import IncompleteAssessment, ValidationFailed
from safeguard.rules import evaluate
from safeguard.services import access, people, risk_model, risk_view
from safeguard.services.assessment import default_assessor
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubmittedAssessment:
    assessment_id: int
    result: ScoreResult
    new_duties: int = 0  # findings the re-assessment raised or changed


@dataclass(frozen=True, slots=True)
class IncidentChoice:
    event_id: int
    label: str
    domestic_abuse: bool


def incidents_for(conn: Connection, person_id: int) -> list[IncidentChoice]:
    """The incidents a person was involved in, newest first, for tying an assessment to one."""
    mids = people.mention_ids_of(conn, person_id)
    found = HistoryRepository(conn).histories(mids, expand=False, parties=False)
    if not found:
        return []
    show = default_assessor().config.local_time.show  # the force's local time, with its zone
    seen: dict[int, IncidentChoice] = {}
    for inv in sorted(found[0].involvements, key=lambda i: i.event.occurred_at, reverse=True):
        e = inv.event
        if e.event_id not in seen:
            kind = e.event_type.replace("_", " ")
            seen[e.event_id] = IncidentChoice(
                e.event_id,
                f"{show(e.occurred_at)}: {kind} ({inv.role.replace('_', ' ')})",
                e.domestic_abuse,
            )
    return list(seen.values())


def reassess(conn: Connection, mention_ids: list[int], now: datetime) -> int:
    """Re-assess the person these mentions make up at once, in the caller's transaction (the
    rules engine's targeted path), so the new duties show as soon as the page reloads.
    Returns how many findings were raised or changed."""
    assessor = default_assessor()
    histories = HistoryRepository(conn).histories(mention_ids, expand=False, parties=False)
    evaluations = [evaluate(h, assessor.config, assessor.catalogue) for h in histories]
    counts = sync.sync_evaluations(conn, evaluations, now)
    return counts.new + counts.changed


def submit_assessment(
    uow: UnitOfWork,
    *,
    person_id: int,
    instrument_id: str,
    instrument_version: str,
    answers: Mapping[str, object],
    officer_grade: str | None,
    rationale: str | None,
    event_id: int | None = None,
    require_incident: bool = False,
    now: datetime | None = None,
) -> SubmittedAssessment:
    """Grade the answers with the rules engine and store the assessment about a person.

    The assessment is tied to ``event_id`` (one of the person's incidents; a domestic-abuse
    instrument needs one, with ``require_incident``, when the person has a domestic-abuse
    incident), and the person is
    re-assessed by the rules engine in the same transaction: the new duties (MARAC referral,
    Encompass notice, Victims' Code contacts) exist when the call returns.

    Raises:
        IncompleteAssessment: questions unanswered, or a raised grade without a rationale.
        ValidationFailed: an unknown question, a bad answer or an incident that is not the
            person's (the message names the field).
    """
    conn, actor = uow.conn, uow.user
    now = (now or datetime.now(UTC)).astimezone(UTC)
    ensure(actor, Action.SUBMIT_ASSESSMENT)
    mids = people.mention_ids_of(conn, person_id)
    ensure(actor, Action.SUBMIT_ASSESSMENT, access.person_resource(conn, actor, person_id, now))
    if rationale is not None and len(rationale) > 4000:
        raise ValidationFailed("rationale: at most 4000 characters")
    choices = incidents_for(conn, person_id)
    if event_id is not None and event_id not in {c.event_id for c in choices}:
        raise ValidationFailed("event_id: choose one of this person's incidents")
    if (
        require_incident
        and event_id is None
        and risk_view.instrument_domain(instrument_id) == "domestic_abuse"
        and any(c.domestic_abuse for c in choices)
    ):
        raise ValidationFailed("event_id: choose the incident this assessment is for")
    today = default_assessor().config.local_time.local_date(now)  # ages turn on local dates
    result = risk_view.grade_answers(
        instrument_id,
        instrument_version,
        answers,
        officer_grade,
        rationale,
        subject_age=risk_view.subject_age(conn, mids, today),
        assessed_on=today,
    )
    if result.state != "complete":
        raise IncompleteAssessment(
            f"{instrument_id}/{instrument_version}: incomplete, missing "
            + ", ".join(result.missing)
        )
    assessment_id = insert_record(
        conn,
        "risk_assessment",
        {
            "subject_id": mids[0],
            "event_id": event_id,
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
    uow.audit(
        "assessment.submit",
        AuditCategory.COLLECTION,
        "risk_assessment",
        record_ids=[assessment_id],
        person_ids=[person_id],
        detail={"instrument": f"{instrument_id}/{instrument_version}", "grade": result.grade},
    )
    risk_model.rescore_people(conn, [f"P{person_id}"])  # a new record: the advice follows it
    duties = reassess(conn, mids, now)
    logger.info(
        "assessment %s stored by user %s; %s findings raised or changed",
        assessment_id,
        actor.user_id,
        duties,
    )
    return SubmittedAssessment(assessment_id, result, duties)
