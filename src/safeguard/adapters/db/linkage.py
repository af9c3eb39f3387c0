"""Linking's own tables: model versions, runs, the review queue, analyst decisions, unlinkables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# A module import: ``people`` may still be initialising when ``tables`` imports this module.
from safeguard.adapters.db import people as people_tables

__all__ = [
    "CANNOT",
    "MUST",
    "link_decisions",
    "link_models",
    "link_reviews",
    "link_runs",
    "link_unlinkable",
]
from safeguard.adapters.db.tables import involvements, metadata
from safeguard.adapters.db.types import UTCDateTime
from safeguard.domain.linking import Constraints

T = TypeVar("T")
MUST = "must_link"
CANNOT = "cannot_link"
WRITE_CHUNK = 5000

# A trained Splink model, kept whole (its JSON) so any run can be repeated with the same model.
link_models = sa.Table(
    "link_models",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("trained_on", sa.Integer, nullable=False),
    sa.Column("model_json", sa.Text, nullable=False),
)

link_runs = sa.Table(
    "link_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # batch | delta
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("model_version", sa.String(64), sa.ForeignKey("link_models.version"), nullable=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # running | done | failed | abandoned
    sa.Column("mentions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("people", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pairs_scored", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unlinkable", sa.Integer, nullable=False, server_default="0"),
    sa.Column("review_items", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    # At most one link run at a time: a second is refused at its start.
    sa.Index(
        "uq_link_runs_one_running",
        "status",
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    ),
)

# Uncertain pairs for an analyst, ordered by priority. One open item per pair of mentions.
link_reviews = sa.Table(
    "link_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mention_id_l", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("mention_id_r", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("match_probability", sa.Float, nullable=False),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | confirmed | split | superseded
    sa.Column("run_id", sa.Integer, sa.ForeignKey("link_runs.id"), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("decision_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("mention_id_l", "mention_id_r"),
    sa.Index("ix_link_reviews_status_priority", "status", "priority"),
)

# Analysts' confirm (must_link) and split (cannot_link) decisions. Never deleted: undoing one sets
# revoked_at, and ``before`` keeps the person_links it changed so the undo restores them exactly.
link_decisions = sa.Table(
    "link_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # must_link | cannot_link
    sa.Column("mention_id_l", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("mention_id_r", sa.Integer, sa.ForeignKey("person_mentions.id"), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("review_id", sa.Integer, sa.ForeignKey("link_reviews.id"), nullable=True),
    sa.Column("before", sa.Text, nullable=False),  # JSON {mention_id: person_id}
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
    sa.Index("ix_link_decisions_active", "revoked_at"),
)

# Mentions kept as their own person because they cannot be linked, with the reason.
link_unlinkable = sa.Table(
    "link_unlinkable",
    metadata,
    sa.Column("mention_id", sa.Integer, sa.ForeignKey("person_mentions.id"), primary_key=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("link_runs.id"), nullable=True),
    sa.Column("detected_at", UTCDateTime(), nullable=False),
)


# --- reading and writing ----------------------------------------------------------------------


def active_constraints(conn: Connection) -> Constraints:
    """Every analyst decision not undone, as must-link and cannot-link pairs."""
    rows = conn.execute(
        sa.select(
            link_decisions.c.kind, link_decisions.c.mention_id_l, link_decisions.c.mention_id_r
        ).where(link_decisions.c.revoked_at.is_(None))
    ).all()
    must = frozenset(
        Constraints.pair(r.mention_id_l, r.mention_id_r) for r in rows if r.kind == MUST
    )
    cannot = frozenset(
        Constraints.pair(r.mention_id_l, r.mention_id_r) for r in rows if r.kind == CANNOT
    )
    return Constraints(must_link=must, cannot_link=cannot)


def current_links(conn: Connection) -> dict[int, int]:
    """mention id -> person id for every linked mention."""
    return {
        int(m): int(p)
        for m, p in conn.execute(
            sa.select(
                people_tables.person_links.c.mention_id, people_tables.person_links.c.person_id
            )
        )
    }


def person_of(conn: Connection, mention_id: int) -> int | None:
    value = conn.execute(
        sa.select(people_tables.person_links.c.person_id).where(
            people_tables.person_links.c.mention_id == mention_id
        )
    ).scalar()
    return None if value is None else int(value)


def people_of(conn: Connection, mention_ids: Iterable[int]) -> dict[int, int]:
    """mention id -> person id for those of these mentions that are linked."""
    links = people_tables.person_links.c
    rows = conn.execute(
        sa.select(links.mention_id, links.person_id).where(links.mention_id.in_(list(mention_ids)))
    )
    return {int(m): int(p) for m, p in rows}


def mentions_of(conn: Connection, person_id: int) -> list[int]:
    return [
        int(m)
        for m in conn.execute(
            sa.select(people_tables.person_links.c.mention_id)
            .where(people_tables.person_links.c.person_id == person_id)
            .order_by(people_tables.person_links.c.mention_id)
        ).scalars()
    ]


def save_model(
    conn: Connection, *, version: str, model_json: str, backend: str, trained_on: int, at: datetime
) -> None:
    conn.execute(
        sa.insert(link_models).values(
            version=version,
            created_at=at,
            backend=backend,
            trained_on=trained_on,
            model_json=model_json,
        )
    )


def latest_model(conn: Connection) -> tuple[str, str] | None:
    """(version, Splink JSON) of the newest saved model, if any."""
    row = conn.execute(
        sa.select(link_models.c.version, link_models.c.model_json)
        .order_by(link_models.c.created_at.desc(), link_models.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else (str(row.version), str(row.model_json))


def new_people(conn: Connection, count: int, at: datetime) -> list[int]:
    """Create ``count`` people and return their ids (a contiguous block after the highest id)."""
    if count == 0:
        return []
    start = int(
        conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(people_tables.people.c.id), 0))
        ).scalar_one()
    )
    ids = list(range(start + 1, start + count + 1))
    # through ``bulk_insert`` (COPY, or the SQLite driver): 400,000 people at 1M mentions
    bulk_insert(conn, people_tables.people, [{"id": i, "created_at": at} for i in ids])
    if conn.dialect.name == "postgresql":
        # Explicit ids leave the serial sequence behind; move it past them.
        conn.exec_driver_sql(
            "select setval(pg_get_serial_sequence('people', 'id'), (select max(id) from people))"
        )
    return ids


def write_links(
    conn: Connection,
    person_of_mention: Mapping[int, int],
    probability: Mapping[int, float | None],
    *,
    previous: Mapping[int, int],
    model_version: str | None,
    at: datetime,
) -> int:
    """Store each mention's person; only changed or new rows are written. Returns rows written."""
    inserts = [
        {
            "mention_id": m,
            "person_id": p,
            "match_probability": probability.get(m),
            "model_version": model_version,
            "linked_at": at,
        }
        for m, p in person_of_mention.items()
        if m not in previous
    ]
    updates = [
        {"m": m, "p": p, "prob": probability.get(m), "mv": model_version, "at": at}
        for m, p in person_of_mention.items()
        if m in previous and previous[m] != p
    ]
    bulk_insert(conn, people_tables.person_links, inserts)
    stmt = (
        sa.update(people_tables.person_links)
        .where(people_tables.person_links.c.mention_id == sa.bindparam("m"))
        .values(
            person_id=sa.bindparam("p"),
            match_probability=sa.bindparam("prob"),
            model_version=sa.bindparam("mv"),
            linked_at=sa.bindparam("at"),
        )
    )
    for chunk in _chunks(updates, WRITE_CHUNK):
        conn.execute(stmt, chunk)
    return len(inserts) + len(updates)


def move_mentions(conn: Connection, moves: Mapping[int, int], at: datetime) -> None:
    """Re-point mentions at other people (an analyst's merge, split or undo)."""
    for mention, person in moves.items():
        conn.execute(
            sa.update(people_tables.person_links)
            .where(people_tables.person_links.c.mention_id == mention)
            .values(person_id=person, linked_at=at, match_probability=None)
        )


def roles_by_mention(conn: Connection, mention_ids: Iterable[int]) -> dict[int, set[str]]:
    """The roles (victim, suspect, ...) each mention has in events."""
    out: dict[int, set[str]] = {}
    for chunk in _chunks(sorted(set(mention_ids)), 5000):
        rows = conn.execute(
            sa.select(involvements.c.mention_id, involvements.c.role).where(
                involvements.c.mention_id.in_(chunk)
            )
        )
        for m, role in rows:
            if role is not None:
                out.setdefault(int(m), set()).add(str(role))
    return out


def replace_unlinkable(
    conn: Connection,
    reasons: Mapping[int, str],
    *,
    run_id: int,
    at: datetime,
    only: Iterable[int] | None = None,
) -> None:
    """Record why mentions are unlinkable (all of them, or only the mentions in ``only``)."""
    if only is None:
        conn.execute(sa.delete(link_unlinkable))
    else:
        for ids in _chunks(sorted(set(only)), 5000):
            conn.execute(sa.delete(link_unlinkable).where(link_unlinkable.c.mention_id.in_(ids)))
    rows = [
        {"mention_id": m, "reason": r, "run_id": run_id, "detected_at": at}
        for m, r in reasons.items()
    ]
    bulk_insert(conn, link_unlinkable, rows)


def bulk_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows in the connection's transaction: PostgreSQL's COPY (a million rows in
    seconds), else chunked executemany. Column types' own bind processing (UTC datetimes) is
    applied as an INSERT would."""
    if not rows:
        return
    if conn.dialect.name == "sqlite" and not _python_defaults(table, rows[0]):
        _sqlite_insert(conn, table, rows)
        return
    if conn.dialect.name != "postgresql":
        for chunk in _chunks(rows, WRITE_CHUNK):
            conn.execute(sa.insert(table), chunk)
        return
    columns = list(rows[0].keys())
    binders: list[Any] = []
    for c in columns:
        kind = table.c[c].type
        binders.append(
            kind.process_bind_param if isinstance(kind, sa.types.TypeDecorator) else None
        )
    dialect = conn.dialect
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:  # type: ignore[union-attr]
        names = ", ".join(f'"{c}"' for c in columns)
        with cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [
                        row[c] if bind is None else bind(row[c], dialect)
                        for c, bind in zip(columns, binders, strict=True)
                    ]
                )


def _python_defaults(table: sa.Table, row: Mapping[str, Any]) -> bool:
    """Whether a column missing from ``row`` has a default SQLAlchemy would fill in."""
    return any(c.default is not None for c in table.c if c.name not in row)


def _sqlite_insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert through the SQLite driver, each value processed by its column type's own bind
    processor (as an INSERT would store it, once per distinct value): SQLAlchemy's per-row
    statement handling was most of the seconds of storing a million links."""
    columns = list(rows[0].keys())
    dialect = conn.dialect
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    caches: list[dict[Any, Any]] = [{} for _ in columns]

    def bound(i: int, value: Any) -> Any:
        process = processors[i]
        if process is None or value is None:
            return value
        cache = caches[i]
        try:
            found = cache.get(value)
        except TypeError:  # an unhashable value (JSON): processed each time
            return process(value)
        if found is None:
            found = cache[value] = process(value)
        return found

    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    for chunk in _chunks(rows, WRITE_CHUNK):
        conn.exec_driver_sql(
            sql, [tuple(bound(i, row[c]) for i, c in enumerate(columns)) for row in chunk]
        )


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
