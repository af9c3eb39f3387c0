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
from dataclasses import dataclass, field
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
from safeguard.risk.facts import (
    AssessmentFact,
    ContactFact,
    EventFact,
    InvolvementFact,
    MissingFact,
    PersonHistory,
    ReferralFact,
)

CHUNK = 900


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
    who: dict[int, str] = {}
    accs: dict[str, _Acc] = {}

    def acc(mid: int | None) -> _Acc | None:
        if mid is None or mid not in who:
            return None
        key = who[mid]
        found = accs.get(key)
        if found is None:
            found = accs[key] = _Acc(key)
        return found

    pm = person_mentions.c
    mentions_q = sa.select(
        pm.id, person_links.c.person_id, pm.date_of_birth, pm.age, pm.mention_date
    ).select_from(person_mentions.outerjoin(person_links, person_links.c.mention_id == pm.id))
    for clause in _where_in(pm.id, mention_ids):
        for mid, pid, dob, age, mdate in conn.execute(mentions_q.where(clause)):
            who[mid] = person_key(pid, mid)
            a = acc(mid)
            assert a is not None
            if dob is not None:
                a.dobs.append(dob)
            elif age is not None and mdate is not None:
                a.ages.append((int(mid), int(age), mdate))

    iv = involvements.c
    for clause in _where_in(iv.mention_id, mention_ids):
        for iid, eid, mid, role, rel in conn.execute(
            sa.select(iv.id, iv.event_id, iv.mention_id, iv.role, iv.relationship_to_suspect).where(
                clause
            )
        ):
            a = acc(mid)
            if a is not None and eid is not None:
                a.involvements.append((int(iid), int(eid), role, rel))
                a.event_ids.add(int(eid))

    ra = risk_assessments.c
    for clause in _where_in(ra.subject_id, mention_ids):
        for r in conn.execute(
            sa.select(
                ra.id, ra.subject_id, ra.event_id, ra.instrument_id, ra.instrument_version,
                ra.answers, ra.officer_grade, ra.rationale, ra.reviewed_grade, ra.reviewed_at,
                ra.completed_at, ra.assessor_team,
            ).where(clause)
        ):  # fmt: skip
            a = acc(r.subject_id)
            if a is None or r.completed_at is None:
                continue
            a.assessments.append(
                AssessmentFact(
                    assessment_id=r.id,
                    instrument_id=r.instrument_id,
                    instrument_version=r.instrument_version,
                    answers=_answers(r.answers),
                    completed_at=r.completed_at,
                    event_id=r.event_id,
                    officer_grade=r.officer_grade,
                    rationale=r.rationale,
                    reviewed_grade=r.reviewed_grade,
                    reviewed_at=r.reviewed_at,
                    assessor_team=r.assessor_team,
                )
            )
            if r.event_id is not None:
                a.event_ids.add(r.event_id)

    rf, rs = referrals.c, referral_status_changes.c
    referral_rows: list[tuple[_Acc, Any]] = []
    for clause in _where_in(rf.subject_id, mention_ids):
        for r in conn.execute(
            sa.select(
                rf.id, rf.subject_id, rf.event_id, rf.referral_type, rf.route, rf.rag, rf.made_at
            ).where(clause)
        ):
            a = acc(r.subject_id)
            if a is not None:
                referral_rows.append((a, r))
    statuses: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    ref_ids = sorted(r.id for _, r in referral_rows)
    for clause in _where_in(rs.referral_id, None if mention_ids is None else ref_ids):
        for rid, status, changed in conn.execute(
            sa.select(rs.referral_id, rs.status, rs.changed_at).where(clause)
        ):
            if rid is not None and changed is not None:
                statuses[int(rid)].append((status, changed))
    for a, r in referral_rows:
        a.referrals.append(
            ReferralFact(
                referral_id=r.id,
                referral_type=r.referral_type,
                made_at=r.made_at,
                event_id=r.event_id,
                route=r.route,
                rag=r.rag,
                statuses=tuple(sorted(statuses.get(r.id, ()))),
            )
        )
        if r.event_id is not None:
            a.event_ids.add(r.event_id)

    me = missing_episodes.c
    for clause in _where_in(me.mention_id, mention_ids):
        for r in conn.execute(sa.select(missing_episodes).where(clause)):
            a = acc(r.mention_id)
            if a is None or r.event_id is None or r.reported_missing_at is None:
                continue
            a.missing.append(
                MissingFact(
                    episode_id=r.id,
                    event_id=r.event_id,
                    reported_missing_at=r.reported_missing_at,
                    last_seen_at=r.last_seen_at,
                    found_at=r.found_at,
                    risk_grade=r.risk_grade,
                    in_care=r.in_care,
                    exploitation_flag=r.exploitation_flag,
                    rhi_offered_at=r.rhi_offered_at,
                    rhi_completed_at=r.rhi_completed_at,
                    rhi_declined=r.rhi_declined,
                )
            )
            a.event_ids.add(r.event_id)

    vc = victim_contacts.c
    for clause in _where_in(vc.mention_id, mention_ids):
        for r in conn.execute(
            sa.select(
                vc.id, vc.mention_id, vc.event_id, vc.trigger, vc.trigger_at, vc.contacted_at
            ).where(clause)
        ):
            a = acc(r.mention_id)
            if a is None or r.trigger is None:
                continue
            a.contacts.append(
                ContactFact(r.id, r.trigger, r.trigger_at, r.event_id, r.contacted_at)
            )
            if r.event_id is not None:
                a.event_ids.add(r.event_id)

    all_event_ids = sorted({e for a in accs.values() for e in a.event_ids})
    event_facts = _load_events(conn, None if mention_ids is None else all_event_ids)
    return [_build(a, event_facts) for _, a in sorted(accs.items())]


def _load_events(conn: Connection, ids: Sequence[int] | None) -> dict[int, EventFact]:
    ev = events.c
    out: dict[int, EventFact] = {}
    cols = (
        ev.id, ev.event_type, ev.occurred_at, ev.reported_at, ev.domestic_abuse_related,
        ev.hate_crime_strands, ev.area, ev.team,
    )  # fmt: skip
    for clause in _where_in(ev.id, ids):
        for r in conn.execute(sa.select(*cols).where(clause)):
            if r.occurred_at is None:
                continue
            strands = r.hate_crime_strands
            if isinstance(strands, str):
                strands = json.loads(strands) if strands.startswith("[") else strands.split(";")
            out[r.id] = EventFact(
                event_id=r.id,
                event_type=r.event_type,
                occurred_at=r.occurred_at,
                reported_at=r.reported_at,
                domestic_abuse_related=bool(r.domestic_abuse_related),
                hate_crime_strands=tuple(s for s in (strands or ()) if s),
                area=r.area,
                team=r.team,
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
    return PersonHistory(
        person_key=a.key,
        person_id=int(a.key[1:]) if a.key.startswith("P") else None,
        date_of_birth=dob,
        age_hint=age_hint,
        involvements=invs,
        assessments=tuple(a.assessments),
        referrals=tuple(a.referrals),
        missing=tuple(
            MissingFact(
                **{
                    **_fields(m),
                    "area": _area(event_facts, m.event_id),
                    "team": _team(event_facts, m.event_id),
                }
            )
            for m in a.missing
        ),
        contacts=tuple(a.contacts),
        events={e: event_facts[e] for e in sorted(a.event_ids) if e in event_facts},
    )


def _fields(m: MissingFact) -> dict[str, Any]:
    return {name: getattr(m, name) for name in MissingFact.__dataclass_fields__}


def _area(event_facts: dict[int, EventFact], eid: int) -> str | None:
    e = event_facts.get(eid)
    return e.area if e else None


def _team(event_facts: dict[int, EventFact], eid: int) -> str | None:
    e = event_facts.get(eid)
    return e.team if e else None


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
