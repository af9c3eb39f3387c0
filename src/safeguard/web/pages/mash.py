"""MASH triage pages: the contacts awaiting a decision, a new contact, and one contact's
clock, information requests, decision and strategy discussion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from safeguard.domain.access import Action, Actor
from safeguard.domain.mash import DECISION_LABELS, STRATEGY_LABELS, ContactSource, Rag
from safeguard.services import mash
from safeguard.services.unit_of_work import UnitOfWork
from safeguard.web.deps import Authorised, ConnDep, RecordId
from safeguard.web.pages.render import render

router = APIRouter()
Triager = Annotated[Actor, Depends(Authorised(Action.TRIAGE_CONTACTS))]
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=64)]
LONDON = ZoneInfo("Europe/London")


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 and int(text) > 0 else None


@router.get("/mash", response_class=HTMLResponse)
def contacts(request: Request, conn: ConnDep, actor: Triager) -> Response:
    """Contacts awaiting a decision, the most urgent clock first."""
    found = mash.open_contacts(UnitOfWork(conn, actor))
    return render(request, "mash_list.html", {"contacts": found, "now": datetime.now(UTC)},
                  actor=actor)  # fmt: skip


def _new_form(request: Request, actor: Actor, values: dict[str, str], errors: dict[str, str],
              status: int = 200) -> Response:  # fmt: skip
    ctx = {"values": values, "errors": errors, "sources": list(ContactSource), "rags": list(Rag),
           "hours": dict(mash.request_hours())}  # fmt: skip
    return render(request, "mash_new.html", ctx, actor=actor, status_code=status)


@router.get("/mash/new", response_class=HTMLResponse)
def new_contact(
    request: Request,
    actor: Triager,
    person_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    return _new_form(request, actor, {"person_id": str(person_id or "")}, {})


@router.post("/mash", response_class=HTMLResponse)
def create_contact(
    request: Request,
    conn: ConnDep,
    actor: Triager,
    person_id: Short = "",
    source: Short = "",
    agency: Short = "",
    event_id: Short = "",
    rag: Short = "",
    summary: Text = "",
) -> Response:
    values = {"person_id": person_id, "source": source, "agency": agency, "event_id": event_id,
              "rag": rag, "summary": summary}  # fmt: skip
    try:
        rid = mash.record_contact(
            UnitOfWork(conn, actor), person_id=_int(person_id), source=source or None,
            agency=agency or None, event_id=_int(event_id), rag=rag or None, summary=summary,
        )  # fmt: skip
    except mash.FormInvalid as exc:
        return _new_form(request, actor, values, exc.errors, 422)
    return RedirectResponse(f"/mash/{rid}", status_code=303)


def _contact_page(
    request: Request,
    conn: Connection,
    actor: Actor,
    referral_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    contact = mash.get_contact(UnitOfWork(conn, actor), referral_id=referral_id)
    ctx = {
        "c": contact,
        "errors": errors or {},
        "values": values or {},
        "decisions": DECISION_LABELS,
        "outcomes": STRATEGY_LABELS,
        "hours": mash.request_hours(),
    }
    return render(request, "mash_contact.html", ctx, actor=actor, status_code=status)


@router.get("/mash/{referral_id}", response_class=HTMLResponse)
def contact(request: Request, referral_id: RecordId, conn: ConnDep, actor: Triager) -> Response:
    return _contact_page(request, conn, actor, referral_id)


@router.post("/mash/{referral_id}/requests", response_class=HTMLResponse)
def ask(
    request: Request,
    referral_id: RecordId,
    conn: ConnDep,
    actor: Triager,
    agency: Short = "",
    question: Text = "",
    clock: Short = "",
) -> Response:
    try:
        mash.ask_partner(UnitOfWork(conn, actor), referral_id=referral_id, agency=agency,
                         question=question, clock=clock or None)  # fmt: skip
    except mash.FormInvalid as exc:
        values = {"agency": agency, "question": question, "clock": clock}
        return _contact_page(request, conn, actor, referral_id, errors=exc.errors,
                             values=values, status=422)  # fmt: skip
    return RedirectResponse(f"/mash/{referral_id}#requests", status_code=303)


@router.post("/mash/{referral_id}/requests/{request_id}/answer", response_class=HTMLResponse)
def answer(
    request: Request,
    referral_id: RecordId,
    request_id: RecordId,
    conn: ConnDep,
    actor: Triager,
    answer: Text = "",
) -> Response:
    try:
        mash.record_answer(UnitOfWork(conn, actor), referral_id=referral_id, request_id=request_id,
                           answer=answer)  # fmt: skip
    except mash.FormInvalid as exc:
        errors = {f"answer-{request_id}": exc.errors["answer"]}
        return _contact_page(request, conn, actor, referral_id, errors=errors, status=422)
    return RedirectResponse(f"/mash/{referral_id}#requests", status_code=303)


@router.post("/mash/{referral_id}/decision", response_class=HTMLResponse)
def decision(
    request: Request,
    referral_id: RecordId,
    conn: ConnDep,
    actor: Triager,
    decision: Short = "",
    rationale: Text = "",
) -> Response:
    try:
        mash.decide(UnitOfWork(conn, actor), referral_id=referral_id, decision=decision or None,
                    rationale=rationale)  # fmt: skip
    except mash.FormInvalid as exc:
        values = {"decision": decision, "rationale": rationale}
        return _contact_page(request, conn, actor, referral_id, errors=exc.errors,
                             values=values, status=422)  # fmt: skip
    return RedirectResponse(f"/mash/{referral_id}#decision", status_code=303)


def _local_time(text: str) -> datetime | None:
    """A ``datetime-local`` value (UK local time) as UTC, or None if blank or malformed."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=LONDON).astimezone(UTC)
    except ValueError:
        return None


@router.post("/mash/{referral_id}/strategy", response_class=HTMLResponse)
def strategy(
    request: Request,
    referral_id: RecordId,
    conn: ConnDep,
    actor: Triager,
    held_at: Short = "",
    attendees: Text = "",
    outcome: Short = "",
) -> Response:
    when = _local_time(held_at) if held_at else None
    try:
        mash.hold_strategy(UnitOfWork(conn, actor), referral_id=referral_id, held_at=when,
                           attendees=attendees, outcome=outcome or None)  # fmt: skip
    except mash.FormInvalid as exc:
        errors = dict(exc.errors)
        if held_at and when is None:
            errors["held_at"] = "Enter a date and time, for example 2026-12-07T10:30"
        values = {"held_at": held_at, "attendees": attendees, "outcome": outcome}
        return _contact_page(request, conn, actor, referral_id, errors=errors, values=values,
                             status=422)  # fmt: skip
    return RedirectResponse(f"/mash/{referral_id}#strategy", status_code=303)
