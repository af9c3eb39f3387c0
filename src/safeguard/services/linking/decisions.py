"""Analysts' decisions about links: the review queue, confirm (a must-link), split (a
cannot-link) and undo. Decisions are stored, audited in the same transaction, obeyed by every
later run, and undoable."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import linkage as store
from safeguard.adapters.db import review_queue as queue
from safeguard.adapters.db.review_queue import ReviewItem
from safeguard.domain.access import Action, Actor, ensure, recorded_as
from safeguard.domain.audit import AuditCategory
from safeguard.domain.linking import Constraints
from safeguard.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from safeguard.services import access
from safeguard.services.unit_of_work import UnitOfWork


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def review_queue(engine: Engine, *, limit: int = 50) -> list[ReviewItem]:
    """Open review items, most important first."""
    with engine.connect() as conn:
        return queue.open_items(conn, limit=limit)


def _pair(
    conn: Connection, review_id: int | None, mentions: tuple[int, int] | None
) -> tuple[int, int, int | None]:
    if review_id is not None:
        row = queue.item(conn, review_id)
        if row is None:
            raise NotFound(f"review item {review_id}")
        if row.status != "open":
            raise InvalidTransition(f"review item {review_id} is already {row.status}")
        return row.mention_id_l, row.mention_id_r, review_id
    if mentions is None:
        raise ValidationFailed("give a review item or two mention ids")
    a, b = Constraints.pair(*mentions)
    if a == b:
        raise ValidationFailed("a mention is always linked to itself")
    found = queue.count_mentions(conn, [a, b])
    if found != 2:
        raise NotFound(f"mentions {a} and {b}")
    return a, b, None


def _record_decision(
    conn: Connection,
    *,
    kind: str,
    a: int,
    b: int,
    actor: Actor,
    reason: str,
    review_id: int | None,
    before: Mapping[int, int],
    at: datetime,
) -> int:
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason")
    active = queue.active_kind(conn, a, b)
    if active is not None:
        raise Conflict(f"mentions {a} and {b} already have a {active} decision; undo it first")
    decision_id = queue.add_decision(
        conn,
        kind=kind,
        a=a,
        b=b,
        actor=recorded_as(actor),
        reason=reason,
        at=at,
        review_id=review_id,
        before=json.dumps({str(m): p for m, p in before.items()}, sort_keys=True),
    )
    if review_id is not None:
        status = "confirmed" if kind == store.MUST else "split"
        queue.mark_decided(conn, review_id, status=status, decision_id=decision_id)
    return decision_id


def _ensure_person(conn: Connection, mention: int, at: datetime) -> int:
    """The mention's person; a mention linking has not seen yet becomes its own person."""
    person = store.person_of(conn, mention)
    if person is None:
        person = store.new_people(conn, 1, at)[0]
        store.write_links(conn, {mention: person}, {}, previous={}, model_version=None, at=at)
    return person


def may_decide(uow: UnitOfWork, mentions: Iterable[int]) -> None:
    """May the unit's account decide about these records? Their people must be open to it: a
    restricted person needs break glass first (BreakGlassRequired)."""
    actor = uow.user
    people = {p for m in mentions if (p := store.person_of(uow.conn, m)) is not None}
    for resource in access.person_access(uow.conn, actor, people).values():
        ensure(actor, Action.REVIEW_LINKS, resource)


def confirm_link(
    engine: Engine,
    *,
    actor: Actor,
    reason: str,
    review_id: int | None = None,
    mentions: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> int:
    """An analyst confirms two mentions are one person: their people merge now, and every later
    run keeps them together (a must-link). Audited in the same transaction. Returns the decision.

    Raises:
        Refused: the account may not review links, or may not see one of the two people.
    """
    at = _now(now)
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.REVIEW_LINKS)
        a, b, review_id = _pair(conn, review_id, mentions)
        may_decide(uow, (a, b))
        pa_, pb = _ensure_person(conn, a, at), _ensure_person(conn, b, at)
        ma, mb = store.mentions_of(conn, pa_), store.mentions_of(conn, pb)
        before = dict.fromkeys(ma, pa_) | dict.fromkeys(mb, pb)
        keep, gone = (pa_, mb) if (len(ma), -pa_) >= (len(mb), -pb) else (pb, ma)
        decision = _record_decision(
            conn,
            kind=store.MUST,
            a=a,
            b=b,
            actor=actor,
            reason=reason,
            review_id=review_id,
            before=before,
            at=at,
        )
        if pa_ != pb:
            store.move_mentions(conn, dict.fromkeys(gone, keep), at)
        uow.audit(
            "link.confirm",
            AuditCategory.COMBINATION,
            "person_mention",
            record_ids=[a, b],
            person_ids=sorted({pa_, pb}),
            detail={"decision_id": decision, "review_id": review_id, "kept_person": keep},
            at=at,
        )
    return decision


def split_link(
    engine: Engine,
    *,
    actor: Actor,
    reason: str,
    review_id: int | None = None,
    mentions: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> int:
    """An analyst decides two mentions are different people: if they share a person, the second
    mention (with the mentions confirmed to be the same as it) moves to a new person now, and
    every later run keeps them apart (a cannot-link). Audited in the same transaction.

    Raises:
        Refused: the account may not review links, or may not see one of the two people.
    """
    at = _now(now)
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.REVIEW_LINKS)
        a, b, review_id = _pair(conn, review_id, mentions)
        may_decide(uow, (a, b))
        pa_, pb = _ensure_person(conn, a, at), _ensure_person(conn, b, at)
        before = dict.fromkeys(store.mentions_of(conn, pa_), pa_)
        before |= dict.fromkeys(store.mentions_of(conn, pb), pb)
        moved: list[int] = []
        if pa_ == pb:
            must = store.active_constraints(conn).must_link
            moved = _must_linked_group(b, set(before), must)
            if a in moved:
                raise Conflict(f"mentions {a} and {b} are confirmed as one person; undo that first")
        decision = _record_decision(
            conn,
            kind=store.CANNOT,
            a=a,
            b=b,
            actor=actor,
            reason=reason,
            review_id=review_id,
            before=before,
            at=at,
        )
        new_person = None
        if moved:
            new_person = store.new_people(conn, 1, at)[0]
            store.move_mentions(conn, dict.fromkeys(moved, new_person), at)
        uow.audit(
            "link.split",
            AuditCategory.ALTERATION,
            "person_mention",
            record_ids=[a, b],
            person_ids=sorted({pa_, pb} | ({new_person} if new_person else set())),
            detail={"decision_id": decision, "review_id": review_id, "moved": moved},
            at=at,
        )
    return decision


def _must_linked_group(start: int, within: set[int], must: frozenset[tuple[int, int]]) -> list[int]:
    neighbours: dict[int, set[int]] = defaultdict(set)
    for x, y in must:
        if x in within and y in within:
            neighbours[x].add(y)
            neighbours[y].add(x)
    seen, todo = {start}, [start]
    while todo:
        for n in neighbours[todo.pop()]:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return sorted(seen)


def undo_decision(
    engine: Engine,
    *,
    actor: Actor,
    decision_id: int,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Revoke a confirm or split: the mentions go back to the people they had before it, and later
    runs no longer apply the constraint. The decision row stays, marked revoked; audited.

    Raises:
        Refused: the account may not review links, or may not see one of the people.
    """
    at = _now(now)
    if not reason.strip():
        raise ValidationFailed("undoing a decision needs a reason")
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.REVIEW_LINKS)
        row = queue.decision(conn, decision_id)
        if row is None:
            raise NotFound(f"link decision {decision_id}")
        if row.revoked_at is not None:
            raise InvalidTransition(f"link decision {decision_id} was already undone")
        before = {int(m): int(p) for m, p in json.loads(row.before).items()}
        may_decide(uow, before)
        current = {m: store.person_of(conn, m) for m in before}
        store.move_mentions(conn, {m: p for m, p in before.items() if current[m] != p}, at)
        queue.revoke(conn, decision_id, at=at, by=recorded_as(actor))
        if row.review_id is not None:
            queue.reopen(conn, row.review_id)
        people = sorted(set(before.values()) | {p for p in current.values() if p is not None})
        uow.audit(
            "link.undo",
            AuditCategory.ALTERATION,
            "link_decision",
            record_ids=[decision_id],
            person_ids=people,
            detail={"kind": row.kind, "reason_code": "analyst_undo"},
            at=at,
        )
