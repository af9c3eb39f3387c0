"""Storing the risk model's versions and scores, and the few whole-table reads its data set
needs: the SQL of ``services.risk_model`` and ``risk_model_data``, on the caller's connection
(and transaction). Rows come back as mappings of the ``risk_models`` and
``risk_scores`` columns (the model card and drivers are JSON)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.raw_reads import base_sql, column_name, raw_rows
from safeguard.adapters.db.risk_models import risk_models, risk_scores
from safeguard.adapters.db.tables import events, involvements, missing_episodes, person_mentions
from safeguard.adapters.db.types import as_utc

CHUNK = 500  # keys per IN list


def next_version(conn: Connection, target: str) -> int:
    """The version a new model of ``target`` takes: one more than the highest stored."""
    q = sa.select(sa.func.coalesce(sa.func.max(risk_models.c.version), 0)).where(
        risk_models.c.target == target
    )
    return int(conn.execute(q).scalar_one()) + 1


def add_model(conn: Connection, values: Mapping[str, Any]) -> int:
    """Store a model version (inactive unless ``values`` says otherwise); returns its id."""
    q = sa.insert(risk_models).values(**values).returning(risk_models.c.id)
    return int(conn.execute(q).scalar_one())


def model(conn: Connection, target: str, version: int | None) -> dict[str, Any] | None:
    """The stored version of ``target`` (the active one when ``version`` is None)."""
    rm = risk_models.c
    q = sa.select(risk_models).where(rm.target == target)
    q = q.where(rm.version == version) if version else q.where(rm.active)
    found = conn.execute(q).mappings().first()
    return None if found is None else dict(found)


def model_by_id(conn: Connection, model_id: int) -> dict[str, Any]:
    """The stored model with this id (it must exist)."""
    q = sa.select(risk_models).where(risk_models.c.id == model_id)
    return dict(conn.execute(q).mappings().one())


def versions(conn: Connection) -> list[dict[str, Any]]:
    """Every stored version, by target and version, without its file."""
    rm = risk_models.c
    q = sa.select(
        rm.target, rm.version, rm.family, rm.created_at, rm.active, rm.refusals, rm.card
    ).order_by(rm.target, rm.version)
    return [dict(r) for r in conn.execute(q).mappings()]


def make_active(conn: Connection, target: str, model_id: int, by: str, at: datetime) -> None:
    """``model_id`` becomes the one active model of ``target``."""
    rm = risk_models.c
    conn.execute(sa.update(risk_models).where(rm.target == target).values(active=False))
    conn.execute(
        sa.update(risk_models)
        .where(rm.id == model_id)
        .values(active=True, activated_at=at, activated_by=by)
    )


def active_hashes(conn: Connection) -> list[tuple[int, str, str]]:
    """(id, target, sha256) of each active model, by target (read on every re-score)."""
    rm = risk_models.c
    q = sa.select(rm.id, rm.target, rm.sha256).where(rm.active)
    rows = raw_rows(conn, base_sql(conn, q, "active model hashes"), "", None)
    return sorted(((int(i), str(t), str(h)) for i, t, h in rows), key=lambda r: r[1])


def replace_scores(conn: Connection, model_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """The model's scores become ``rows`` (every earlier score of the model is deleted)."""
    conn.execute(sa.delete(risk_scores).where(risk_scores.c.model_id == model_id))
    if rows:
        conn.execute(sa.insert(risk_scores), list(rows))


_DELETE_SUBJECTS = sa.delete(risk_scores).where(
    risk_scores.c.model_id == sa.bindparam("model_id"),
    risk_scores.c.subject_key.in_(sa.bindparam("subjects", expanding=True)),
)
_INSERT_SCORES = sa.insert(risk_scores)


def replace_scores_of(conn: Connection, model_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
    """The model's scores of the subjects in ``rows`` become ``rows`` (the statements are built
    once: this is on the path of re-scoring one person)."""
    subjects = [r["subject_key"] for r in rows]
    for i in range(0, len(subjects), CHUNK):
        conn.execute(_DELETE_SUBJECTS, {"model_id": model_id, "subjects": subjects[i : i + CHUNK]})
    if rows:
        conn.execute(_INSERT_SCORES, list(rows))


def scores_of(conn: Connection, person_key: str) -> list[dict[str, Any]]:
    """The active models' scores that involve this person (as subject or other party),
    latest first, each with its model's version."""
    rs = risk_scores.c
    q = (
        sa.select(risk_scores, risk_models.c.version.label("model_version"))
        .select_from(risk_scores.join(risk_models, risk_models.c.id == rs.model_id))
        .where(
            risk_models.c.active, sa.or_(rs.person_key == person_key, rs.other_key == person_key)
        )
        .order_by(rs.occurred_at.desc(), rs.target)
    )
    return [dict(r) for r in conn.execute(q).mappings()]


def scores_version(conn: Connection) -> tuple[int, int] | None:
    """(the active model's id, the newest score id): changes whenever the active model or its
    scores change (scores are replaced by delete and insert). None: no active model."""
    active = conn.execute(sa.select(risk_models.c.id).where(risk_models.c.active)).scalar()
    if active is None:
        return None
    newest = conn.execute(sa.select(sa.func.max(risk_scores.c.id))).scalar() or 0
    return int(active), int(newest)


_BANDS = (risk_scores.c.person_key, risk_scores.c.target, risk_scores.c.band)


def bands_of_model(conn: Connection, model_id: int) -> Iterator[dict[str, Any]]:
    """Every score of the model (person key, target, band, probability), in time order."""
    rs = risk_scores.c
    q = (
        sa.select(*_BANDS, rs.probability)
        .where(rs.model_id == model_id)
        .order_by(rs.occurred_at, rs.id)
    )
    yield from (dict(r) for r in conn.execute(q).mappings())


def bands_of_people(conn: Connection, person_keys: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The active models' scores of these people (person key, target, band, probability,
    occurred at), in time order within each batch of keys."""
    rs = risk_scores.c
    active = sa.select(risk_models.c.id).where(risk_models.c.active).scalar_subquery()
    keys = sorted(set(person_keys))
    for i in range(0, len(keys), CHUNK):
        q = (
            sa.select(*_BANDS, rs.probability, rs.occurred_at)
            .where(rs.model_id.in_(active), rs.person_key.in_(keys[i : i + CHUNK]))
            .order_by(rs.occurred_at)
        )
        yield from (dict(r) for r in conn.execute(q).mappings())


def latest_event_at(conn: Connection) -> datetime | None:
    """When the latest recorded event occurred (UTC), or None when there is none (read on
    every re-score: straight through the cursor)."""
    sql = base_sql(conn, sa.select(sa.func.max(events.c.occurred_at)), "latest event")
    ((value,),) = raw_rows(conn, sql, "", None)
    return as_utc(value)


def recorded_sex_and_ethnicity(
    conn: Connection, mention_ids: Sequence[int] | None = None
) -> Iterator[tuple[str, str | None, str | None]]:
    """(person key, sex, ethnicity) of every mention (or of these), as recorded, in mention id
    order: for measuring fairness only, never a feature."""
    pm = person_mentions.c
    sql = base_sql(
        conn,
        sa.select(pm.id, person_links.c.person_id, pm.sex, pm.ethnicity).select_from(
            person_mentions.outerjoin(person_links, person_links.c.mention_id == pm.id)
        ),
        "recorded sex and ethnicity",
    )
    ids = None if mention_ids is None else sorted(set(mention_ids))
    rows = sorted(raw_rows(conn, sql, column_name(pm.id), ids), key=lambda r: int(r[0]))
    for mid, pid, sex, eth in rows:
        yield (f"P{pid}" if pid is not None else f"M{mid}"), sex, eth


def subject_mentions(conn: Connection) -> list[int]:
    """Every mention of the people the risk model's data set can be about, in id order: anyone
    involved in a domestic-abuse event (in any role: a victim, or the suspect whose history is
    read beside the victim's) or with a missing episode, with all of their mentions. One query;
    everyone else's history cannot give or feed an index row."""
    iv, ev, me, pl = involvements.c, events.c, missing_episodes.c, person_links.c
    direct = sa.union(
        sa.select(iv.mention_id)
        .join(events, ev.id == iv.event_id)
        .where(sa.or_(ev.event_type == "domestic_abuse", ev.domestic_abuse_related.is_(True))),
        sa.select(me.mention_id),
    ).cte("direct")
    link = person_links.alias("link")
    their_people = sa.select(link.c.person_id).where(
        link.c.mention_id.in_(sa.select(direct.c.mention_id))
    )
    linked = sa.select(pl.mention_id).where(pl.person_id.in_(their_people))
    unlinked = sa.select(direct.c.mention_id).where(
        direct.c.mention_id.is_not(None),
        ~sa.exists().where(pl.mention_id == direct.c.mention_id),
    )
    return sorted(int(m) for (m,) in conn.execute(sa.union(linked, unlinked)))
