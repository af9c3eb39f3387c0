"""The record of each linking run (``link_runs``) and the mentions it kept on their own because
they cannot be linked (``link_unlinkable``)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from safeguard.adapters.db.linkage import link_runs, link_unlinkable


class AnotherRunRunning(Exception):
    """A link run is already running: the unique index on running runs refused this one."""


def start(
    conn: Connection,
    *,
    kind: str,
    actor: str,
    backend: str,
    at: datetime,
    process: dict[str, Any],
) -> int:
    """Record a running link run; returns its id.

    Raises:
        AnotherRunRunning: another link run is running (the transaction must be rolled back).
    """
    try:
        return int(
            conn.execute(
                sa.insert(link_runs)
                .values(
                    kind=kind, actor=actor, backend=backend, started_at=at, status="running",
                    **process,
                )
                .returning(link_runs.c.id)
            ).scalar_one()
        )  # fmt: skip
    except IntegrityError:
        raise AnotherRunRunning from None


def fail(conn: Connection, run_id: int, *, at: datetime) -> None:
    """The run failed at ``at``."""
    conn.execute(
        sa.update(link_runs).where(link_runs.c.id == run_id).values(status="failed", finished_at=at)
    )


def finish(
    conn: Connection,
    run_id: int,
    *,
    at: datetime,
    model_version: str,
    mentions: int,
    people: int,
    pairs_scored: int,
    unlinkable: int,
    review_items: int,
) -> None:
    """The run is done, with what it linked."""
    conn.execute(
        sa.update(link_runs)
        .where(link_runs.c.id == run_id)
        .values(
            status="done",
            finished_at=at,
            model_version=model_version,
            mentions=mentions,
            people=people,
            pairs_scored=pairs_scored,
            unlinkable=unlinkable,
            review_items=review_items,
        )
    )


def unlinkable_mentions(conn: Connection, *, limit: int) -> list[tuple[int, str]]:
    """Mentions kept on their own, with the reason, by mention id."""
    rows = conn.execute(
        sa.select(link_unlinkable.c.mention_id, link_unlinkable.c.reason)
        .order_by(link_unlinkable.c.mention_id)
        .limit(limit)
    ).all()
    return [(int(m), str(r)) for m, r in rows]


def unlinkable_reasons(conn: Connection) -> Counter[str]:
    """How many mentions are kept on their own, by reason."""
    rows = conn.execute(
        sa.select(link_unlinkable.c.reason, sa.func.count()).group_by(link_unlinkable.c.reason)
    ).all()
    return Counter({str(r): int(n) for r, n in rows})
