"""Build each person's history (facts for the rules engine) from the stored records.

A person is a linked ``people`` row (key ``P<id>``): all mentions joined through
``person_links``. A mention with no ``person_links`` row (linking has not run, or has not reached
it yet) is treated as its own person, key ``M<mention id>``; once linked, its findings move to
the person's key and the ``M`` ones are closed by the next full run.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import (
    events,
    involvements,
    missing_episodes,
    person_mentions,
    referral_status_changes,
    referrals,
    risk_assessments,
    victim_contacts,
)
from safeguard.adapters.db.types import as_utc
from safeguard.rules.facts import (
    AssessmentFact,
    ContactFact,
    EventFact,
    InvolvementFact,
    MissingFact,
    PersonHistory,
    ReferralFact,
)

CHUNK = 900
RAW_CHUNK = 5000


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def person_key(person_id: int | None, mention_id: int) -> str:
    """``P<person id>`` for a linked mention, ``M<mention id>`` for one not linked yet."""
    return f"P{person_id}" if person_id is not None else f"M{mention_id}"


@dataclass(slots=True)
class _Acc:
    key: str
    dobs: list[date] = field(default_factory=list)
    ages: list[tuple[int, int, date]] = field(default_factory=list)
    involvements: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    assessments: list[AssessmentFact] = field(default_factory=list)
    referrals: list[ReferralFact] = field(default_factory=list)
    missing: list[MissingFact] = field(default_factory=list)
    contacts: list[ContactFact] = field(default_factory=list)
    event_ids: set[int] = field(default_factory=set)


def _where_in(column: sa.ColumnElement[Any], ids: Sequence[int] | None) -> Iterator[Any]:
    """Yield WHERE clauses: everything once, or the ids chunk by chunk."""
    if ids is None:
        yield sa.true()
        return
    for chunk in _chunks(ids):
        yield column.in_(chunk)


def mention_people(conn: Connection, mention_ids: Sequence[int] | None = None) -> dict[int, str]:
    """Mention id -> person key, for the given mentions (or all)."""
    q = sa.select(person_mentions.c.id, person_links.c.person_id).select_from(
        person_mentions.outerjoin(person_links, person_links.c.mention_id == person_mentions.c.id)
    )
    out: dict[int, str] = {}
    for clause in _where_in(person_mentions.c.id, mention_ids):
        for mid, pid in conn.execute(q.where(clause)):
            out[int(mid)] = person_key(pid, int(mid))
    return out


def mention_batches(conn: Connection, people_per_batch: int) -> tuple[int, list[list[int]]]:
    """The number of people, and every mention id grouped by person (in person-key order) into
    batches of at most ``people_per_batch`` people. Each batch holds all the mentions of its
    people, so it can be passed to :func:`load_histories` with ``expand=False``."""
    sql = _base_sql(
        conn,
        sa.select(person_mentions.c.id, person_links.c.person_id).select_from(
            person_mentions.outerjoin(
                person_links, person_links.c.mention_id == person_mentions.c.id
            )
        ),
        "mention_batches",
    )
    by_key: dict[str, list[int]] = defaultdict(list)
    for mid, pid in _raw_rows(conn, sql, _name(person_mentions.c.id), None):
        by_key[person_key(pid, mid)].append(int(mid))
    keys = sorted(by_key)
    return len(keys), [
        sorted(m for k in keys[i : i + people_per_batch] for m in by_key[k])
        for i in range(0, len(keys), people_per_batch)
    ]


def mentions_of(conn: Connection, keys: Iterable[str]) -> list[int]:
    """Every mention id belonging to the given person keys."""
    person_ids = sorted({int(k[1:]) for k in keys if k.startswith("P")})
    mention_ids = {int(k[1:]) for k in keys if k.startswith("M")}
    for chunk in _chunks(person_ids):
        mention_ids.update(
            int(m)
            for (m,) in conn.execute(
                sa.select(person_links.c.mention_id).where(person_links.c.person_id.in_(chunk))
            )
        )
    return sorted(mention_ids)


def _answers(value: Any) -> dict[str, object]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


_SQL: dict[tuple[str, str], str] = {}


def _base_sql(conn: Connection, stmt: sa.Select[Any], name: str) -> str:
    """The SQL text of a select with no bound parameters, for :func:`_raw_rows`; compiled once
    per dialect and ``name`` (compiling costs more than a one-person read)."""
    key = (conn.dialect.name, name)
    sql = _SQL.get(key)
    if sql is None:
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        sql = _SQL[key] = str(compiled)
    return sql


def _name(column: sa.ColumnElement[Any]) -> str:
    table = getattr(column, "table", None)
    return f"{table.name}.{column.name}" if table is not None else str(column.name)


def _raw_rows(
    conn: Connection, sql: str, column: str, ids: Sequence[int] | None
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` (no WHERE clause yet) for everything, or ``column IN ids`` chunk by chunk.

    Straight through the DB-API cursor of the caller's connection (same transaction): per-value
    type processing and row objects in SQLAlchemy cost more than the reads themselves on a full
    run. Values come back as the driver gives them; callers convert timestamps with
    :func:`as_utc`, dates with :func:`_as_date` and booleans with :func:`_as_bool`. The ids are
    integers rendered literally (never text from outside).
    """
    cursor = conn.connection.cursor()
    try:
        if ids is None:
            cursor.execute(sql)
            yield from cursor.fetchall()
            return
        for i in range(0, len(ids), RAW_CHUNK):
            listed = ", ".join(str(int(v)) for v in ids[i : i + RAW_CHUNK])
            cursor.execute(f"{sql} WHERE {column} IN ({listed})")
            yield from cursor.fetchall()
    finally:
        cursor.close()


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def load_histories(
    conn: Connection, mention_ids: Sequence[int] | None = None, *, expand: bool = True
) -> list[PersonHistory]:
    """The histories of the people behind ``mention_ids`` (all people when ``None``).

    Each person gets everything attached to any of their mentions; ``expand=False`` says the
    caller already passes every mention of the people concerned.
    """
    if mention_ids is not None and expand:
        mention_ids = sorted(set(mention_ids))
        keys_needed = set(mention_people(conn, mention_ids).values())
        mention_ids = mentions_of(conn, keys_needed)
    elif mention_ids is not None:
        mention_ids = sorted(set(mention_ids))
    accs: dict[int, _Acc] = {}
    by_key: dict[str, _Acc] = {}

    pm = person_mentions.c
    mentions_sql = _base_sql(
        conn,
        sa.select(
            pm.id, person_links.c.person_id, pm.date_of_birth, pm.age, pm.mention_date
        ).select_from(person_mentions.outerjoin(person_links, person_links.c.mention_id == pm.id)),
        "mentions",
    )
    for mid, pid, dob, age, mdate in _raw_rows(conn, mentions_sql, _name(pm.id), mention_ids):
        key = person_key(pid, mid)
        a = by_key.get(key)
        if a is None:
            a = by_key[key] = _Acc(key)
        accs[mid] = a
        if dob is not None:
            a.dobs.append(_as_date(dob))  # type: ignore[arg-type]
        elif age is not None and mdate is not None:
            a.ages.append((int(mid), int(age), _as_date(mdate)))  # type: ignore[arg-type]
    acc = accs.get

    iv = involvements.c
    sql = _base_sql(
        conn,
        sa.select(iv.id, iv.event_id, iv.mention_id, iv.role, iv.relationship_to_suspect),
        "involvements",
    )
    for iid, eid, mid, role, rel in _raw_rows(conn, sql, _name(iv.mention_id), mention_ids):
        a = acc(mid)
        if a is not None and eid is not None:
            a.involvements.append((iid, eid, role, rel))
            a.event_ids.add(eid)

    ra = risk_assessments.c
    sql = _base_sql(
        conn,
        sa.select(
            ra.id, ra.subject_id, ra.event_id, ra.instrument_id, ra.instrument_version,
            ra.answers, ra.officer_grade, ra.rationale, ra.reviewed_grade, ra.reviewed_at,
            ra.completed_at, ra.assessor_team,
        ),
        "risk_assessments",
    )  # fmt: skip
    for (
        rid, subject, eid, instrument, version, answers, officer, rationale, reviewed,
        reviewed_at, completed, team,
    ) in _raw_rows(conn, sql, _name(ra.subject_id), mention_ids):  # fmt: skip
        a = acc(subject)
        if a is None or completed is None:
            continue
        a.assessments.append(
            AssessmentFact(
                assessment_id=rid,
                instrument_id=instrument,
                instrument_version=version,
                answers=_answers(answers),
                completed_at=as_utc(completed),  # type: ignore[arg-type]
                event_id=eid,
                officer_grade=officer,
                rationale=rationale,
                reviewed_grade=reviewed,
                reviewed_at=as_utc(reviewed_at),
                assessor_team=team,
            )
        )
        if eid is not None:
            a.event_ids.add(eid)

    rf, rs = referrals.c, referral_status_changes.c
    referral_rows: list[tuple[_Acc, tuple[Any, ...]]] = []
    sql = _base_sql(
        conn,
        sa.select(
            rf.id, rf.subject_id, rf.event_id, rf.referral_type, rf.route, rf.rag, rf.made_at
        ),
        "referrals",
    )
    for r in _raw_rows(conn, sql, _name(rf.subject_id), mention_ids):
        a = acc(r[1])
        if a is not None:
            referral_rows.append((a, r))
    statuses: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    ref_ids = sorted(r[0] for _, r in referral_rows)
    sql = _base_sql(conn, sa.select(rs.referral_id, rs.status, rs.changed_at), "referral_status")
    for rid, status, changed in _raw_rows(
        conn, sql, _name(rs.referral_id), None if mention_ids is None else ref_ids
    ):
        if rid is not None and changed is not None:
            statuses[rid].append((status, as_utc(changed)))  # type: ignore[arg-type]
    for a, (rid, _, eid, rtype, route, rag, made_at) in referral_rows:
        a.referrals.append(
            ReferralFact(
                referral_id=rid,
                referral_type=rtype,
                made_at=as_utc(made_at),
                event_id=eid,
                route=route,
                rag=rag,
                statuses=tuple(sorted(statuses.get(rid, ()))),
            )
        )
        if eid is not None:
            a.event_ids.add(eid)

    me = missing_episodes.c
    sql = _base_sql(
        conn,
        sa.select(
            me.id, me.mention_id, me.event_id, me.reported_missing_at, me.last_seen_at,
            me.found_at, me.risk_grade, me.in_care, me.exploitation_flag, me.rhi_offered_at,
            me.rhi_completed_at, me.rhi_declined,
        ),
        "missing",
    )  # fmt: skip
    for (
        eid_, mid, eid, reported, last_seen, found, grade, in_care, exploitation, offered,
        completed, declined,
    ) in _raw_rows(conn, sql, _name(me.mention_id), mention_ids):  # fmt: skip
        a = acc(mid)
        if a is None or eid is None or reported is None:
            continue
        a.missing.append(
            MissingFact(
                episode_id=eid_,
                event_id=eid,
                reported_missing_at=as_utc(reported),  # type: ignore[arg-type]
                last_seen_at=as_utc(last_seen),
                found_at=as_utc(found),
                risk_grade=grade,
                in_care=_as_bool(in_care),
                exploitation_flag=_as_bool(exploitation),
                rhi_offered_at=as_utc(offered),
                rhi_completed_at=as_utc(completed),
                rhi_declined=_as_bool(declined),
            )
        )
        a.event_ids.add(eid)

    vc = victim_contacts.c
    sql = _base_sql(
        conn,
        sa.select(vc.id, vc.mention_id, vc.event_id, vc.trigger, vc.trigger_at, vc.contacted_at),
        "contacts",
    )
    for cid, mid, eid, trigger, trigger_at, contacted in _raw_rows(
        conn, sql, _name(vc.mention_id), mention_ids
    ):
        a = acc(mid)
        if a is None or trigger is None:
            continue
        a.contacts.append(ContactFact(cid, trigger, as_utc(trigger_at), eid, as_utc(contacted)))
        if eid is not None:
            a.event_ids.add(eid)

    all_event_ids = sorted({e for a in by_key.values() for e in a.event_ids})
    event_facts = _load_events(conn, None if mention_ids is None else all_event_ids)
    return [_build(a, event_facts) for _, a in sorted(by_key.items())]


def _load_events(conn: Connection, ids: Sequence[int] | None) -> dict[int, EventFact]:
    ev = events.c
    out: dict[int, EventFact] = {}
    sql = _base_sql(
        conn,
        sa.select(
            ev.id, ev.event_type, ev.occurred_at, ev.reported_at, ev.domestic_abuse_related,
            ev.hate_crime_strands, ev.area, ev.team,
        ),
        "events",
    )  # fmt: skip
    for eid, etype, occurred, reported, da, strands, area, team in _raw_rows(
        conn, sql, _name(ev.id), ids
    ):
        if occurred is None:
            continue
        if isinstance(strands, str):
            if strands == "null":
                strands = None
            else:
                strands = json.loads(strands) if strands.startswith("[") else strands.split(";")
        out[eid] = EventFact(
            event_id=eid,
            event_type=etype,
            occurred_at=as_utc(occurred),  # type: ignore[arg-type]
            reported_at=as_utc(reported),
            domestic_abuse_related=bool(da),
            hate_crime_strands=tuple(s for s in (strands or ()) if s),
            area=area,
            team=team,
        )
    return out


def _build(a: _Acc, event_facts: dict[int, EventFact]) -> PersonHistory:
    dob = None
    if a.dobs:
        counts = Counter(a.dobs)
        dob = min(counts, key=lambda d: (-counts[d], d))
    age_hint = None
    if dob is None and a.ages:
        _, age, on = min(a.ages)
        age_hint = (age, on)
    invs = tuple(
        InvolvementFact(iid, event_facts[eid], role, rel)
        for iid, eid, role, rel in a.involvements
        if eid in event_facts
    )
    missing = []
    for m in a.missing:
        e = event_facts.get(m.event_id)
        missing.append(
            replace(m, area=e.area, team=e.team) if e is not None and (e.area or e.team) else m
        )
    return PersonHistory(
        person_key=a.key,
        person_id=int(a.key[1:]) if a.key.startswith("P") else None,
        date_of_birth=dob,
        age_hint=age_hint,
        involvements=invs,
        assessments=tuple(a.assessments),
        referrals=tuple(a.referrals),
        missing=tuple(missing),
        contacts=tuple(a.contacts),
        events={e: event_facts[e] for e in sorted(a.event_ids) if e in event_facts},
    )


def touched_mentions(conn: Connection, since: datetime) -> list[int]:
    """Mentions whose own record, or any record attached to them, changed at or after ``since``."""
    found: set[int] = set()
    for table, column in (
        (person_mentions, person_mentions.c.id),
        (involvements, involvements.c.mention_id),
        (risk_assessments, risk_assessments.c.subject_id),
        (referrals, referrals.c.subject_id),
        (missing_episodes, missing_episodes.c.mention_id),
        (victim_contacts, victim_contacts.c.mention_id),
    ):
        found.update(
            int(m)
            for (m,) in conn.execute(sa.select(column).where(table.c.last_changed_at >= since))
            if m is not None
        )
    changed_events = sa.select(events.c.id).where(events.c.last_changed_at >= since)
    found.update(
        int(m)
        for (m,) in conn.execute(
            sa.select(involvements.c.mention_id).where(involvements.c.event_id.in_(changed_events))
        )
        if m is not None
    )
    changed_refs = sa.select(referral_status_changes.c.referral_id).where(
        referral_status_changes.c.last_changed_at >= since
    )
    found.update(
        int(m)
        for (m,) in conn.execute(
            sa.select(referrals.c.subject_id).where(referrals.c.id.in_(changed_refs))
        )
        if m is not None
    )
    linked = sa.select(person_links.c.mention_id).where(person_links.c.linked_at >= since)
    found.update(int(m) for (m,) in conn.execute(linked))
    return sorted(found)
