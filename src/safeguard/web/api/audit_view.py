"""The audit log of a person as the API shows it (read by ``audit_trail.person_log``)."""

from __future__ import annotations

from collections.abc import Sequence

from safeguard.domain.audit import AuditCategory, StoredAuditEntry
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
