"""The audit log of a person as the API shows it, and the audit of reading it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Connection

from safeguard.adapters.db.audit import append_audit
from safeguard.domain.access import Actor
from safeguard.domain.audit import AuditCategory, AuditEntry, StoredAuditEntry
from safeguard.web.api.models import AuditEntryOut


def audit_entries(entries: Sequence[StoredAuditEntry]) -> list[AuditEntryOut]:
    return [
        AuditEntryOut(
            seq=s.seq,
            at=s.at,
            actor=s.entry.actor,
            actor_role=s.entry.actor_role,
            action=s.entry.action,
            category=str(s.entry.category),
            justification=s.entry.justification,
            recipient=s.entry.recipient,
            why_refused=str(s.entry.detail.get("why"))
            if s.entry.category is AuditCategory.REFUSED
            else None,
        )
        for s in entries
    ]


def record_audit_view(conn: Connection, actor: Actor, person_id: int) -> None:
    """Reading who looked at a person is itself a consultation of that person's log."""
    append_audit(
        conn,
        AuditEntry(
            actor=actor.audit_name,
            actor_role=str(actor.role),
            action="audit.view",
            category=AuditCategory.CONSULTATION,
            record_type="audit_log",
            record_ids=[str(person_id)],
            person_ids=[person_id],
            justification="Reviewing who consulted this person",
        ),
    )
