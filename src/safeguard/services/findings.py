"""Findings (breaches and risks the rules engine found) for people and worklists, and acting on
them. Storage, status changes and their audit belong to the rules capability
(``safeguard.adapters.db.findings``, ``safeguard.services.assessment``); this module adds the
access checks and reads within the request's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import findings as store
from safeguard.domain.access import Action, Actor, can, ensure
from safeguard.domain.audit import AuditCategory
from safeguard.errors import ValidationFailed
from safeguard.services import access
from safeguard.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class FindingChangeView:
    """One entry of a finding's history: when, what changed, the status after, who, why."""

    at: datetime
    change: str
    status: str
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class FindingView:
    id: int
    rule_id: str
    category: str
    kind: str
    severity: str
    status: str
    due_at: datetime | None
    explanation: str
    person_id: int | None
    person_key: str
    first_found_at: datetime
    history: tuple[FindingChangeView, ...] = ()


def person_key(person_id: int) -> str:
    """The rules engine's key: ``P<people.id>`` or ``M<mention id>`` for an unlinked mention."""
    return f"P{person_id}" if person_id > 0 else f"M{-person_id}"


def key_to_person_id(key: str) -> int | None:
    if key[:1] == "P" and key[1:].isdigit():
        return int(key[1:])
    if key[:1] == "M" and key[1:].isdigit():
        return -int(key[1:])
    return None


def view(f: store.StoredFinding, history: list[store.FindingChange] | None = None) -> FindingView:
    return FindingView(
        id=f.id,
        rule_id=f.rule_id,
        category=f.category,
        kind=f.kind,
        severity=f.severity,
        status=f.status,
        due_at=f.due_at,
        explanation=f.explanation,
        person_id=key_to_person_id(f.person_key),
        person_key=f.person_key,
        first_found_at=f.first_found_at,
        history=tuple(
            FindingChangeView(h.at, h.change, h.status, h.actor, h.reason) for h in history or ()
        ),
    )


def for_person(conn: Connection, person_id: int) -> list[FindingView]:
    """Open and acknowledged findings of a person, most urgent first (the caller has already
    checked and audited the view of the person)."""
    found = store.query_findings(conn, person_keys=[person_key(person_id)], statuses=store.ACTIVE)
    history = store.history_of(conn, [f.finding_key for f in found])
    return [view(f, history[f.finding_key]) for f in found]


def act(engine: Engine, *, actor: Actor, finding_id: int, to: str, note: str | None) -> FindingView:
    """Acknowledge or resolve a finding (audited by the rules capability in its transaction).

    Raises:
        BreakGlassRequired: the finding is about a restricted person and the actor has not
            broken glass for them.
    """
    ensure(actor, Action.ACT_ON_FINDINGS)  # before the note is looked at
    from safeguard.services import assessment  # the rules service; heavy imports, only here

    # The rules service checks the account may act on this person's finding itself.
    if to == "acknowledge":
        done = assessment.acknowledge_finding(engine, finding_id, actor=actor, note=note)
    elif to == "resolve":
        if not (note or "").strip():
            raise ValidationFailed("note: say how the finding was resolved")
        done = assessment.resolve_finding(engine, finding_id, actor=actor, note=note)
    else:
        raise ValidationFailed(f"action: {to!r} is not acknowledge or resolve")
    with engine.connect() as conn:
        history = store.history_of(conn, [done.finding_key])[done.finding_key]
    return view(done, history)


def read_worklist(
    uow: UnitOfWork,
    name: str,
    *,
    area: str | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> list[store.StoredFinding]:
    """A rules worklist (``assessment.worklist``) as the unit's account may see it: a restricted
    person it has not broken glass for is left out; the people listed are audited as consulted.

    Raises:
        Refused: the account may not view worklists.
        ValidationFailed: no such worklist.
    """
    from safeguard.services import assessment

    actor = uow.ensure(Action.VIEW_WORKLISTS)
    found = assessment.worklist_in(uow.conn, name, area=area, team=team, limit=limit)
    seen = access.person_access(uow.conn, actor, _people(found))
    shown = []
    for f in found:
        pid = key_to_person_id(f.person_key)
        resource = seen.get(pid) if pid is not None else None
        if resource is None or can(actor, Action.VIEW_FINDINGS, resource):
            shown.append(f)
    _audit_read(uow, shown, f"Findings worklist {name.strip().lower()}", {"worklist": name})
    return shown


def read_person_findings(uow: UnitOfWork, person_key: str | int) -> list[store.StoredFinding]:
    """A person's open findings (``people.id`` or a ``P``/``M`` key), checked and audited as a
    consultation of that person.

    Raises:
        Refused: the account may not view findings, or not this person's.
        BreakGlassRequired: the person is restricted and the account has not broken glass.
    """
    from safeguard.services import assessment

    actor = uow.ensure(Action.VIEW_FINDINGS)
    key = person_key if isinstance(person_key, str) else f"P{person_key}"
    pid = key_to_person_id(key)
    if pid is not None:
        ensure(actor, Action.VIEW_FINDINGS, access.person_resource(uow.conn, actor, pid))
    found = assessment.findings_of(uow.conn, key)
    _audit_read(uow, found, "A person's open findings", {"person_key": key}, always=pid)
    return found


def _people(found: list[store.StoredFinding]) -> list[int]:
    return list(dict.fromkeys(p for f in found if (p := key_to_person_id(f.person_key))))


def _audit_read(
    uow: UnitOfWork,
    found: list[store.StoredFinding],
    why: str,
    detail: dict[str, object],
    always: int | None = None,
) -> None:
    people = _people(found) or ([always] if always is not None else [])
    if people:
        uow.audit(
            "findings.view",
            AuditCategory.CONSULTATION,
            "person",
            record_ids=people,
            person_ids=people,
            justification=why,
            detail={**detail, "findings": len(found)},
        )
