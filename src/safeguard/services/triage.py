"""Triaged worklists: every open item of a list with its due time, priority, owner and state,
grouped per person, filtered and paged, with exact totals; and the one-click actions on an item
(assign to me, acknowledge, complete), each audited.

An item's due time is its procedure's deadline; a flag (no clock) is due from the incident that
raised it, never the time it was ingested. The risk model's band for a person joins the
priority through :func:`safeguard.domain.triage.priority` (``band``) once the model provides one.

A list's ranking, kept between requests, is ``services.worklist_rankings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import assignments as owners
from safeguard.adapters.db import findings as store
from safeguard.adapters.db import person_records
from safeguard.adapters.db import work_queue as queue
from safeguard.adapters.db.audit import AuditAppender
from safeguard.domain.access import Action, Actor, RecordKind, ensure, recorded_as, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.projection import WITHHELD_NAME, project, shown_if
from safeguard.domain.triage import (
    DueWindow,
    Page,
    PersonWork,
    Task,
    group_by_person,
    priority,
    state_of,
)
from safeguard.domain.worklists import WORKLIST_BY_CODE
from safeguard.errors import InvalidTransition, NotFound, ValidationFailed
from safeguard.rules.rules import RULES_BY_ID
from safeguard.services import access
from safeguard.services import worklist_rankings as rankings
from safeguard.services.findings import key_to_person_id
from safeguard.services.unit_of_work import UnitOfWork


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


def spec_of(code: str, filters: Filters | None = None) -> queue.ListSpec:
    """The list ``code`` cut by ``filters`` ("me" already made the viewer's username)."""
    kind = WORKLIST_BY_CODE.get(code)
    if kind is None or code == "uncertain-links":
        raise NotFound(f"no findings worklist {code!r}")
    f = filters or Filters()
    overdue = code == "overdue"
    return queue.ListSpec(
        categories=None if overdue else tuple(sorted(kind.categories)),
        area=f.area,
        team=f.team,
        kind=f.kind,
        owner=f.owner,
        # Every item of the overdue list is past its due time: any window holds them all.
        window=DueWindow.ANY if overdue else f.window,
    )


def task_of(row: queue.ItemRow, now: datetime, risk_level: int, band_level: int) -> Task | None:
    """A stored item as a task on a list (None: a finding of no person)."""
    pid = key_to_person_id(row.person_key)
    if pid is None:
        return None
    risk = queue.LEVEL_NAME.get(risk_level)
    return Task(
        finding_id=row.finding_id,
        person_id=pid,
        rule_id=row.rule_id,
        title=rule_title(row.rule_id),
        category=row.category,
        severity=row.severity,
        due_at=row.basis,  # a procedure is due at its deadline; a flag from its incident
        state=state_of(row.status, row.owner_user),
        owner_team=row.owner_team,
        owner_user=row.owner_user,
        area=row.area,
        priority=priority(
            severity=row.severity,
            person_risk=risk,
            due_at=row.due_at,
            now=now,
            band=queue.LEVEL_NAME.get(band_level),
        ),
        overdue=row.due_at is not None and row.due_at < now,
        person_risk=risk,
    )


def top_tasks(conn: Connection, code: str, now: datetime, limit: int) -> list[Task]:
    """The ``limit`` most urgent items of worklist ``code``, one per finding (for the API's
    flat list), read in that order from the database."""
    rows, levels = queue.top_items(conn, spec_of(code), now, limit)
    out = []
    for r in rows:
        task = task_of(r, now, *levels.get(r.person_key, (0, 0)))
        if task is not None:
            out.append(task)
    return out


def triaged_page(
    conn: Connection,
    code: str,
    now: datetime,
    filters: Filters,
    version: tuple[object, ...] | None = None,
) -> Page:
    """One page of worklist ``code`` grouped per person, most urgent first, with exact
    totals: the people ranked in the database, then only the page's people's items read."""
    spec = spec_of(code, filters)
    at, ranking = rankings.ranking(conn, spec, now, version)
    per_page = max(1, filters.per_page)
    pages = max(1, -(-ranking.total_people // per_page))
    page = min(max(1, filters.page), pages)
    start = (page - 1) * per_page
    kept = start + per_page <= len(ranking.people) or len(ranking.people) == ranking.total_people
    built = ranking.pages.get((start, per_page)) if kept else None
    if built is None:
        if kept:
            chosen = ranking.people[start : start + per_page]
        else:  # beyond the kept people: this page alone, ranked at the same time
            chosen = queue.ranked(conn, spec, at, limit=per_page, offset=start)[0]
        built = _build_page(conn, spec, at, chosen)
        if kept:  # the same ranking (data and time) gives the same page: kept with it
            ranking.pages[(start, per_page)] = built
    return Page(
        people=built,
        page=page,
        pages=pages,
        total_people=ranking.total_people,
        total_tasks=ranking.total_tasks,
        per_page=per_page,
    )


def _build_page(
    conn: Connection, spec: queue.ListSpec, at: datetime, chosen: list[queue.Ranked]
) -> list[PersonWork]:
    """The chosen people's items on the list as of ``at``, grouped, in the ranking's order."""
    by_key = {r.person_key: r for r in chosen}
    tasks = []
    for row in queue.items_of(conn, spec, at, list(by_key)):
        r = by_key[row.person_key]
        task = task_of(row, at, r.risk_level, r.band_level)
        if task is not None:
            tasks.append(task)
    bands = {r.person_id: queue.LEVEL_NAME[r.band_level] for r in chosen if r.band_level}
    grouped = {w.person_id: w for w in group_by_person(tasks, bands=bands)}
    return [grouped[r.person_id] for r in chosen if r.person_id in grouped]


def count_open(conn: Connection, code: str, now: datetime) -> tuple[int, int]:
    """Exact (items, people) open on worklist ``code``, counted in the database."""
    kind = WORKLIST_BY_CODE.get(code)
    if kind is None or code == "uncertain-links":
        raise NotFound(f"no findings worklist {code!r}")
    if code == "overdue":
        return store.count_active(conn, due_before=now)
    return store.count_active(conn, categories=tuple(kind.categories))


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


def triaged(
    uow: UnitOfWork,
    *,
    code: str,
    filters: Filters | None = None,
    now: datetime | None = None,
    audit: AuditAppender | None = None,
) -> Triaged:
    """A worklist triaged: grouped per person, most urgent first, filtered and paged; the people
    shown on the page are audited as consulted for the list, through ``audit`` (group commit,
    as the profile's consultation) when given: a list is a pure read, so the request does not
    hold the database's write lock (SQLite) or the chain's head (PostgreSQL) while it renders."""

    actor = uow.ensure(Action.VIEW_WORKLISTS)
    conn = uow.conn
    kind = WORKLIST_BY_CODE.get(code)
    if kind is None or code == "uncertain-links":
        raise NotFound(f"no worklist {code!r}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    f = filters or Filters()
    if f.owner == "me":
        f = replace(f, owner=actor.username)
    version = rankings.data_version(conn)
    page = triaged_page(conn, code, now, f, version)
    seen = access.person_access(conn, actor, [w.person_id for w in page.people], now)
    names = person_records.display_names(conn, [w.person_id for w in page.people])
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
        uow.consult(
            audit,
            "worklist.view",
            "person",
            record_ids=consulted,
            person_ids=consulted,
            justification=f"Worklist: {kind.title}",
            detail={"worklist": code, "page": page.page},
        )
    return Triaged(
        code=code,
        title=kind.title,
        what_to_do=kind.what_to_do,
        filters=f,
        page=page,
        rows=rows,
        areas=rankings.RANKINGS.choices(conn, "area", version),
        teams=rankings.RANKINGS.choices(conn, "team", version),
        kinds=sorted(kind.categories)
        if code != "overdue"
        else rankings.RANKINGS.choices(conn, "category", version),
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
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
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
            by=recorded_as(actor),
            at=now,
        )
        uow.audit(
            "worklist.assign",
            AuditCategory.ALTERATION,
            "finding",
            record_ids=[finding_id],
            person_ids=[pid] if pid is not None else [],
            justification="Took the work from a worklist",
            detail={"owner": actor.username},
        )
    return pid
