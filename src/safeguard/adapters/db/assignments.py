"""Who owns an item of work: one row per finding that someone assigned (to a person or a
team), with when and by whom. A finding nobody assigned is owned by the team of its incident.

Acknowledging and completing are the finding's own status (the rules capability's
``findings`` table); this table holds ownership only, so re-running the rules engine never
loses who has the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

work_assignments = sa.Table(
    "work_assignments",
    metadata,
    sa.Column("finding_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("owner_user", sa.String(64), nullable=True, index=True),
    sa.Column("owner_team", sa.String(64), nullable=True),
    sa.Column("assigned_by", sa.String(64), nullable=False),
    sa.Column("assigned_at", UTCDateTime(), nullable=False, index=True),
)


@dataclass(frozen=True, slots=True)
class Assignment:
    finding_id: int
    owner_user: str | None
    owner_team: str | None
    assigned_by: str
    assigned_at: datetime


def assignments_of(conn: Connection, finding_ids: Sequence[int]) -> dict[int, Assignment]:
    """The assignment of each of ``finding_ids`` that has one."""
    out: dict[int, Assignment] = {}
    ids = list(finding_ids)
    for start in range(0, len(ids), 500):
        q = sa.select(work_assignments).where(
            work_assignments.c.finding_id.in_(ids[start : start + 500])
        )
        for row in conn.execute(q):
            out[int(row.finding_id)] = Assignment(**dict(row._mapping))
    return out


def all_assignments(conn: Connection) -> dict[int, Assignment]:
    """Every assignment (a few per open finding at most: read whole for a worklist)."""
    return {
        int(r.finding_id): Assignment(**dict(r._mapping))
        for r in conn.execute(sa.select(work_assignments))
    }


def assign(
    conn: Connection,
    finding_id: int,
    *,
    owner_user: str | None,
    owner_team: str | None,
    by: str,
    at: datetime,
) -> Assignment:
    """Give the finding to ``owner_user`` (or a team); replaces any earlier owner."""
    conn.execute(sa.delete(work_assignments).where(work_assignments.c.finding_id == finding_id))
    values = Assignment(finding_id, owner_user, owner_team, by, at)
    conn.execute(
        sa.insert(work_assignments).values(
            finding_id=finding_id,
            owner_user=owner_user,
            owner_team=owner_team,
            assigned_by=by,
            assigned_at=at,
        )
    )
    return values
