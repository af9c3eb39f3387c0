"""The worklists' queue in SQL: a list's people ranked by urgency and paged in the database,
the items of one page's people, the most urgent items of a list, and the filter choices.

Every input of an item's priority is stored with it: its severity, due time, status, area and
team on the finding (the lateness basis of a flag is its incident's time, then when it was
first found), its owner in ``work_assignments``, the person's risk (their highest open
severity, indexed by person) and the risk model's band (``risk_scores``). The ordering is
:func:`safeguard.domain.triage.priority` written in SQL from the same definitions
(:func:`~safeguard.domain.triage.lateness_steps`, :func:`~safeguard.domain.triage.level`), so a
page reads only its own people; a test compares it with the domain's ordering on both
databases.

About 450 lines on purpose: every read of the queue (ranking, a page's items, the flat list,
the totals, the people changed since a ranking, the filter choices) is built from the same
item definition (``_items``) and priority expressions, which a split would have to share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.assignments import work_assignments
from safeguard.adapters.db.findings import ACTIVE, findings
from safeguard.adapters.db.retention import retention_reviews
from safeguard.adapters.db.risk_models import risk_models, risk_scores
from safeguard.adapters.db.tables import events
from safeguard.adapters.db.types import as_utc
from safeguard.domain.triage import DueWindow, lateness_steps

_LEVELS = (("high", 3), ("medium", 2), ("low", 1))
LEVEL_NAME = {n: name for name, n in _LEVELS}


@dataclass(frozen=True, slots=True)
class ListSpec:
    """Which items a list holds: open items of ``categories`` (None: every procedure past
    its due time, the overdue list), cut by area, team, kind (a category), owner (a username
    or team; ``unassigned``: nobody has it) and due window (on the lateness basis)."""

    categories: tuple[str, ...] | None
    area: str | None = None
    team: str | None = None
    kind: str | None = None
    owner: str | None = None
    window: DueWindow = DueWindow.ANY


@dataclass(frozen=True, slots=True)
class Ranked:
    """A person on a list: their priority, earliest due time and how many items they have."""

    person_key: str
    person_id: int
    priority: int
    next_due: datetime | None
    risk_level: int
    band_level: int
    items: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One open item as stored, with its lateness basis and owner."""

    finding_id: int
    person_key: str
    rule_id: str
    category: str
    severity: str
    due_at: datetime | None
    basis: datetime | None
    status: str
    area: str | None
    team: str | None
    owner_user: str | None
    owner_team: str | None


def level_of(column: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """0 to 3 for a severity or band column (:func:`safeguard.domain.triage.level`)."""
    low = sa.func.lower(column)
    return sa.case(*((low == name, n) for name, n in _LEVELS), else_=0)


def lateness_of(due: sa.ColumnElement[Any], now: datetime) -> sa.ColumnElement[int]:
    """:func:`safeguard.domain.triage.lateness` of a due-time column at ``now``."""
    whens = [
        ((due < at) if strict else (due <= at), points)
        for at, strict, points in lateness_steps(now)
    ]
    return sa.case((due.is_(None), 0), *whens, else_=0)


def _greater(a: sa.ColumnElement[int], b: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.case((a >= b, a), else_=b)


def _clamped(score: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.case((score > 100, 100), (score < 0, 0), else_=score)


def _person_id(key: sa.ColumnElement[str]) -> sa.ColumnElement[int]:
    number = sa.cast(sa.func.substr(key, 2), sa.Integer)
    return sa.case((sa.func.substr(key, 1, 1) == "P", number), else_=-number)


_f = findings.c
_w = work_assignments.c
# The incident's time is looked up only for an item without a clock (a join would read an
# event for every item of the list).
BASIS = sa.func.coalesce(
    _f.due_at,
    sa.select(events.c.occurred_at).where(events.c.id == _f.event_id).scalar_subquery(),
    _f.first_found_at,
)
OWNER_TEAM = sa.func.coalesce(sa.func.nullif(_w.owner_team, ""), _f.team)


def _opaque(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The column through an expression no index serves: a page's few people are then read
    through the person index, where SQLite's planner (no statistics) would otherwise scan a
    filter's index over the whole list."""
    return sa.func.coalesce(column, column)


def _items(
    spec: ListSpec,
    now: datetime,
    *columns: Any,
    by_filter: bool = True,
    keys: Sequence[str] | None = None,
) -> sa.Select[Any]:
    """The list's items (``keys``: only these people's); ``by_filter=False``: the filters are
    not read through their indexes (the query names its people)."""
    col = (lambda c: c) if by_filter else _opaque
    q = (
        sa.select(*columns)
        .select_from(findings)
        .outerjoin(work_assignments, _w.finding_id == _f.id)
        .where(_f.status.in_(ACTIVE))
        .where(sa.func.substr(_f.person_key, 1, 1).in_(("P", "M")))
    )
    if keys is not None:
        q = q.where(_f.person_key.in_(list(keys)))
        col = _opaque  # a few named people: read through the person index
    if spec.categories is None:
        q = q.where(col(_f.due_at) < now)
    else:
        q = q.where(col(_f.category).in_(spec.categories))
    if spec.area:
        q = q.where(col(_f.area) == spec.area)
    if spec.team:
        q = q.where(col(_f.team) == spec.team)
    if spec.kind:
        q = q.where(col(_f.category) == spec.kind)
    if spec.owner == "unassigned":
        q = q.where(sa.func.coalesce(_w.owner_user, "") == "")
    elif spec.owner:
        q = q.where(sa.or_(_w.owner_user == spec.owner, OWNER_TEAM == spec.owner))
    if spec.window is not DueWindow.ANY:
        ahead = {
            DueWindow.OVERDUE: timedelta(0),
            DueWindow.DAY: timedelta(hours=24),
            DueWindow.WEEK: timedelta(days=7),
        }[spec.window]
        q = q.where(BASIS < now + ahead)
    return q


def _risk_for(key: sa.ColumnElement[str]) -> sa.ScalarSelect[Any]:
    """The person's highest open severity (0 to 3): read through the (person, status,
    severity) index."""
    other = findings.alias("other")
    return (
        sa.select(sa.func.max(level_of(other.c.severity)))
        .where(other.c.person_key == key, other.c.status.in_(ACTIVE))
        .scalar_subquery()
    )


def active_model(conn: Connection) -> int | None:
    """The active risk model whose bands join the priority (as ``person_bands`` chooses)."""
    found = conn.execute(sa.select(risk_models.c.id).where(risk_models.c.active)).scalar()
    return None if found is None else int(found)


def _bands(model_id: int, keys: sa.Select[Any]) -> sa.Subquery:
    """Person key -> the highest band (0 to 3) of their latest score per target under the
    model, for the people ``keys`` selects (linked people only, as ``person_bands``)."""
    s = risk_scores.c
    latest = (
        sa.select(
            s.person_key.label("pk"),
            level_of(s.band).label("lvl"),
            sa.func.row_number()
            .over(
                partition_by=(s.person_key, s.target), order_by=(s.occurred_at.desc(), s.id.desc())
            )
            .label("rn"),
        )
        .where(s.model_id == model_id, s.person_key.in_(keys), s.person_key.like("P%"))
        .subquery("latest")
    )
    return (
        sa.select(latest.c.pk, sa.func.max(latest.c.lvl).label("band"))
        .where(latest.c.rn == 1)
        .group_by(latest.c.pk)
        .subquery("bands")
    )


def ranked(
    conn: Connection,
    spec: ListSpec,
    now: datetime,
    *,
    limit: int | None = None,
    offset: int = 0,
    keys: Sequence[str] | None = None,
) -> tuple[list[Ranked], int, int]:
    """The list's people most urgent first (priority, then earliest due, then person id), from
    ``offset`` (``limit`` of them, or all), with the exact totals (people, items); ``keys``:
    only these people (those of them on the list)."""
    items = _items(
        spec,
        now,
        _f.person_key.label("pk"),
        (10 * level_of(_f.severity) + lateness_of(_f.due_at, now)).label("s"),
        BASIS.label("due"),
        keys=keys,
    ).subquery("items")
    per = (
        sa.select(
            items.c.pk,
            sa.func.max(items.c.s).label("ms"),
            sa.func.min(items.c.due).label("nd"),
            sa.func.count().label("n"),
        )
        .group_by(items.c.pk)
        .cte("per")
    )
    model = active_model(conn)
    source: sa.FromClause = per
    band: sa.ColumnElement[int] = sa.literal(0)
    if model is not None:
        bands = _bands(model, sa.select(per.c.pk))
        source = per.outerjoin(bands, bands.c.pk == per.c.pk)
        band = sa.func.coalesce(bands.c.band, 0)
    # Materialised, so that each person's risk is looked up once (merged into the query
    # around it, the lookup would be repeated in every expression that uses it).
    scored = (
        sa.select(
            per.c.pk,
            per.c.ms,
            per.c.nd,
            per.c.n,
            sa.func.coalesce(_risk_for(per.c.pk), 0).label("risk"),
            band.label("band"),
        )
        .select_from(source)
        .cte("scored")
        .prefix_with("MATERIALIZED")
    )
    prio = _clamped(10 * _greater(scored.c.risk, scored.c.band) - 6 + scored.c.ms).label("prio")
    pid = _person_id(scored.c.pk).label("pid")
    q = sa.select(
        scored.c.pk,
        pid,
        prio,
        scored.c.nd,
        scored.c.risk,
        scored.c.band,
        scored.c.n,
        sa.func.count().over().label("people"),
        sa.func.sum(scored.c.n).over().label("tasks"),
    ).order_by(prio.desc(), scored.c.nd, pid)
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    rows = conn.execute(q).all()
    people = [
        Ranked(
            person_key=str(r.pk),
            person_id=int(r.pid),
            priority=int(r.prio),
            next_due=as_utc(r.nd),
            risk_level=int(r.risk),
            band_level=int(r.band),
            items=int(r.n),
        )
        for r in rows
    ]
    if rows:
        return people, int(rows[0].people), int(rows[0].tasks)
    if offset:  # past the end: the totals without the rows
        totals = conn.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(per.c.n), 0))
        ).one()
        return [], int(totals[0]), int(totals[1])
    return [], 0, 0


def totals(conn: Connection, spec: ListSpec, now: datetime) -> tuple[int, int]:
    """The list's exact (people, items), counted without ranking them (no person's risk or
    band is read)."""
    items = _items(spec, now, _f.person_key.label("pk")).subquery("items")
    people, tasks = conn.execute(
        sa.select(sa.func.count(sa.distinct(items.c.pk)), sa.func.count()).select_from(items)
    ).one()
    return int(people), int(tasks)


def people_changed_since(
    conn: Connection, *, newest: int, changed: datetime | None, owned: datetime | None
) -> set[str] | None:
    """The people whose open work may differ since a ranking read (``newest`` finding id,
    latest change, latest assignment): a new finding, a changed one (status, owner, due time,
    severity, area) or a new owner. Each read down an index; None: more than
    :data:`PATCH_AT_MOST` people (a whole assessment), when ranking again costs less."""
    found: set[str] = set()
    reads = [sa.select(_f.person_key).where(_f.id > newest)]
    if changed is not None:
        reads.append(sa.select(_f.person_key).where(_f.last_changed_at >= changed))
    owner = sa.select(_f.person_key).join(work_assignments, _w.finding_id == _f.id)
    reads.append(owner if owned is None else owner.where(_w.assigned_at >= owned))
    for read in reads:
        found.update(str(k) for k in conn.execute(read.limit(PATCH_AT_MOST + 1)).scalars())
        if len(found) > PATCH_AT_MOST:
            return None
    return found


#: Above this many changed people a list is ranked again rather than patched.
PATCH_AT_MOST = 200


_ITEM_COLUMNS = (
    _f.id,
    _f.person_key,
    _f.rule_id,
    _f.category,
    _f.severity,
    _f.due_at,
    BASIS.label("basis"),
    _f.status,
    _f.area,
    _f.team,
    _w.owner_user,
    OWNER_TEAM.label("owner_team"),
)


def _item(r: sa.Row[Any]) -> ItemRow:
    return ItemRow(
        finding_id=int(r.id),
        person_key=str(r.person_key),
        rule_id=str(r.rule_id),
        category=str(r.category),
        severity=str(r.severity),
        due_at=as_utc(r.due_at),
        basis=as_utc(r.basis),
        status=str(r.status),
        area=r.area,
        team=r.team,
        owner_user=r.owner_user or None,
        owner_team=r.owner_team,
    )


def items_of(
    conn: Connection, spec: ListSpec, now: datetime, person_keys: Sequence[str]
) -> list[ItemRow]:
    """Every item of the list for these people (one page's)."""
    if not person_keys:
        return []
    q = _items(spec, now, *_ITEM_COLUMNS, by_filter=False)
    q = q.where(_f.person_key.in_(list(person_keys)))
    return [_item(r) for r in conn.execute(q.order_by(_f.id))]


def top_items(
    conn: Connection, spec: ListSpec, now: datetime, limit: int
) -> tuple[list[ItemRow], dict[str, tuple[int, int]]]:
    """The list's ``limit`` most urgent items (priority, then due, then id), one line per
    item, and each of their people's (risk level, band level)."""
    risk = sa.func.coalesce(_risk_for(_f.person_key), 0)
    model = active_model(conn)
    q = _items(spec, now, *_ITEM_COLUMNS, risk.label("risk"))
    band: sa.ColumnElement[int] = sa.literal(0)
    if model is not None:
        bands = _bands(model, _items(spec, now, _f.person_key))
        q = q.outerjoin(bands, bands.c.pk == _f.person_key)
        band = sa.func.coalesce(bands.c.band, 0)
    q = q.add_columns(band.label("band"))
    prio = _clamped(
        10 * _greater(risk, band) + 10 * level_of(_f.severity) - 6 + lateness_of(_f.due_at, now)
    )
    q = q.order_by(prio.desc(), BASIS, _f.id).limit(limit)
    rows = conn.execute(q).all()
    return [_item(r) for r in rows], {str(r.person_key): (int(r.risk), int(r.band)) for r in rows}


def distinct_active(conn: Connection, column: str) -> list[str]:
    """The values of ``column`` (area, team or category) among open items, sorted: a loose
    scan of the (status, column) index, one step per value, not a read of every finding."""
    if column not in ("area", "team", "category"):
        raise ValueError(f"not a filter column: {column!r}")
    out: set[str] = set()
    sql = sa.text(
        f"WITH RECURSIVE c(v) AS ("  # noqa: S608 - the column is one of three names above
        f"SELECT MIN({column}) FROM findings WHERE status = :s "
        f"UNION ALL SELECT (SELECT MIN({column}) FROM findings "
        f"WHERE status = :s AND {column} > c.v) FROM c WHERE c.v IS NOT NULL"
        f") SELECT v FROM c WHERE v IS NOT NULL"
    )
    for status in ACTIVE:
        out.update(str(v) for v in conn.execute(sql, {"s": status}).scalars())
    return sorted(out)


def data_version(conn: Connection) -> tuple[object, ...]:
    """What a worklist ranking depends on, each read as one step down an index: the highest
    finding id, the latest finding change, the latest assignment, the newest retention review
    (removals), the active models and the newest score (see
    ``services.worklist_rankings.data_version``)."""
    f, w = findings.c, work_assignments.c
    m, s = risk_models.c, risk_scores.c
    # One statement (seven scalar reads): each read as its own statement cost more in
    # SQLAlchemy's statement handling than in the database.
    row = conn.execute(
        sa.select(
            sa.select(sa.func.max(f.id)).scalar_subquery(),
            sa.select(sa.func.max(f.last_changed_at)).scalar_subquery(),
            sa.select(sa.func.max(w.assigned_at)).scalar_subquery(),
            sa.select(sa.func.max(retention_reviews.c.id)).scalar_subquery(),
            # the active models (any activation or retirement moves one of these) ...
            sa.select(sa.func.count()).where(m.active).scalar_subquery(),
            sa.select(sa.func.sum(m.id)).where(m.active).scalar_subquery(),
            # ... and the newest score (scores are replaced by delete and insert)
            sa.select(sa.func.max(s.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)
