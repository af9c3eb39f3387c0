"""The rules engine's procedure checks counted in the database, for the board's periods."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.findings import procedure_checks
from safeguard.domain.board import Period
from safeguard.domain.board_facts import ProcedureTally


def count_procedure_checks(conn: Connection, periods: list[Period]) -> ProcedureTally | None:
    """The rules engine's procedure checks due in the periods, counted in the database.

    None if no checks are stored: an empty table means the rules engine has not run
    (``safeguard assess``), and the procedure figures then say "not measured" instead of a
    misleading 0 of 0.

    Hundreds of thousands of checks are grouped by rule, area, team, whether done on time and
    the rank of the due and done times among the periods' boundaries (how many boundaries are
    at or before it; "never done" ranks after every boundary); :func:`_tally` turns those groups
    into the per-period counts that ``count_procedures`` defines. Times are compared as stored
    (naive UTC) with the periods' UTC boundaries, so no time zone or date truncation is involved.
    """
    pc = procedure_checks
    if conn.execute(sa.select(pc.c.id).limit(1)).first() is None:
        return None
    bounds = sorted({p.start for p in periods} | {p.end for p in periods})

    def rank(column: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
        # NULL compares as unknown, so an undone check falls through to the last rank.
        return sa.case(*((column < b, i) for i, b in enumerate(bounds)), else_=len(bounds))

    ranked = (
        sa.select(
            pc.c.rule_id,
            pc.c.area,
            pc.c.team,
            rank(pc.c.due_at).label("due_rank"),
            rank(pc.c.done_at).label("done_rank"),
            sa.case((pc.c.done_at <= pc.c.due_at, 1), else_=0).label("on_time"),
        )
        .where(pc.c.due_at >= periods[0].start, pc.c.due_at < periods[-1].end)
        .subquery()
    )
    keys = [ranked.c[name] for name in ("rule_id", "area", "team", "due_rank", "done_rank")]
    keys.append(ranked.c.on_time)
    rows = conn.execute(sa.select(*keys, sa.func.count()).group_by(*keys)).tuples()
    return _tally(rows, periods, bounds)


def _tally(
    rows: Iterable[tuple[str, str | None, str | None, int, int, int, int]],
    periods: list[Period],
    bounds: list[datetime],
) -> ProcedureTally:
    """Per-period counts from checks grouped by due and done rank among ``bounds``.

    With rank(t) = how many bounds are <= t: ``start <= due < end`` is
    ``rank(start) <= rank(due) < rank(end)``, and ``done >= end`` (or never done) is
    ``rank(done) >= rank(end)``, where a bound's own rank is its position + 1.
    """
    position = {b: i + 1 for i, b in enumerate(bounds)}
    spans = [(position[p.start], position[p.end]) for p in periods]
    tally = ProcedureTally(list(periods))
    for rule_id, area, team, due_rank, done_rank, on_time, n in rows:
        cell = tally.cell(rule_id, area, team)
        for k, (first, end) in enumerate(spans):
            if first <= due_rank < end:
                cell.due[k] += n
                cell.on_time[k] += n * on_time
            if due_rank < end <= done_rank:
                cell.overdue[k] += n
    return tally
