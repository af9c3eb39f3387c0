"""Triaged worklists: every open item of a list with its due time, priority, owner and state,
grouped per person, filtered and paged, with exact totals; and the one-click actions on an item
(assign to me, acknowledge, complete), each audited.

An item's due time is its procedure's deadline; a flag (no clock) is due from the incident that
raised it, never the time it was ingested. The risk model's band for a person joins the
priority through :func:`safeguard.domain.triage.priority` (``band``) once the model provides one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import assignments as owners
from safeguard.adapters.db import findings as store
from safeguard.adapters.db.audit import append_audit
from safeguard.adapters.db.tables import events
from safeguard.domain.access import Action, Actor, RecordKind, ensure, sight
from safeguard.domain.audit import AuditCategory, AuditEntry
from safeguard.domain.projection import WITHHELD_NAME, project, shown_if
from safeguard.domain.triage import (
    DueWindow,
    Page,
    PersonWork,
    Task,
    group_by_person,
    in_window,
    paginate,
    priority,
    state_of,
)
from safeguard.domain.worklists import WORKLIST_BY_CODE
from safeguard.errors import InvalidTransition, NotFound, ValidationFailed
from safeguard.rules.rules import RULES_BY_ID
from safeguard.services import access
from safeguard.services.findings import key_to_person_id

_LEVEL_NAME = {3: "high", 2: "medium", 1: "low"}


def rule_title(rule_id: str) -> str:
    """The rule's name in words (never its raw id where a name exists)."""
    rule = RULES_BY_ID.get(rule_id)
    return rule.title if rule else rule_id


@dataclass(frozen=True, slots=True)
class Filters:
    """What a list is cut to. ``owner``: "me", "unassigned", a username or a team."""

    area: str | None = None
    team: str | None = None
    owner: str | None = None
    kind: str | None = None  # a finding category within the list
    window: DueWindow = DueWindow.ANY
    page: int = 1
    per_page: int = 25


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def filters_from(
    *,
    area: str | None = None,
    team: str | None = None,
    owner: str | None = None,
    kind: str | None = None,
    due: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Filters:
    """Filters from a query string (bad values refused with the field named)."""
    try:
        window = DueWindow(due) if due else DueWindow.ANY
    except ValueError:
        raise ValidationFailed("due: choose overdue, 24h, 7d or any") from None
    if per_page < 1 or per_page > 200:
        raise ValidationFailed("per_page: between 1 and 200")
    return Filters(
        area=_clean(area),
        team=_clean(team),
        owner=_clean(owner),
        kind=_clean(kind),
        window=window,
        page=max(1, page),
        per_page=per_page,
    )


def _person_risks(conn: Connection) -> dict[str, int]:
    """Each person's highest open severity (their risk on the worklists), by person key."""
    sev = sa.case(
        (store.findings.c.severity == "high", 3),
        (store.findings.c.severity == "medium", 2),
        else_=1,
    )
    q = (
        sa.select(store.findings.c.person_key, sa.func.max(sev))
        .where(store.findings.c.status.in_(store.ACTIVE))
        .group_by(store.findings.c.person_key)
    )
    return {str(k): int(v) for k, v in conn.execute(q)}


# Scored lists, per database, list and filters: reused while nothing they read has changed
# (the version below) and for at most a minute (lateness moves the priority slowly).
_CACHE: OrderedDict[tuple[object, ...], tuple[tuple[object, ...], list[Task]]] = OrderedDict()
_CACHE_SIZE = 64


def _version(conn: Connection, now: datetime) -> tuple[object, ...]:
    """What a scored list depends on: the open findings and the assignments (any change moves
    a count or a latest time), and the minute."""
    t = store.findings.c
    found = conn.execute(
        sa.select(sa.func.count(), sa.func.max(t.last_changed_at), sa.func.max(t.id)).where(
            t.status.in_(store.ACTIVE)
        )
    ).one()
    w = owners.work_assignments.c
    owned = conn.execute(sa.select(sa.func.count(), sa.func.max(w.assigned_at))).one()
    return (*found, *owned, now.replace(second=0, microsecond=0))


def load_tasks(
    conn: Connection,
    code: str,
    now: datetime,
    filters: Filters | None = None,
    bands: dict[int, str] | None = None,
) -> list[Task]:
    """Every open item of worklist ``code`` that passes ``filters`` (no paging), from the
    cache while the findings and assignments are unchanged (see :func:`_version`)."""
    f = replace(filters or Filters(), page=1)
    key = (conn.engine.url.render_as_string(), code, f, tuple(sorted((bands or {}).items())))
    version = _version(conn, now)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == version:
        _CACHE.move_to_end(key)
        return list(hit[1])
    tasks = _load_tasks(conn, code, now, f, bands)
    _CACHE[key] = (version, tasks)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return list(tasks)


def _load_tasks(
    conn: Connection,
    code: str,
    now: datetime,
    filters: Filters | None = None,
    bands: dict[int, str] | None = None,
) -> list[Task]:
    kind = WORKLIST_BY_CODE.get(code)
    if kind is None or code == "uncertain-links":
        raise NotFound(f"no findings worklist {code!r}")
    f = filters or Filters()
    t = store.findings.c
    q = (
        sa.select(
            t.id,
            t.person_key,
            t.rule_id,
            t.category,
            t.severity,
            t.due_at,
            t.status,
            t.area,
            t.team,
            t.first_found_at,
            events.c.occurred_at,
        )
        .select_from(store.findings)
        .outerjoin(events, events.c.id == t.event_id)
        .where(t.status.in_(store.ACTIVE))
    )
    if code == "overdue":
        q = q.where(t.due_at < now)
    else:
        q = q.where(t.category.in_(kind.categories))
    if f.area:
        q = q.where(t.area == f.area)
    if f.team:
        q = q.where(t.team == f.team)
    if f.kind:
        q = q.where(t.category == f.kind)
    rows = conn.execute(q).all()
    assigned = owners.all_assignments(conn) if rows else {}
    risks = _person_risks(conn) if rows else {}
    out = []
    for r in rows:
        pid = key_to_person_id(str(r.person_key))
        if pid is None:
            continue
        a = assigned.get(int(r.id))
        owner_user = a.owner_user if a else None
        owner_team = (a.owner_team if a and a.owner_team else None) or r.team
        if f.owner == "unassigned":
            if owner_user:
                continue
        elif f.owner and f.owner not in (owner_user, owner_team):
            continue  # "me" is the viewer's username by now (see :func:`triaged`)
        # A procedure is due at its deadline; a flag from the incident that raised it.
        due = r.due_at or r.occurred_at or r.first_found_at
        if not in_window(due, f.window, now):
            continue
        risk = _LEVEL_NAME.get(risks.get(str(r.person_key), 0))
        out.append(
            Task(
                finding_id=int(r.id),
                person_id=pid,
                rule_id=str(r.rule_id),
                title=rule_title(str(r.rule_id)),
                category=str(r.category),
                severity=str(r.severity),
                due_at=due,
                state=state_of(str(r.status), owner_user),
                owner_team=owner_team,
                owner_user=owner_user,
                area=r.area,
                priority=priority(
                    severity=str(r.severity),
                    person_risk=risk,
                    due_at=due if r.due_at is not None else None,
                    now=now,
                    band=(bands or {}).get(pid),
                ),
                overdue=r.due_at is not None and r.due_at < now,
                person_risk=risk,
            )
        )
    return out


def count_open(conn: Connection, code: str, now: datetime) -> tuple[int, int]:
    """Exact (items, people) open on worklist ``code``, counted in the database."""
    kind = WORKLIST_BY_CODE.get(code)
    if kind is None or code == "uncertain-links":
        raise NotFound(f"no findings worklist {code!r}")
    t = store.findings.c
    q = sa.select(sa.func.count(), sa.func.count(sa.distinct(t.person_key))).where(
        t.status.in_(store.ACTIVE)
    )
    q = q.where(t.due_at < now) if code == "overdue" else q.where(t.category.in_(kind.categories))
    items, people = conn.execute(q).one()
    return int(items), int(people)


@dataclass(frozen=True, slots=True)
class PersonRow:
    """A person on a triaged list as the viewer may see them."""

    person_id: int
    name: str = field(metadata=shown_if(RecordKind.IDENTITY, withheld=WITHHELD_NAME))
    work: PersonWork | None = field(default=None, metadata=shown_if(RecordKind.FINDINGS))
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class Triaged:
    code: str
    title: str
    what_to_do: str
    filters: Filters
    page: Page
    rows: list[PersonRow]
    areas: list[str]
    teams: list[str]
    kinds: list[str]


def _choices(conn: Connection, column: sa.ColumnElement[str | None]) -> list[str]:
    q = (
        sa.select(column)
        .distinct()
        .where(store.findings.c.status.in_(store.ACTIVE))
        .where(column.is_not(None))
    )
    return sorted(str(v) for v in conn.execute(q).scalars())


def triaged(
    conn: Connection,
    *,
    actor: Actor,
    code: str,
    filters: Filters | None = None,
    now: datetime | None = None,
) -> Triaged:
    """A worklist triaged: grouped per person, most urgent first, filtered and paged; the people
    shown on the page are audited as consulted for the list."""
    from safeguard.services.worklists import _names

    ensure(actor, Action.VIEW_WORKLISTS)
    kind = WORKLIST_BY_CODE.get(code)
    if kind is None or code == "uncertain-links":
        raise NotFound(f"no worklist {code!r}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    f = filters or Filters()
    if f.owner == "me":
        f = replace(f, owner=actor.username)
    from safeguard.services.risk_model import person_bands

    bands = person_bands(conn)
    tasks = load_tasks(conn, code, now, f, bands)
    grouped = group_by_person(tasks, bands=bands)
    page = paginate(grouped, f.page, f.per_page)
    seen = access.person_access(conn, actor, [w.person_id for w in page.people], now)
    names = _names(conn, [w.person_id for w in page.people])
    rows = []
    for w in page.people:
        resource = seen.get(w.person_id)
        row = PersonRow(w.person_id, names.get(w.person_id, ""), w)
        if resource is not None:
            view = sight(actor, resource)
            if view.nothing and not view.reason_needed:
                continue
            row = project(replace(row, restricted=resource.restricted), view)
        rows.append(row)
    consulted = [r.person_id for r in rows if not r.restricted]
    if consulted:
        append_audit(
            conn,
            AuditEntry(
                actor=actor.audit_name,
                actor_role=str(actor.role),
                action="worklist.view",
                category=AuditCategory.CONSULTATION,
                record_type="person",
                record_ids=[str(p) for p in consulted],
                person_ids=consulted,
                justification=f"Worklist: {kind.title}",
                detail={"worklist": code, "page": page.page},
            ),
        )
    t = store.findings.c
    return Triaged(
        code=code,
        title=kind.title,
        what_to_do=kind.what_to_do,
        filters=f,
        page=page,
        rows=rows,
        areas=_choices(conn, t.area),
        teams=_choices(conn, t.team),
        kinds=sorted(kind.categories) if code != "overdue" else _choices(conn, t.category),
    )


WORK_ACTIONS = ("assign", "acknowledge", "complete")


def act_on_work(
    engine: Engine, *, actor: Actor, finding_id: int, action: str, now: datetime | None = None
) -> int | None:
    """One click on a worklist item: ``assign`` (to me), ``acknowledge`` or ``complete``.

    Each is audited in its own transaction with the change; acknowledge and complete are the
    finding's own status changes (the rules capability's audit). Returns the person's id.

    Raises:
        ValidationFailed: an unknown action.
        InvalidTransition: the finding is not in a state that allows it.
    """
    from safeguard.services import findings

    if action not in WORK_ACTIONS:
        raise ValidationFailed(f"action: {action!r} is not assign, acknowledge or complete")
    ensure(actor, Action.ACT_ON_FINDINGS)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if action == "acknowledge":
        done = findings.act(engine, actor=actor, finding_id=finding_id, to="acknowledge", note=None)
        return done.person_id
    if action == "complete":
        done = findings.act(
            engine,
            actor=actor,
            finding_id=finding_id,
            to="resolve",
            note=f"Completed from the worklist by {actor.username}",
        )
        return done.person_id
    with engine.begin() as conn:
        found = store.get_finding(conn, finding_id)
        pid = key_to_person_id(found.person_key)
        if pid is not None:
            ensure(actor, Action.ACT_ON_FINDINGS, access.person_resource(conn, actor, pid, now))
        if found.status not in store.ACTIVE:
            raise InvalidTransition(f"finding {finding_id} is {found.status}; nothing to assign")
        owners.assign(
            conn,
            finding_id,
            owner_user=actor.username,
            owner_team=found.team,
            by=actor.audit_name,
            at=now,
        )
        append_audit(
            conn,
            AuditEntry(
                actor=actor.audit_name,
                actor_role=str(actor.role),
                action="worklist.assign",
                category=AuditCategory.ALTERATION,
                record_type="finding",
                record_ids=[str(finding_id)],
                person_ids=[pid] if pid is not None else [],
                justification="Took the work from a worklist",
                detail={"owner": actor.username},
            ),
        )
    return pid
