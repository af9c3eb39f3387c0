"""The assessment forms (DASH, missing-person risk...) with a live score from the rules engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from safeguard.domain.access import Action, Actor, ensure
from safeguard.errors import ValidationFailed
from safeguard.services import access, assessment_forms, people, risk_view
from safeguard.services.assessment import default_assessor
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.deps import CSRF_FIELD, Authorised, ConnDep, PersonId
from safeguard.web.pages.render import render

router = APIRouter()
Assessor = Annotated[Actor, Depends(Authorised(Action.SUBMIT_ASSESSMENT))]
MAX_FIELDS = 120
OptText = Annotated[str | None, Query(max_length=40)]


def _why(purpose: str | None, reference: str | None) -> str:
    """The purpose the profile was opened with, carried through the form (never invented)."""
    if not purpose:
        return ""
    return urlencode({"purpose": purpose, **({"reference": reference} if reference else {})})


async def _answers(request: Request) -> tuple[dict[str, str], str | None, str | None]:
    form = await request.form(max_fields=MAX_FIELDS)
    answers: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("a_") and isinstance(value, str) and value:
            answers[key[2:][:64]] = value[:32]
    grade = form.get("officer_grade")
    rationale = form.get("rationale")
    return (
        answers,
        grade if isinstance(grade, str) and grade else None,
        rationale if isinstance(rationale, str) and rationale.strip() else None,
    )


@router.get("/people/{person_id}/assess/{instrument_id}/{version}", response_class=HTMLResponse)
def form(
    request: Request,
    person_id: PersonId,
    instrument_id: str,
    version: str,
    conn: ConnDep,
    actor: Assessor,
    purpose: OptText = None,
    reference: OptText = None,
) -> Response:
    people.mention_ids_of(conn, person_id)
    ensure(actor, Action.SUBMIT_ASSESSMENT, access.person_resource(conn, actor, person_id))
    inst = risk_view.instrument(instrument_id, version)
    result = risk_view.grade_answers(instrument_id, version, {}, None, None)
    return render(
        request,
        "assess.html",
        {
            "person_id": person_id,
            "inst": inst,
            "result": result,
            "answers": {},
            "why": _why(purpose, reference),
            "incidents": assessment_forms.incidents_for(conn, person_id),
            "event_id": None,
            "errors": {},
        },
        actor=actor,
    )


@router.post("/assess/{instrument_id}/{version}/score", response_class=HTMLResponse)
async def live_score(
    request: Request,
    instrument_id: str,
    version: str,
    actor: Assessor,
    conn: ConnDep,
    person_id: int | None = None,
) -> Response:
    answers, grade, rationale = await _answers(request)
    inst = risk_view.instrument(instrument_id, version)
    today = default_assessor().config.local_time.local_date(datetime.now(UTC))
    # Scored with the person's age on the day, as when it is stored (age floors, e.g. SERAF).
    if person_id:  # the person's age is read: the same need to know as the form itself
        people.mention_ids_of(conn, person_id)
        ensure(actor, Action.SUBMIT_ASSESSMENT, access.person_resource(conn, actor, person_id))
    age = (
        risk_view.subject_age(conn, people.mention_ids_of(conn, person_id), today)
        if person_id
        else None
    )
    try:
        result = risk_view.grade_answers(
            instrument_id,
            version,
            answers,
            grade,
            rationale,
            subject_age=age,
            assessed_on=today,
        )
    except ValidationFailed as exc:
        return render(request, "_score.html", {"inst": inst, "error": str(exc)}, actor=actor)
    return render(request, "_score.html", {"inst": inst, "result": result}, actor=actor)


@router.post("/people/{person_id}/assess/{instrument_id}/{version}", response_class=HTMLResponse)
async def submit(
    request: Request,
    person_id: PersonId,
    instrument_id: str,
    version: str,
    conn: ConnDep,
    actor: Assessor,
    purpose: OptText = None,
    reference: OptText = None,
) -> Response:
    answers, grade, rationale = await _answers(request)
    answers.pop(CSRF_FIELD, None)
    inst = risk_view.instrument(instrument_id, version)
    event_text = str((await request.form()).get("event_id") or "")
    event_id = int(event_text) if event_text.isdigit() and len(event_text) < 10 else None
    try:
        done = assessment_forms.submit_assessment(
            UnitOfWork(conn, actor),
            person_id=person_id,
            instrument_id=instrument_id,
            instrument_version=version,
            answers=answers,
            officer_grade=grade,
            rationale=rationale,
            event_id=event_id,
            require_incident=True,
        )
    except ValidationFailed as exc:
        try:
            result = risk_view.grade_answers(instrument_id, version, answers, grade, rationale)
        except ValidationFailed:
            result = None
        return render(
            request,
            "assess.html",
            {
                "person_id": person_id,
                "inst": inst,
                "result": result,
                "answers": answers,
                "officer_grade": grade,
                "rationale": rationale or "",
                "error": str(exc),
                "errors": _field_errors(str(exc)),
                "why": _why(purpose, reference),
                "incidents": assessment_forms.incidents_for(conn, person_id),
                "event_id": event_id,
            },
            actor=actor,
            status_code=422,
        )
    why = _why(purpose, reference)
    done_query = urlencode({"assessed": done.assessment_id, "duties": done.new_duties})
    query = f"{why}&{done_query}" if why else done_query
    return RedirectResponse(f"/people/{person_id}?{query}#due-now", status_code=303)


def _field_errors(message: str) -> dict[str, str]:
    """``field: message`` from a ValidationFailed, for the message next to the field."""
    field, sep, text = message.partition(": ")
    return {field: text} if sep and field.isidentifier() else {}
