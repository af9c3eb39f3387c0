"""The unit of work: one transaction, who it runs for, and the one way to audit inside it.

A use case that changes or consults people's records takes a ``UnitOfWork``: its connection is
the transaction, its actor is the checked account (``accounts.actor_named``, a web session or an
API token) or a named ``SystemJob``, and ``audit`` writes the section 62 entry on that same
connection, so the change and its audit row commit or roll back together::

    with UnitOfWork.begin(engine, actor) as uow:
        uow.ensure(Action.REVIEW_LINKS)
        ...  # changes on uow.conn
        uow.audit("link.confirm", AuditCategory.COMBINATION, "person_mention", record_ids=[a, b])

``UnitOfWork.begin`` owns the transaction (committed when the block ends, rolled back if it
raises); ``UnitOfWork(conn, actor)`` joins one its caller owns, such as the web's transaction per
request. Consultations on a request that has written nothing may go through the group-commit
appender instead (``consult``), as ``record_consultation`` decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.audit import AuditAppender, append_audit, record_consultation
from safeguard.adapters.db.finding_sync import RULES_ENGINE
from safeguard.domain.access import (
    Action,
    Actor,
    Principal,
    Resource,
    SystemJob,
    ensure,
    recorded_as,
)
from safeguard.domain.audit import AuditCategory, AuditEntry
from safeguard.errors import PermissionDenied, ValidationFailed

__all__ = ["BATCH_JOBS", "DECLARED_JOBS", "Principal", "UnitOfWork", "authorize", "batch_job"]

# The batch jobs a run may be recorded under when no account is named: declared here, so a run
# is never audited under a name somebody typed.
OPERATOR_RUN = SystemJob("cli")  # started by an operator at the command line
SCHEDULED_RUN = SystemJob("nightly")  # started by the scheduler (cron, a systemd timer)
BATCH_JOBS: dict[str, SystemJob] = {j.name: j for j in (OPERATOR_RUN, SCHEDULED_RUN)}
DEMO_RUN = SystemJob("demo")  # `safeguard demo` building its own database (development only)
# Every system job a use case accepts: the batch jobs, the demo, and the rules engine's own
# re-assessment after a record or a form is stored. Any other SystemJob is refused.
DECLARED_JOBS: frozenset[SystemJob] = frozenset({*BATCH_JOBS.values(), DEMO_RUN, RULES_ENGINE})


def batch_job(name: str) -> SystemJob:
    """The declared batch job called ``name``.

    Raises:
        ValidationFailed: no batch job has that name (the message lists those that do).
    """
    job = BATCH_JOBS.get(name.strip())
    if job is None:
        known = ", ".join(BATCH_JOBS)
        raise ValidationFailed(
            f"actor: {name!r} is not a declared batch job ({known}); "
            "to act as a person, name an account with --as"
        )
    return job


def authorize(principal: Principal, action: Action) -> Principal:
    """The check a use case that is not one transaction (a batch run) makes before it writes
    anything: an account must be granted ``action`` by the policy (``access.ensure``); a system
    job must be a declared one (``DECLARED_JOBS``). Returns ``principal``.

    Raises:
        Refused: the account's role is not granted ``action``.
        PermissionDenied: the system job is not declared.
    """
    if isinstance(principal, SystemJob):
        if principal not in DECLARED_JOBS:
            known = ", ".join(sorted(j.name for j in DECLARED_JOBS))
            raise PermissionDenied(
                f"system job {principal.name!r} is not declared ({known}); "
                "name an account with --as or a declared batch job"
            )
        return principal
    ensure(principal, action)
    return principal


class UnitOfWork:
    """A transaction (``conn``) done on behalf of ``actor``.

    Args:
        conn: the connection whose transaction the work is done in.
        actor: the checked account, or the system job, the work is done for.
    """

    __slots__ = ("actor", "conn")

    def __init__(self, conn: Connection, actor: Principal) -> None:
        self.conn = conn
        self.actor = actor

    @classmethod
    @contextmanager
    def begin(cls, engine: Engine, actor: Principal) -> Iterator[UnitOfWork]:
        """A new transaction: committed when the block ends, rolled back if it raises."""
        with engine.begin() as conn:
            yield cls(conn, actor)

    @property
    def user(self) -> Actor:
        """The account the work is done for.

        Raises:
            PermissionDenied: the work is a system job's, not a person's.
        """
        if isinstance(self.actor, SystemJob):
            raise _refused_job(self.actor)
        return self.actor

    def ensure(self, action: Action, resource: Resource | None = None) -> Actor:
        """The policy's check (``access.ensure``) for this unit's account; returns the account.

        Raises:
            Refused: the policy says no.
            PermissionDenied: the work is a system job's.
            BreakGlassRequired: the person is restricted and a reason would do.
        """
        actor = self.user
        ensure(actor, action, resource)
        return actor

    def entry(
        self,
        action: str,
        category: AuditCategory,
        record_type: str,
        *,
        record_ids: Iterable[object] = (),
        person_ids: Iterable[int] = (),
        justification: str | None = None,
        recipient: str | None = None,
        detail: Mapping[str, object] | None = None,
    ) -> AuditEntry:
        """The audit entry of an operation done by this unit's actor (not yet written)."""
        return AuditEntry(
            actor=recorded_as(self.actor),
            actor_role=self.actor.audit_role,
            action=action,
            category=category,
            record_type=record_type,
            record_ids=[str(r) for r in record_ids],
            person_ids=[int(p) for p in person_ids],
            justification=justification,
            recipient=recipient,
            detail=dict(detail or {}),
        )

    def audit(
        self,
        action: str,
        category: AuditCategory,
        record_type: str,
        *,
        record_ids: Iterable[object] = (),
        person_ids: Iterable[int] = (),
        justification: str | None = None,
        recipient: str | None = None,
        detail: Mapping[str, object] | None = None,
        at: datetime | None = None,
    ) -> int:
        """Write the audit entry in this unit's transaction; returns its sequence number.

        Raises:
            ValueError: a consultation or disclosure without a justification, or a disclosure
                without a recipient (``AuditEntry``'s own checks).
        """
        entry = self.entry(
            action,
            category,
            record_type,
            record_ids=record_ids,
            person_ids=person_ids,
            justification=justification,
            recipient=recipient,
            detail=detail,
        )
        return append_audit(self.conn, entry, at=at)

    def consult(
        self,
        appender: AuditAppender | None,
        action: str,
        record_type: str,
        *,
        justification: str,
        record_ids: Iterable[object] = (),
        person_ids: Iterable[int] = (),
        detail: Mapping[str, object] | None = None,
    ) -> int:
        """Audit a consultation before its result is shown: through ``appender`` (group commit)
        when given and this transaction has written nothing, otherwise in this transaction."""
        entry = self.entry(
            action,
            AuditCategory.CONSULTATION,
            record_type,
            record_ids=record_ids,
            person_ids=person_ids,
            justification=justification,
            detail=detail,
        )
        return record_consultation(self.conn, entry, appender)


def _refused_job(job: SystemJob) -> PermissionDenied:
    return PermissionDenied(f"system job {job.name!r} may not do what only an account may")
