"""The one reader of a person's linked history: every table that makes it up, read in batches,
for the rules engine, the person profile, the board report and the risk model alike.

A person is a linked ``people`` row (key ``P<id>``): all mentions joined through
``person_links``. A mention with no ``person_links`` row (linking has not run, or has not reached
it yet) is treated as its own person, key ``M<mention id>`` (see
:class:`safeguard.domain.history.PersonKey`); once linked, its findings move to the person's key
and the ``M`` ones are closed by the next full run.

:class:`HistoryRepository` works on the caller's connection and transaction (a unit of work can
own one and hand it out); it never commits. Reads go straight through the DB-API cursor (see
:func:`raw_rows`) because a full assessment reads every row of these tables.

About 590 lines on purpose: one reader per table of a person's history, each one query for a
whole batch, and the repository that hands them out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.person_keys import (
    mention_batches,
    mention_people,
    mentions_of,
    touched_mentions,
)
from safeguard.adapters.db.raw_reads import (
    answers_of,
    as_bool,
    as_date,
    base_sql,
    column_name,
    raw_rows,
)
from safeguard.adapters.db.risk_models import risk_models, risk_scores
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
from safeguard.domain.history import (
    AssessmentFact,
    ContactFact,
    EventFact,
    InvolvementFact,
    MissingFact,
    Party,
    PersonHistory,
    PersonKey,
    ReferralFact,
    RiskScoreFact,
    birth_of,
    person_key_text,
)

person_key = person_key_text  # ``P<person id>`` once linked, ``M<mention id>`` before


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


def load_histories(
    conn: Connection,
    mention_ids: Sequence[int] | None = None,
    *,
    expand: bool = True,
    parties: bool = True,
    text: bool = False,
    scores: bool = True,
    contacts: bool = True,
) -> list[PersonHistory]:
    """The histories of the people behind ``mention_ids`` (all people when ``None``).

    Each person gets everything attached to any of their mentions; ``expand=False`` says the
    caller already passes every mention of the people concerned. ``parties``: each involvement
    also names the other parties of its event (their person keys and roles). ``text``: the free
    text the profile shows (event summaries, referral reasons, contact notes); the rules never
    read it. ``scores=False``: without the active risk model's scores (the risk model's own
    features never read them; re-scoring a person skips the read). ``contacts=False``: without
    the Victims' Code contacts (the risk model's features never read them either).
    """
    if mention_ids is not None and expand:
        mention_ids = sorted(set(mention_ids))
        keys_needed = set(mention_people(conn, mention_ids).values())
        mention_ids = mentions_of(conn, keys_needed)
    elif mention_ids is not None:
        mention_ids = sorted(set(mention_ids))
    b = _Batch(conn, mention_ids, parties, text)
    for read in (
        _read_mentions, _read_involvements, _read_assessments, _read_referrals, _read_missing,
        *((_read_contacts,) if contacts else ()),
    ):  # fmt: skip
        read(b)
    all_event_ids = sorted({e for a in b.by_key.values() for e in a.event_ids})
    event_facts = _load_events(conn, None if mention_ids is None else all_event_ids, text=text)
    held = _risk_scores(conn, None if mention_ids is None else sorted(b.by_key)) if scores else {}
    return [
        _build(a, event_facts, b.event_parties, held.get(k, ()))
        for k, a in sorted(b.by_key.items())
    ]


def _risk_scores(
    conn: Connection, keys: Sequence[str] | None
) -> dict[str, tuple[RiskScoreFact, ...]]:
    """The active risk models' scores of these people (everyone's when None), by person key."""
    rs, rm = risk_scores.c, risk_models.c
    q = sa.select(
        rs.person_key, rs.target, rs.event_id, rs.probability, rs.band, rs.scored_at,
        rs.other_key, rm.version,
    ).select_from(risk_scores.join(risk_models, rm.id == rs.model_id)).where(rm.active)  # fmt: skip
    out: dict[str, list[RiskScoreFact]] = defaultdict(list)
    chunks = [None] if keys is None else [keys[i : i + 500] for i in range(0, len(keys), 500)]
    for chunk in chunks:
        if chunk is not None and not chunk:
            continue
        sql = q if chunk is None else q.where(rs.person_key.in_(chunk))
        for key, target, eid, p, band, at, other, version in conn.execute(sql):
            if eid is not None:
                out[key].append(
                    RiskScoreFact(target, eid, p, band, as_utc(at), other, version)  # type: ignore[arg-type]
                )
    return {k: tuple(v) for k, v in out.items()}


@dataclass(slots=True)
class _Batch:
    """One read of the histories of a batch of people (or everyone, ``mention_ids`` None)."""

    conn: Connection
    mention_ids: Sequence[int] | None
    parties: bool
    text: bool
    accs: dict[int, _Acc] = field(default_factory=dict)
    by_key: dict[str, _Acc] = field(default_factory=dict)
    event_parties: dict[int, list[Party]] = field(default_factory=dict)


def _read_mentions(b: _Batch) -> None:
    """Each mention's person, and the dates of birth and ages recorded."""
    pm = person_mentions.c
    mentions_sql = base_sql(
        b.conn,
        sa.select(
            pm.id, person_links.c.person_id, pm.date_of_birth, pm.age, pm.mention_date
        ).select_from(person_mentions.outerjoin(person_links, person_links.c.mention_id == pm.id)),
        "mentions",
    )
    for mid, pid, dob, age, mdate in raw_rows(
        b.conn, mentions_sql, column_name(pm.id), b.mention_ids
    ):
        key = person_key(pid, mid)
        a = b.by_key.get(key)
        if a is None:
            a = b.by_key[key] = _Acc(key)
        b.accs[mid] = a
        if dob is not None:
            a.dobs.append(as_date(dob))  # type: ignore[arg-type]
        elif age is not None and mdate is not None:
            a.ages.append((int(mid), int(age), as_date(mdate)))  # type: ignore[arg-type]


def _read_involvements(b: _Batch) -> None:
    """The person's involvements in events (and, if asked, the other parties of each event)."""
    acc = b.accs.get  # bound once: called for every row
    iv = involvements.c
    sql = base_sql(
        b.conn,
        sa.select(iv.id, iv.event_id, iv.mention_id, iv.role, iv.relationship_to_suspect),
        "involvements",
    )
    for iid, eid, mid, role, rel in raw_rows(
        b.conn, sql, column_name(iv.mention_id), b.mention_ids
    ):
        a = acc(mid)
        if a is not None and eid is not None:
            a.involvements.append((iid, eid, role, rel))
            a.event_ids.add(eid)
    if b.parties:
        involved_events = sorted({e for a in b.by_key.values() for _, e, _, _ in a.involvements})
        b.event_parties = _parties(b.conn, None if b.mention_ids is None else involved_events)


def _read_assessments(b: _Batch) -> None:
    """Risk assessments about the person."""
    acc = b.accs.get  # bound once: called for every row
    ra = risk_assessments.c
    sql = base_sql(
        b.conn,
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
    ) in raw_rows(b.conn, sql, column_name(ra.subject_id), b.mention_ids):  # fmt: skip
        a = acc(subject)
        if a is None or completed is None:
            continue
        a.assessments.append(
            AssessmentFact(
                assessment_id=rid,
                instrument_id=instrument,
                instrument_version=version,
                answers=answers_of(answers),
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


def _read_referrals(b: _Batch) -> None:
    """Referrals about the person, with their status changes."""
    acc = b.accs.get  # bound once: called for every row
    rf, rs = referrals.c, referral_status_changes.c
    referral_rows: list[tuple[_Acc, tuple[Any, ...]]] = []
    referral_columns = [
        rf.id, rf.subject_id, rf.event_id, rf.referral_type, rf.route, rf.rag, rf.made_at,
    ]  # fmt: skip
    if b.text:
        referral_columns += [rf.agency, rf.reason]
    sql = base_sql(b.conn, sa.select(*referral_columns), f"referrals:{b.text}")
    for r in raw_rows(b.conn, sql, column_name(rf.subject_id), b.mention_ids):
        a = acc(r[1])
        if a is not None:
            referral_rows.append((a, r))
    statuses: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    ref_ids = sorted(r[0] for _, r in referral_rows)
    sql = base_sql(b.conn, sa.select(rs.referral_id, rs.status, rs.changed_at), "referral_status")
    for rid, status, changed in raw_rows(
        b.conn, sql, column_name(rs.referral_id), None if b.mention_ids is None else ref_ids
    ):
        if rid is not None and changed is not None:
            statuses[rid].append((status, as_utc(changed)))  # type: ignore[arg-type]
    for a, (rid, _, eid, rtype, route, rag, made_at, *extra) in referral_rows:
        a.referrals.append(
            ReferralFact(
                referral_id=rid,
                referral_type=rtype,
                made_at=as_utc(made_at),
                event_id=eid,
                route=route,
                rag=rag,
                statuses=tuple(sorted(statuses.get(rid, ()))),
                agency=extra[0] if extra else None,
                reason=extra[1] if extra else None,
            )
        )
        if eid is not None:
            a.event_ids.add(eid)


def _read_missing(b: _Batch) -> None:
    """Missing episodes of the person."""
    acc = b.accs.get  # bound once: called for every row
    me = missing_episodes.c
    sql = base_sql(
        b.conn,
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
    ) in raw_rows(b.conn, sql, column_name(me.mention_id), b.mention_ids):  # fmt: skip
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
                in_care=as_bool(in_care),
                exploitation_flag=as_bool(exploitation),
                rhi_offered_at=as_utc(offered),
                rhi_completed_at=as_utc(completed),
                rhi_declined=as_bool(declined),
            )
        )
        a.event_ids.add(eid)


def _read_contacts(b: _Batch) -> None:
    """Victims' Code contacts with the person."""
    acc = b.accs.get  # bound once: called for every row
    vc = victim_contacts.c
    contact_columns = [
        vc.id,
        vc.mention_id,
        vc.event_id,
        vc.trigger,
        vc.trigger_at,
        vc.contacted_at,
    ]
    if b.text:
        contact_columns.append(vc.summary)
    sql = base_sql(b.conn, sa.select(*contact_columns), f"contacts:{b.text}")
    for cid, mid, eid, trigger, trigger_at, contacted, *extra in raw_rows(
        b.conn, sql, column_name(vc.mention_id), b.mention_ids
    ):
        a = acc(mid)
        if a is None or trigger is None:
            continue
        a.contacts.append(
            ContactFact(
                cid,
                trigger,
                as_utc(trigger_at),
                eid,
                as_utc(contacted),
                extra[0] if extra else None,
            )
        )
        if eid is not None:
            a.event_ids.add(eid)


def _parties(conn: Connection, event_ids: Sequence[int] | None) -> dict[int, list[Party]]:
    """Everyone involved in these events (all events when None), by event, with person keys."""
    iv = involvements.c
    sql = base_sql(
        conn,
        sa.select(
            iv.id, iv.event_id, iv.mention_id, person_links.c.person_id, iv.role,
            iv.relationship_to_suspect,
        ).select_from(
            involvements.outerjoin(person_links, person_links.c.mention_id == iv.mention_id)
        ),
        "parties",
    )  # fmt: skip
    out: dict[int, list[Party]] = defaultdict(list)
    for iid, eid, mid, pid, role, rel in raw_rows(conn, sql, column_name(iv.event_id), event_ids):
        if eid is not None and mid is not None:
            out[eid].append(Party(person_key(pid, mid), role, rel, iid))
    return out


def _load_events(
    conn: Connection, ids: Sequence[int] | None, *, text: bool = False
) -> dict[int, EventFact]:
    ev = events.c
    out: dict[int, EventFact] = {}
    columns = [
        ev.id, ev.event_type, ev.occurred_at, ev.reported_at, ev.domestic_abuse_related,
        ev.hate_crime_strands, ev.area, ev.team, ev.offence_code, ev.injury_level,
    ]  # fmt: skip
    if text:
        columns.append(ev.summary)
    sql = base_sql(conn, sa.select(*columns), f"events:{text}")
    for eid, etype, occurred, reported, da, strands, area, team, code, injury, *extra in raw_rows(
        conn, sql, column_name(ev.id), ids
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
            summary=extra[0] if extra else None,
            offence_code=code,
            injury_level=injury,
        )
    return out


def _build(
    a: _Acc,
    event_facts: dict[int, EventFact],
    event_parties: dict[int, list[Party]],
    scores: tuple[RiskScoreFact, ...] = (),
) -> PersonHistory:
    dob, age_hint = birth_of(a.dobs, a.ages)
    invs = tuple(
        InvolvementFact(
            iid,
            event_facts[eid],
            role,
            rel,
            tuple(p for p in event_parties[eid] if p.person_key != a.key)
            if eid in event_parties
            else (),
        )
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
        risk_scores=scores,
    )


class HistoryRepository:
    """People's linked histories, read on one connection (the caller's transaction).

    Examples:
        >>> # with engine.connect() as conn:
        >>> #     repo = HistoryRepository(conn)
        >>> #     total, batches = repo.batches(2000)
        >>> #     for batch in batches: histories = repo.histories(batch, expand=False)
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def histories(
        self,
        mention_ids: Sequence[int] | None = None,
        *,
        expand: bool = True,
        parties: bool = True,
        text: bool = False,
        scores: bool = True,
        contacts: bool = True,
    ) -> list[PersonHistory]:
        """The people behind these mentions (everyone when None); see :func:`load_histories`."""
        return load_histories(
            self.conn,
            mention_ids,
            expand=expand,
            parties=parties,
            text=text,
            scores=scores,
            contacts=contacts,
        )

    def of_people(
        self,
        keys: Iterable[PersonKey | str],
        *,
        parties: bool = True,
        text: bool = False,
        scores: bool = True,
        contacts: bool = True,
    ) -> list[PersonHistory]:
        """The histories of these people (person keys), in key order; unknown keys are absent."""
        mentions = self.mentions_of([str(k) for k in keys])
        if not mentions:
            return []
        return load_histories(
            self.conn,
            mentions,
            expand=False,
            parties=parties,
            text=text,
            scores=scores,
            contacts=contacts,
        )

    def pair_partners(self, keys: Iterable[str]) -> set[str]:
        """Person keys of the other side of these people's victim-suspect pairs (the suspects
        where they were a victim, the victims where they were a suspect): what
        ``PersonHistory.pairs()`` and ``pairs("suspect", "victim")`` of their histories name,
        read with two queries instead of their whole histories (re-scoring one person)."""
        wanted = {str(k) for k in keys}
        mentions = self.mentions_of(wanted)
        if not mentions:
            return set()
        iv = involvements.c
        sql = base_sql(self.conn, sa.select(iv.event_id, iv.role), "involvement roles")
        roles: dict[int, set[str]] = defaultdict(set)
        for eid, role in raw_rows(self.conn, sql, column_name(iv.mention_id), sorted(mentions)):
            if eid is not None and role in ("victim", "suspect"):
                roles[int(eid)].add(str(role))
        other = {"victim": "suspect", "suspect": "victim"}
        out: set[str] = set()
        for eid, parties in _parties(self.conn, sorted(roles)).items():
            sides = {other[r] for r in roles[eid]}
            out.update(p.person_key for p in parties if p.role in sides)
        return out - wanted

    def batches(self, people_per_batch: int) -> tuple[int, list[list[int]]]:
        """Everyone's mentions in batches of whole people (see :func:`mention_batches`)."""
        return mention_batches(self.conn, people_per_batch)

    def mentions_of(self, keys: Iterable[str]) -> list[int]:
        """Every mention id of these people (``P``/``M`` keys)."""
        return mentions_of(self.conn, keys)

    def keys_of(self, mention_ids: Sequence[int] | None = None) -> dict[int, str]:
        """Mention id -> person key."""
        return mention_people(self.conn, mention_ids)

    def touched_since(self, since: datetime) -> list[int]:
        """Mentions whose records changed at or after ``since`` (see :func:`touched_mentions`)."""
        return touched_mentions(self.conn, since)

    def births_of(
        self, mention_ids: Sequence[int]
    ) -> dict[int, tuple[date | None, tuple[int, date] | None]]:
        """Mention id -> the date of birth (or age hint) of the person it belongs to, read from
        all of that person's mentions (as :class:`PersonHistory` reads it)."""
        wanted = sorted(set(mention_ids))
        if not wanted:
            return {}
        keys = mention_people(self.conn, wanted)
        pm = person_mentions.c
        sql = base_sql(
            self.conn,
            sa.select(
                pm.id, person_links.c.person_id, pm.date_of_birth, pm.age, pm.mention_date
            ).select_from(
                person_mentions.outerjoin(person_links, person_links.c.mention_id == pm.id)
            ),
            "mentions",
        )
        every = mentions_of(self.conn, set(keys.values()))
        dobs: dict[str, list[date]] = defaultdict(list)
        ages: dict[str, list[tuple[int, int, date]]] = defaultdict(list)
        for mid, pid, dob, age, mdate in raw_rows(self.conn, sql, column_name(pm.id), every):
            key = person_key(pid, mid)
            if dob is not None:
                dobs[key].append(as_date(dob))  # type: ignore[arg-type]
            elif age is not None and mdate is not None:
                ages[key].append((int(mid), int(age), as_date(mdate)))  # type: ignore[arg-type]
        return {m: birth_of(dobs.get(k, []), ages.get(k, [])) for m, k in keys.items()}

    def births(self) -> dict[int, tuple[date | None, tuple[int, date] | None]]:
        """Every person's date of birth or age hint, by signed person key (``people.id``, or
        minus the mention id): the same reading :class:`PersonHistory` makes (see
        :func:`~safeguard.domain.history.birth_of`), for the board's ages."""
        pm = person_mentions.c
        sql = base_sql(
            self.conn,
            sa.select(
                pm.id, person_links.c.person_id, pm.date_of_birth, pm.age, pm.mention_date
            ).select_from(
                person_mentions.outerjoin(person_links, person_links.c.mention_id == pm.id)
            ),
            "mentions",
        )
        dobs: dict[int, list[date]] = defaultdict(list)
        ages: dict[int, list[tuple[int, int, date]]] = defaultdict(list)
        keys: set[int] = set()
        for mid, pid, dob, age, mdate in raw_rows(self.conn, sql, column_name(pm.id), None):
            key = pid if pid is not None else -mid
            keys.add(key)
            if dob is not None:
                dobs[key].append(as_date(dob))  # type: ignore[arg-type]
            elif age is not None and mdate is not None:
                ages[key].append((int(mid), int(age), as_date(mdate)))  # type: ignore[arg-type]
        return {k: birth_of(dobs.get(k, []), ages.get(k, [])) for k in keys}
