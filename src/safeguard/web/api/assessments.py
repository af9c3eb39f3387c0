"""Risk instruments, live scoring and submitting an assessment (graded by the rules engine)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from safeguard.domain.access import Action, Actor
from safeguard.domain.assessments import ScoreResult
from safeguard.services import assessment_forms, risk_view
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.api.models import AnswersIn, InstrumentOut, ScoreOut, SubmittedOut
from safeguard.web.deps import Authorised, ConnDep, PersonId

router = APIRouter(tags=["assessments"])
Assessor = Annotated[Actor, Depends(Authorised(Action.SUBMIT_ASSESSMENT))]


def score_out(result: ScoreResult) -> ScoreOut:
    data = asdict(result)
    data.pop("yes_tags", None)
    data.pop("officer_grade", None)
    return ScoreOut.model_validate(data)


@router.get("/instruments", response_model=list[InstrumentOut])
def instruments(actor: Assessor) -> list[InstrumentOut]:
    """The risk instruments (versioned data files) and their questions."""
    return [
        InstrumentOut(
            id=i.id,
            version=i.version,
            title=i.title,
            method=i.method,
            grades=list(i.grades),
            questions=[
                {"id": q.id, "text": q.text, "answer_type": q.answer_type} for q in i.questions
            ],
        )
        for i in risk_view.instruments()
    ]


@router.post("/assessments/score", response_model=ScoreOut)
def score(body: AnswersIn, actor: Assessor) -> ScoreOut:
    """Score answers without storing them (the live score of the form)."""
    result = risk_view.grade_answers(
        body.instrument_id,
        body.instrument_version,
        body.answers,
        body.officer_grade,
        body.rationale,
    )
    return score_out(result)


@router.post("/people/{person_id}/assessments", response_model=SubmittedOut, status_code=201)
def submit(person_id: PersonId, body: AnswersIn, conn: ConnDep, actor: Assessor) -> SubmittedOut:
    """Grade and store an assessment about a person (audited as collection)."""
    done = assessment_forms.submit_assessment(
        UnitOfWork(conn, actor),
        person_id=person_id,
        instrument_id=body.instrument_id,
        instrument_version=body.instrument_version,
        answers=body.answers,
        officer_grade=body.officer_grade,
        rationale=body.rationale,
        event_id=body.event_id,
    )
    return SubmittedOut(
        assessment_id=done.assessment_id,
        result=score_out(done.result),
        new_duties=done.new_duties,
    )
