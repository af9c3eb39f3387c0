"""MASH triage as a workflow: record a contact with its RAG rating (its working-time clock from
the force's rules settings), ask partner agencies for information with due times, decide with a
rationale, and hold the strategy discussion a section 47 route needs.

The contact is a referral (type ``mash``) and the decision a ``decision_made`` status change,
so the rules engine's MASH-RAG-DECISION and the board count them; the person is re-assessed at
once after a decision. Every read of a contact is audited as a consultation of its person and
every change in the same transaction as the change itself.

About 630 lines: a contact's course (RAG, information requests, decision, strategy discussion)
is one state machine with its clocks and its audit. The information requests are the next part
to move.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import mash as store
from safeguard.adapters.db import person_records
from safeguard.adapters.db.referrals import StatusChange, status_changes
from safeguard.adapters.db.web_records import insert_record
from safeguard.domain.access import Action, Actor, RecordKind, ensure, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.clocks import DECISION_STATUSES, strategy_times
from safeguard.domain.mash import (
    DECISION_LABELS,
    STRATEGY_LABELS,
    Clock,
    ContactSource,
    Decision,
    Rag,
    StrategyOutcome,
)
from safeguard.domain.projection import WITHHELD_NAME, project, shown_if
from safeguard.errors import InvalidTransition, NotFound
from safeguard.services import access, people
from safeguard.services.assessment import default_assessor
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)
Errors = dict[str, str]


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _audit(
    uow: UnitOfWork,
    action: str,
    category: AuditCategory,
    referral_ids: list[int],
    person_ids: list[int],
    justification: str | None = None,
    recipient: str | None = None,
    **detail: object,
) -> None:
    uow.audit(
        action,
        category,
        "referral",
        record_ids=referral_ids,
        person_ids=person_ids,
        justification=justification,
        recipient=recipient,
        detail=dict(detail),
    )


def request_hours() -> list[tuple[str, float]]:
    """The due times an information request can have: the force's MASH clocks (working hours)."""
    hours = default_assessor().config.clocks.mash_working_hours
    return sorted(hours.items(), key=lambda kv: kv[1])


def due_for(made_at: datetime, rag: str) -> datetime | None:
    """When the MASH decision on a contact rated ``rag`` is due (the force's clock)."""
    config = default_assessor().config
    return config.clocks.mash_due(made_at, rag, config.calendar)


def strategy_due_for(needed_at: datetime) -> datetime:
    """When a strategy discussion found needed at ``needed_at`` is due (the force's clock, the
    same one MASH-STRATEGY-DISCUSSION and the board count)."""
    config = default_assessor().config
    return config.clocks.strategy_due(needed_at, config.calendar)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InfoRequest:
    id: int
    agency: str
    question: str
    asked_by: str
    asked_at: datetime
    due_at: datetime
    answered_at: datetime | None
    answer: str | None
    clock: Clock


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    what: str
    who: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A MASH contact as the viewer may see it."""

    id: int
    person_id: int
    rag: str | None
    made_at: datetime
    source: str | None
    clock: Clock
    status: str | None
    decision: str | None = None
    decision_label: str | None = None
    strategy_outcome: str | None = None
    strategy_held_at: datetime | None = None
    strategy_clock: Clock | None = None  # a strategy discussion decided: due, held
    name: str = field(default="", metadata=shown_if(RecordKind.IDENTITY, withheld=WITHHELD_NAME))
    summary: str = field(default="", metadata=shown_if(RecordKind.REFERRALS, withheld=""))
    rationale: str = field(default="", metadata=shown_if(RecordKind.REFERRALS, withheld=""))
    requests: tuple[InfoRequest, ...] = field(
        default=(), metadata=shown_if(RecordKind.REFERRALS, withheld=())
    )
    history: tuple[HistoryEntry, ...] = field(
        default=(), metadata=shown_if(RecordKind.REFERRALS, withheld=())
    )
    restricted: bool = False

    @property
    def needs_strategy(self) -> bool:
        return self.decision == Decision.STRATEGY_DISCUSSION and self.strategy_held_at is None


def _build(
    conn: Connection,
    rows: list[store.ContactRecord],
    now: datetime,
    *,
    detail: bool,
) -> list[Contact]:
    ids = [r.id for r in rows]
    statuses = status_changes(conn, ids) if ids else {}
    decisions = store.decisions(conn, ids)
    names = people_names(conn, [r.person_id for r in rows])
    out = []
    for r in rows:
        rid = r.id
        changes = statuses.get(rid, [])
        decided = [c.changed_at for c in changes if c.status in DECISION_STATUSES]
        made_at: datetime = r.made_at
        due = due_for(made_at, str(r.rag)) if r.rag else None
        d = decisions.get(rid)
        needed, held = strategy_times((c.status, c.changed_at) for c in changes)
        strategy = Clock(strategy_due_for(needed), held, now) if needed is not None else None
        requests: tuple[InfoRequest, ...] = ()
        history: tuple[HistoryEntry, ...] = ()
        if detail:
            requests = tuple(
                InfoRequest(
                    q.id, q.agency, q.question, q.asked_by, q.asked_at, q.due_at,
                    q.answered_at, q.answer, Clock(q.due_at, q.answered_at, now),
                )
                for q in store.requests(conn, rid)
            )  # fmt: skip
            history = _history(made_at, str(r.rag or ""), changes, requests, d)
        out.append(
            Contact(
                id=rid,
                person_id=r.person_id,
                rag=r.rag,
                made_at=made_at,
                source=r.agency,
                clock=Clock(due, min(decided) if decided else None, now),
                status=changes[-1].status if changes else None,
                decision=d.decision if d else None,
                decision_label=DECISION_LABELS.get(Decision(d.decision)) if d else None,
                strategy_outcome=d.strategy_outcome if d else None,
                strategy_held_at=d.strategy_held_at if d else None,
                strategy_clock=strategy,
                name=names.get(r.person_id, ""),
                summary=str(r.reason or ""),
                rationale=str(d.rationale) if d else "",
                requests=requests,
                history=history,
            )
        )
    return out


def _history(
    made_at: datetime,
    rag: str,
    changes: list[StatusChange],
    requests: tuple[InfoRequest, ...],
    d: store.DecisionRecord | None,
) -> tuple[HistoryEntry, ...]:
    items = [HistoryEntry(made_at, f"Contact made, rated {rag or 'not rated'}")]
    items += [
        HistoryEntry(c.changed_at, f"Status: {c.status.replace('_', ' ')}", c.changed_by)
        for c in changes
        if c.status != "strategy_discussion_held"  # shown below with its outcome
    ]
    for q in requests:
        items.append(HistoryEntry(q.asked_at, f"Information asked of {q.agency}", q.asked_by))
        if q.answered_at:
            items.append(HistoryEntry(q.answered_at, f"{q.agency} answered"))
    if d is not None:
        label = DECISION_LABELS.get(Decision(str(d.decision)), str(d.decision))
        items.append(HistoryEntry(d.decided_at, f"Decision: {label}", d.decided_by))
        if d.strategy_held_at is not None:
            outcome = STRATEGY_LABELS.get(StrategyOutcome(str(d.strategy_outcome)), "")
            items.append(
                HistoryEntry(
                    d.strategy_held_at,
                    f"Strategy discussion held: {outcome}",
                    d.strategy_recorded_by,
                )
            )
    items.sort(key=lambda h: h.at)
    return tuple(items)


def people_names(conn: Connection, person_ids: list[int]) -> dict[int, str]:
    return person_records.display_names(conn, person_ids)


def _shown(conn: Connection, actor: Actor, contacts: list[Contact], now: datetime) -> list[Contact]:
    seen = access.person_access(conn, actor, [c.person_id for c in contacts], now)
    out = []
    for c in contacts:
        resource = seen.get(c.person_id)
        if resource is None:
            continue
        view = sight(actor, resource)
        if view.nothing and not view.reason_needed:
            continue
        out.append(project(replace(c, restricted=resource.restricted), view))
    return out


def open_contacts(
    uow: UnitOfWork, *, now: datetime | None = None, limit: int = 200
) -> list[Contact]:
    """Contacts awaiting a decision (or a strategy discussion), the most urgent clock first;
    audited as a consultation of the people shown."""
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.TRIAGE_CONTACTS)
    now = _now(now)
    rows = store.open_contacts(
        conn,
        decision_statuses=DECISION_STATUSES,
        awaiting_decision=Decision.STRATEGY_DISCUSSION.value,
        limit=limit,
    )
    found = _shown(conn, actor, _build(conn, rows, now, detail=False), now)
    far = datetime.max.replace(tzinfo=UTC)
    found.sort(key=lambda c: (c.clock.due_at or far, c.id))
    consulted = [c.person_id for c in found if not c.restricted]
    if consulted:
        _audit(
            uow, "mash.list", AuditCategory.CONSULTATION, [c.id for c in found],
            list(dict.fromkeys(consulted)), "MASH triage",
        )  # fmt: skip
    return found


def _one(conn: Connection, referral_id: int, now: datetime) -> Contact:
    found = store.contact(conn, referral_id)
    if found is None:
        raise NotFound(f"no MASH contact {referral_id}")
    return _build(conn, [found], now, detail=True)[0]


def get_contact(uow: UnitOfWork, *, referral_id: int, now: datetime | None = None) -> Contact:
    """One contact with its clock, requests, decision and history (audited).

    Raises:
        NotFound: no such MASH contact.
        BreakGlassRequired: the person is restricted and the actor has not broken glass.
    """
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.TRIAGE_CONTACTS)
    now = _now(now)
    contact = _checked(conn, actor, referral_id, now)
    _audit(
        uow, "mash.view", AuditCategory.CONSULTATION, [contact.id], [contact.person_id],
        "MASH triage",
    )  # fmt: skip
    return contact


def _checked(conn: Connection, actor: Actor, referral_id: int, now: datetime) -> Contact:
    """The contact, after the record-level check on its person (restricted: break glass)."""
    pid = store.referral_person(conn, referral_id)
    if pid is None:
        raise NotFound(f"no MASH contact {referral_id}")
    resource = access.person_resource(conn, actor, pid, now)
    ensure(actor, Action.TRIAGE_CONTACTS, resource)
    return project(replace(_one(conn, referral_id, now), restricted=resource.restricted),
                   sight(actor, resource))  # fmt: skip


# --- changing -----------------------------------------------------------------------------


class FormInvalid(Exception):
    """A form with field errors: nothing was stored. ``errors`` maps field id to message."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _text(value: str | None, field: str, errors: Errors, *, least: int, most: int) -> str:
    text = (value or "").strip()
    if len(text) < least:
        errors[field] = (
            f"Enter the {field.replace('_', ' ')}" if not text else f"At least {least} characters"
        )
    elif len(text) > most:
        errors[field] = f"At most {most} characters"
    return text


def record_contact(
    uow: UnitOfWork,
    *,
    person_id: int | None,
    source: str | None,
    agency: str | None,
    event_id: int | None,
    rag: str | None,
    summary: str | None,
    now: datetime | None = None,
) -> int:
    """Record a contact about a person and rate it; its clock starts now.

    Raises:
        FormInvalid: every field's problem at once; nothing is stored.
    """
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.TRIAGE_CONTACTS)
    now = _now(now)
    errors: Errors = {}
    mids: list[int] = []
    if person_id is None:
        errors["person_id"] = "Enter the person's id (from their profile)"
    else:
        try:
            mids = people.mention_ids_of(conn, person_id)
        except NotFound:
            errors["person_id"] = f"There is no person {person_id}"
    try:
        src = ContactSource(source or "")
    except ValueError:
        errors["source"] = "Choose where the contact came from"
        src = None
    try:
        rating = Rag(rag or "")
    except ValueError:
        errors["rag"] = "Choose a RAG rating"
        rating = None
    who = (agency or "").strip()
    if src is ContactSource.PARTNER and not who:
        errors["agency"] = "Enter the partner agency that made the contact"
    if len(who) > 64:
        errors["agency"] = "At most 64 characters"
    if src is ContactSource.INCIDENT:
        if event_id is None:
            errors["event_id"] = "Enter the incident number"
        elif not store.incident_exists(conn, event_id):
            errors["event_id"] = f"There is no incident {event_id}"
    text = _text(summary, "summary", errors, least=10, most=4000)
    if errors:
        raise FormInvalid(errors)
    assert person_id is not None and src is not None and rating is not None
    ensure(actor, Action.TRIAGE_CONTACTS, access.person_resource(conn, actor, person_id, now))
    origin = who if src is ContactSource.PARTNER else str(src)
    referral_id = insert_record(
        conn,
        "referral",
        {
            "subject_id": mids[0],
            "event_id": event_id if src is ContactSource.INCIDENT else None,
            "referral_type": "mash",
            "rag": str(rating),
            "agency": origin,
            "made_at": now,
            "made_by": actor.username,
            "reason": text,
        },
        now,
    )
    insert_record(
        conn,
        "referral_status",
        {
            "referral_id": referral_id,
            "status": "received",
            "changed_at": now,
            "changed_by": actor.username,
            "note": f"Rated {rating}",
        },
        now,
    )
    _audit(
        uow, "mash.contact", AuditCategory.COLLECTION, [referral_id], [person_id],
        rag=str(rating), source=str(src),
    )  # fmt: skip
    logger.info("MASH contact %s recorded by user %s", referral_id, actor.user_id)
    return referral_id


def _open_for_change(conn: Connection, actor: Actor, referral_id: int, now: datetime) -> Contact:
    ensure(actor, Action.TRIAGE_CONTACTS)
    return _checked(conn, actor, referral_id, now)


def ask_partner(
    uow: UnitOfWork,
    *,
    referral_id: int,
    agency: str | None,
    question: str | None,
    clock: str | None,
    now: datetime | None = None,
) -> int:
    """Ask a partner agency for information, due within one of the force's MASH clocks.

    Raises:
        FormInvalid: a missing agency, question or due time; nothing is stored.
        InvalidTransition: the contact is already decided.
    """
    conn, actor = uow.conn, uow.user
    now = _now(now)
    contact = _open_for_change(conn, actor, referral_id, now)
    errors: Errors = {}
    who = _text(agency, "agency", errors, least=2, most=64)
    text = _text(question, "question", errors, least=5, most=2000)
    hours = dict(request_hours())
    if clock not in hours:
        errors["clock"] = "Choose when the answer is due"
    if errors:
        raise FormInvalid(errors)
    if contact.clock.done_at is not None:
        raise InvalidTransition(f"contact {referral_id} is decided; no more requests")
    config = default_assessor().config
    due = config.calendar.add_working_hours(now, hours[str(clock)])
    request_id = store.insert_request(
        conn, referral_id=referral_id, agency=who, question=text, asked_by=actor.username,
        asked_at=now, due_at=due,
    )  # fmt: skip
    _audit(
        uow, "mash.request", AuditCategory.DISCLOSURE, [referral_id], [contact.person_id],
        "MASH information request", recipient=who, request_id=request_id,
    )  # fmt: skip
    return request_id


def record_answer(
    uow: UnitOfWork,
    *,
    referral_id: int,
    request_id: int,
    answer: str | None,
    now: datetime | None = None,
) -> None:
    """Record a partner agency's answer to a request (once).

    Raises:
        FormInvalid: no answer; InvalidTransition: already answered; NotFound: no request.
    """
    conn, actor = uow.conn, uow.user
    now = _now(now)
    contact = _open_for_change(conn, actor, referral_id, now)
    errors: Errors = {}
    text = _text(answer, "answer", errors, least=2, most=4000)
    if errors:
        raise FormInvalid(errors)
    asked = store.request(conn, referral_id, request_id)
    if asked is None:
        raise NotFound(f"no request {request_id} on contact {referral_id}")
    if asked.answered_at is not None:
        raise InvalidTransition(f"request {request_id} is already answered")
    store.record_answer(conn, request_id, at=now, answer=text)
    _audit(
        uow, "mash.answer", AuditCategory.COLLECTION, [referral_id], [contact.person_id],
        request_id=request_id,
    )  # fmt: skip


def decide(
    uow: UnitOfWork,
    *,
    referral_id: int,
    decision: str | None,
    rationale: str | None,
    now: datetime | None = None,
) -> int:
    """Record the MASH decision with its rationale; its clock stops now and the person is
    re-assessed at once (the MASH-RAG-DECISION finding updates). Returns the findings raised or
    changed.

    Raises:
        FormInvalid: no decision chosen or no rationale; nothing is stored.
        InvalidTransition: already decided.
    """
    from safeguard.services.assessment_forms import reassess

    conn, actor = uow.conn, uow.user
    now = _now(now)
    contact = _open_for_change(conn, actor, referral_id, now)
    errors: Errors = {}
    try:
        chosen = Decision(decision or "")
    except ValueError:
        errors["decision"] = "Choose a decision"
        chosen = None
    text = _text(rationale, "rationale", errors, least=10, most=4000)
    if errors:
        raise FormInvalid(errors)
    assert chosen is not None
    if contact.clock.done_at is not None or contact.decision is not None:
        raise InvalidTransition(f"contact {referral_id} is already decided")
    store.insert_decision(
        conn, referral_id=referral_id, decision=str(chosen), rationale=text,
        decided_by=actor.username, decided_at=now,
    )  # fmt: skip
    insert_record(
        conn,
        "referral_status",
        {
            "referral_id": referral_id,
            "status": "decision_made",
            "changed_at": now,
            "changed_by": actor.username,
            "note": DECISION_LABELS[chosen],
        },
        now,
    )
    if chosen == Decision.STRATEGY_DISCUSSION:  # starts the MASH-STRATEGY-DISCUSSION clock
        _status(conn, referral_id, "strategy_discussion_needed", now, actor.username, now)
    _audit(
        uow, "mash.decision", AuditCategory.ALTERATION, [referral_id],
        [contact.person_id], decision=str(chosen),
    )  # fmt: skip
    return reassess(conn, people.mention_ids_of(conn, contact.person_id), now)


def _status(
    conn: Connection, referral_id: int, status: str, at: datetime, by: str, now: datetime
) -> None:
    insert_record(
        conn,
        "referral_status",
        {"referral_id": referral_id, "status": status, "changed_at": at, "changed_by": by},
        now,
    )


def hold_strategy(
    uow: UnitOfWork,
    *,
    referral_id: int,
    held_at: datetime | None,
    attendees: str | None,
    outcome: str | None,
    now: datetime | None = None,
) -> int:
    """Record the strategy discussion a section 47 route needs: when, who, what was decided.
    Its clock (MASH-STRATEGY-DISCUSSION) stops at the time it was held and the person is
    re-assessed at once. Returns the findings raised or changed.

    Raises:
        FormInvalid: a missing or impossible time, no attendees, no outcome.
        InvalidTransition: the contact's decision was not a strategy discussion, or it is held.
    """
    from safeguard.services.assessment_forms import reassess

    conn, actor = uow.conn, uow.user
    now = _now(now)
    contact = _open_for_change(conn, actor, referral_id, now)
    if contact.decision != Decision.STRATEGY_DISCUSSION or contact.strategy_held_at is not None:
        raise InvalidTransition(f"contact {referral_id} has no strategy discussion to record")
    errors: Errors = {}
    decided = contact.clock.done_at
    if held_at is None:
        errors["held_at"] = "Enter when the strategy discussion was held"
    elif held_at > now:
        errors["held_at"] = "The strategy discussion cannot be in the future"
    elif decided is not None and held_at < decided:
        errors["held_at"] = "The strategy discussion cannot be before the decision"
    who = _text(attendees, "attendees", errors, least=3, most=1000)
    try:
        result = StrategyOutcome(outcome or "")
    except ValueError:
        errors["outcome"] = "Choose the outcome"
        result = None
    if errors:
        raise FormInvalid(errors)
    assert result is not None
    assert held_at is not None
    store.record_strategy(
        conn, referral_id, held_at=held_at, outcome=str(result), attendees=who,
        recorded_by=actor.username,
    )  # fmt: skip
    _status(conn, referral_id, "strategy_discussion_held", held_at, actor.username, now)
    _audit(
        uow, "mash.strategy", AuditCategory.ALTERATION, [referral_id],
        [contact.person_id], outcome=str(result),
    )  # fmt: skip
    return reassess(conn, people.mention_ids_of(conn, contact.person_id), now)
