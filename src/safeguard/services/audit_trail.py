"""Audit entries for access decisions that are not themselves processing: refusals, bad
requests, sign-ins, exports. Each is written through the one audit log
(``safeguard.adapters.db.audit``).

A refused or invalid request writes nothing else: its transaction is rolled back first, then
its entry is committed on the audit appender's own connection (``record_apart``), so the
refusal is on the record although the request failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.audit import AuditAppender, append_audit, who_viewed
from safeguard.domain.access import Action, Actor, Principal, Refused, recorded_as
from safeguard.domain.audit import AuditCategory, AuditEntry, StoredAuditEntry
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)
ANONYMOUS = "anonymous"


def _who(actor: Actor | None) -> tuple[str, str | None]:
    return (recorded_as(actor), str(actor.role)) if actor else (ANONYMOUS, None)


def refusal(
    actor: Actor | None,
    *,
    why: str,
    attempted: str,
    route: str,
    person_id: int | None = None,
    code: str = "forbidden",
) -> AuditEntry:
    """A refused attempt: who, what they tried (an action or a route), why it was refused."""
    name, role = _who(actor)
    people = [person_id] if person_id is not None else []
    return AuditEntry(
        actor=name,
        actor_role=role,
        action="access.refused",
        category=AuditCategory.REFUSED,
        record_type="person" if people else "route",
        record_ids=[str(p) for p in people] or [route],
        person_ids=people,
        detail={"attempted": attempted, "why": why[:300], "route": route, "code": code},
    )


def refusal_of(exc: Refused, route: str, code: str) -> AuditEntry:
    return refusal(
        exc.actor,
        why=exc.why,
        attempted=str(exc.action),
        route=route,
        person_id=exc.person_id,
        code=code,
    )


def invalid_request(
    actor: Actor | None, *, route: str, problems: Sequence[str], status: int
) -> AuditEntry:
    """A request refused as invalid (a missing or unknown field...): field names and messages
    only, never the values sent."""
    name, role = _who(actor)
    return AuditEntry(
        actor=name,
        actor_role=role,
        action="request.invalid",
        category=AuditCategory.REFUSED,
        record_type="route",
        record_ids=[route],
        detail={"route": route, "status": status, "problems": [p[:200] for p in problems[:20]]},
    )


def sign_in(
    *, user_id: int | None, role: str | None, outcome: str, source: str, trusted: bool
) -> AuditEntry:
    """A sign-in attempt. ``outcome``: signed_in, unknown_user, wrong_password, locked,
    inactive, throttled. The username typed is not kept for unknown users (it may be a
    password typed in the wrong box)."""
    return AuditEntry(
        actor=f"user:{user_id}" if user_id is not None else ANONYMOUS,
        actor_role=role,
        action="auth.sign_in" if outcome == "signed_in" else "auth.sign_in_failed",
        category=AuditCategory.AUTHENTICATION,
        record_type="user",
        record_ids=[str(user_id)] if user_id is not None else [],
        detail={"outcome": outcome, "source": source[:64], "trusted_browser": trusted},
    )


def sign_out(actor: Actor) -> AuditEntry:
    return AuditEntry(
        actor=recorded_as(actor),
        actor_role=str(actor.role),
        action="auth.sign_out",
        category=AuditCategory.AUTHENTICATION,
        record_type="user",
        record_ids=[str(actor.user_id)],
    )


def export(
    actor: Principal, *, what: str, records: Sequence[str], justification: str, **detail: object
) -> AuditEntry:
    """A report or file written out of the system (board report, quarantine export...), by
    ``actor``: the checked account or the declared job (never a name somebody typed)."""
    return AuditEntry(
        actor=recorded_as(actor),
        actor_role=actor.audit_role,
        action=f"export.{what}",
        category=AuditCategory.EXPORT,
        record_type=what,
        record_ids=list(records),
        justification=justification,
        detail=dict(detail),
    )


def record(conn: Connection, entry: AuditEntry) -> int:
    """Write ``entry`` in the caller's transaction (committed with the action it records)."""
    return append_audit(conn, entry)


def record_apart(target: AuditAppender | Engine, entry: AuditEntry) -> int:
    """Write and commit ``entry`` on its own, for a request whose own transaction failed."""
    if isinstance(target, AuditAppender):
        return target.append(entry)
    with target.begin() as conn:
        return append_audit(conn, entry)


def person_log(uow: UnitOfWork, person_id: int, *, limit: int = 500) -> list[StoredAuditEntry]:
    """Who consulted or changed a person's records, when and why, and who was refused (newest
    first). Reading it is itself a consultation of the person's log, audited (``audit.view``).

    Raises:
        Refused: the account may not view the audit log (supervisors and administrators may).
        PermissionDenied: a system job.
    """
    uow.ensure(Action.VIEW_AUDIT)
    entries = who_viewed(uow.conn, person_id)[:limit]
    uow.audit(
        "audit.view",
        AuditCategory.CONSULTATION,
        "audit_log",
        record_ids=[person_id],
        person_ids=[person_id],
        justification="Reviewing who consulted this person",
    )
    return entries
