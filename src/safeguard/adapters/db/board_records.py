"""The board report's reads: the records of a window of time, for the figures.

The board reads windows of the same tables a person's history is made of, in a few aggregate
queries (a year's figures over five years of a force in seconds); each person's age comes from
their linked history's date of birth (:meth:`HistoryRepository.births`), and every business term
is the domain's one definition with the force's settings (final grade, Right 6, enhanced rights,
clocks).

About 480 lines on purpose: one reader per record type, each one query over the window, and
the window's logic (look-back, who is a child, who has enhanced rights) in one place.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
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
    satisfaction_responses,
    victim_contacts,
)
from safeguard.adapters.db.types import as_utc
from safeguard.domain.assessments import Catalogue, grade, recorded_grade
from safeguard.domain.board import Period
from safeguard.domain.board_facts import (
    Assessment,
    BoardFacts,
    Incident,
    MissingEpisode,
    Referral,
    SurveyResponse,
    VictimContact,
)
from safeguard.domain.clocks import DECISION_STATUSES, Clocks, rhi_done_at
from safeguard.domain.history import age_from
from safeguard.domain.history import signed_key as person_key
from safeguard.domain.victims import RIGHT6_TRIGGERS, enhanced_rights
from safeguard.domain.working_time import WorkingCalendar
from safeguard.errors import ValidationFailed
from safeguard.rules import RulesConfig

LOOKBACK = timedelta(days=365 + 28 + 1)  # 12-month repeat windows and the 28-day screening clock
SATISFIED = frozenset({"very_satisfied", "fairly_satisfied"})
REPORT_EVENT_TYPES = ("domestic_abuse", "child_sexual_exploitation", "child_criminal_exploitation")


def _strands(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        return ()
    return tuple(str(v) for v in value)


def _answers(value: object) -> Mapping[str, object]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


# Reading tens of thousands of rows, SQLAlchemy's per-value type processing costs more than the
# query: timestamps and dates are read raw (text on SQLite, naive datetimes on PostgreSQL) and
# made aware UTC here, exactly as UTCDateTime does.
def _raw(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.type_coerce(column, sa.String())


_dt = as_utc


def _need_dt(value: object) -> datetime:
    out = _dt(value)
    assert out is not None
    return out


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    assert isinstance(value, date)
    return value


Births = dict[int, tuple[date | None, tuple[int, date] | None]]
CHILD_UNDER = 18


def _age(births: Births, key: int, on: datetime) -> int | None:
    """The person's age on the day (their history's date of birth, else recorded age)."""
    found = births.get(key)
    return None if found is None else age_from(found[0], found[1], on.date())


def _hate_condition() -> sa.ColumnElement[bool]:
    text = sa.cast(events.c.hate_crime_strands, sa.Text)
    return sa.and_(events.c.hate_crime_strands.is_not(None), text.not_in(["[]", "null", '"[]"']))


def _incidents(conn: Connection, since: datetime, until: datetime) -> list[Incident]:
    relevant = sa.and_(
        events.c.occurred_at >= since,
        events.c.occurred_at < until,
        sa.or_(
            events.c.event_type.in_(REPORT_EVENT_TYPES),
            events.c.domestic_abuse_related.is_(True),
            _hate_condition(),
        ),
    )
    victims: dict[int, set[int]] = defaultdict(set)
    q = (
        sa.select(involvements.c.event_id, involvements.c.mention_id, person_links.c.person_id)
        .join(events, events.c.id == involvements.c.event_id)
        .outerjoin(person_links, person_links.c.mention_id == involvements.c.mention_id)
        .where(relevant, involvements.c.role == "victim")
    )
    for event_id, mention_id, person_id in conn.execute(q).all():
        if mention_id is not None:
            victims[event_id].add(person_key(person_id, mention_id))
    q2 = sa.select(
        events.c.id,
        events.c.event_type,
        _raw(events.c.occurred_at),
        events.c.domestic_abuse_related,
        _raw(events.c.hate_crime_strands),
        events.c.area,
        events.c.team,
    ).where(relevant)
    return [
        Incident(
            event_id=eid,
            event_type=etype,
            occurred_at=_need_dt(occurred),
            domestic=bool(domestic),
            hate_strands=_strands(strands),
            victims=frozenset(victims.get(eid, ())),
            area=area,
            team=team,
        )
        for eid, etype, occurred, domestic, strands, area, team in conn.execute(q2).all()
    ]


def _assessments(
    conn: Connection,
    since: datetime,
    until: datetime,
    catalogue: Catalogue | None,
    births: Births,
) -> list[Assessment]:
    ra = risk_assessments
    q = (
        sa.select(
            ra.c.id,
            ra.c.instrument_id,
            ra.c.instrument_version,
            _raw(ra.c.answers),
            ra.c.officer_grade,
            ra.c.rationale,
            ra.c.reviewed_grade,
            _raw(ra.c.completed_at),
            ra.c.event_id,
            ra.c.subject_id,
            ra.c.assessor_team,
            person_links.c.person_id,
        )
        .outerjoin(person_links, person_links.c.mention_id == ra.c.subject_id)
        .where(ra.c.completed_at >= since, ra.c.completed_at < until)
    )
    out = []
    for (
        aid,
        instrument_id,
        version,
        answers,
        officer,
        rationale,
        reviewed,
        completed_raw,
        event_id,
        subject_id,
        team,
        person_id,
    ) in conn.execute(q).all():
        completed = _need_dt(completed_raw)
        subject = person_key(person_id, subject_id) if subject_id else None
        computed = None
        instrument = catalogue.find(instrument_id, version) if catalogue is not None else None
        if instrument is not None:
            try:
                result = grade(
                    instrument,
                    _answers(answers),
                    officer,
                    reviewed,
                    rationale,
                    subject_age=None if subject is None else _age(births, subject, completed),
                    assessed_on=completed.date(),
                )
            except ValidationFailed:
                final = None  # stored answers that cannot be scored: no grade (data quality)
            else:
                final = result.grade
                # Compared with the officer's grade only: without one, nothing to compare.
                computed = result.actuarial_grade if officer is not None else None
        else:
            final = recorded_grade(officer, reviewed)
        out.append(
            Assessment(
                id=aid,
                instrument_id=instrument_id,
                completed_at=completed,
                subject=subject,
                event_id=event_id,
                officer_grade=officer,
                reviewed_grade=reviewed,
                computed_grade=computed,
                team=team,
                final_grade=final,
            )
        )
    return out


def _referrals(conn: Connection, since: datetime, until: datetime) -> list[Referral]:
    rs = referral_status_changes
    decided = (
        sa.select(rs.c.referral_id, sa.func.min(_raw(rs.c.changed_at)).label("decided_at"))
        .where(rs.c.status.in_(sorted(DECISION_STATUSES)))
        .group_by(rs.c.referral_id)
        .subquery()
    )
    q = (
        sa.select(
            referrals.c.id,
            referrals.c.referral_type,
            _raw(referrals.c.made_at),
            referrals.c.route,
            referrals.c.rag,
            referrals.c.event_id,
            referrals.c.subject_id,
            person_links.c.person_id,
            _raw(events.c.occurred_at),
            decided.c.decided_at,
        )
        .outerjoin(person_links, person_links.c.mention_id == referrals.c.subject_id)
        .outerjoin(events, events.c.id == referrals.c.event_id)
        .outerjoin(decided, decided.c.referral_id == referrals.c.id)
        .where(referrals.c.made_at >= since, referrals.c.made_at < until)
    )
    return [
        Referral(
            id=rid,
            referral_type=rtype,
            made_at=_need_dt(made),
            subject=person_key(person_id, subject_id) if subject_id else None,
            event_id=event_id,
            event_occurred_at=_dt(occurred),
            route=route,
            rag=rag,
            decided_at=_dt(decided_at),
        )
        for (
            rid,
            rtype,
            made,
            route,
            rag,
            event_id,
            subject_id,
            person_id,
            occurred,
            decided_at,
        ) in conn.execute(q).all()
    ]


def _missing(
    conn: Connection, since: datetime, until: datetime, births: Births, clocks: Clocks,
    calendar: WorkingCalendar,
) -> list[MissingEpisode]:  # fmt: skip
    me = missing_episodes
    q = (
        sa.select(
            me.c.id,
            me.c.mention_id,
            person_links.c.person_id,
            _raw(me.c.reported_missing_at),
            _raw(me.c.last_seen_at),
            _raw(me.c.found_at),
            me.c.risk_grade,
            me.c.exploitation_flag,
            _raw(me.c.rhi_offered_at),
            _raw(me.c.rhi_completed_at),
        )
        .outerjoin(person_links, person_links.c.mention_id == me.c.mention_id)
        .where(
            sa.or_(
                sa.and_(me.c.reported_missing_at >= since, me.c.reported_missing_at < until),
                sa.and_(me.c.found_at >= since, me.c.found_at < until),
            )
        )
    )
    out = []
    for (
        eid, mention_id, person_id, reported, last_seen, found, risk, flag, rhi, rhi_done,
    ) in conn.execute(q).all():  # fmt: skip
        reported_at, found_at, seen_at = _need_dt(reported), _dt(found), _dt(last_seen)
        who = person_key(person_id, mention_id or -eid)
        age = _age(births, who, reported_at)
        # MISSING-RHI-OFFERED: a child's return, aged up to the clock's max age on the day found,
        # with the episode's dates in order (else it is a data-quality finding).
        in_order = not (
            (seen_at is not None and seen_at > reported_at)
            or (found_at is not None and found_at < reported_at)
        )
        age_found = None if found_at is None else _age(births, who, found_at)
        clocked = found_at is not None and in_order and age_found is not None
        clocked = clocked and age_found is not None and age_found <= clocks.rhi_max_age
        out.append(
            MissingEpisode(
                id=eid,
                person=who,
                reported_at=reported_at,
                child=None if age is None else age < CHILD_UNDER,
                found_at=found_at,
                risk_grade=risk,
                exploitation_flag=bool(flag),
                rhi_offered_at=_dt(rhi),
                rhi_due_at=clocks.rhi_due(found_at, calendar) if clocked and found_at else None,
                rhi_done_at=rhi_done_at(_dt(rhi), _dt(rhi_done)),
            )
        )
    return out


def _victim_crimes(conn: Connection, since: datetime, until: datetime) -> dict[int, list[datetime]]:
    """When each person was the victim of a crime (any event but an other incident or a missing
    report), once per event: what "persistently targeted" counts."""
    q = (
        sa.select(
            involvements.c.event_id,
            involvements.c.mention_id,
            person_links.c.person_id,
            _raw(events.c.occurred_at),
        )
        .join(events, events.c.id == involvements.c.event_id)
        .outerjoin(person_links, person_links.c.mention_id == involvements.c.mention_id)
        .where(
            involvements.c.role == "victim",
            events.c.occurred_at >= since,
            events.c.occurred_at < until,
            events.c.event_type.not_in(("other_incident", "missing_person")),
        )
    )
    seen: dict[int, dict[int, datetime]] = defaultdict(dict)
    for event_id, mention_id, person_id, occurred in conn.execute(q).all():
        if mention_id is not None and occurred is not None:
            seen[person_key(person_id, mention_id)][event_id] = _need_dt(occurred)
    return {k: list(v.values()) for k, v in seen.items()}


def _contacts(
    conn: Connection, since: datetime, until: datetime, births: Births, clocks: Clocks
) -> list[VictimContact]:
    vc = victim_contacts
    q = (
        sa.select(
            vc.c.id,
            vc.c.trigger,
            _raw(vc.c.trigger_at),
            _raw(vc.c.contacted_at),
            vc.c.mention_id,
            person_links.c.person_id,
            events.c.event_type,
            events.c.domestic_abuse_related,
            _raw(events.c.hate_crime_strands),
            _raw(events.c.occurred_at),
        )
        .outerjoin(events, events.c.id == vc.c.event_id)
        .outerjoin(person_links, person_links.c.mention_id == vc.c.mention_id)
        .where(
            vc.c.trigger_at >= since,
            vc.c.trigger_at < until,
            vc.c.trigger.in_(sorted(RIGHT6_TRIGGERS)),
        )
    )
    rows = conn.execute(q).all()
    earliest = min((_need_dt(r[9]) for r in rows if r[9] is not None), default=since)
    crimes = _victim_crimes(
        conn, min(earliest, since) - timedelta(days=clocks.persistent_window_days), until
    )
    out = []
    for (
        cid, trigger, trigger_raw, contacted, mention_id, person_id, etype, da, strands, occurred,
    ) in rows:  # fmt: skip
        trigger_at = _need_dt(trigger_raw)
        enhanced = False
        if etype is not None and occurred is not None and mention_id is not None:
            who = person_key(person_id, mention_id)
            at = _need_dt(occurred)
            enhanced = bool(
                enhanced_rights(
                    event_type=etype,
                    domestic_abuse=etype == "domestic_abuse" or bool(da),
                    hate=bool(_strands(strands)),
                    age=_age(births, who, at),
                    crimes_before=crimes.get(who, ()),
                    occurred_at=at,
                    persistent_min_crimes=clocks.persistent_min_crimes,
                    persistent_window_days=clocks.persistent_window_days,
                )
            )
        out.append(VictimContact(cid, trigger, trigger_at, enhanced, _dt(contacted)))
    return out


def _responses(conn: Connection, since: datetime, until: datetime) -> list[SurveyResponse]:
    sr = satisfaction_responses
    q = sa.select(_raw(sr.c.surveyed_at), sr.c.overall).where(
        sr.c.surveyed_at >= since, sr.c.surveyed_at < until, sr.c.overall.is_not(None)
    )
    return [
        SurveyResponse(_need_dt(at), overall in SATISFIED) for at, overall in conn.execute(q).all()
    ]


def read_records(
    conn: Connection,
    periods: list[Period],
    catalogue: Catalogue | None,
    config: RulesConfig,
    births: Callable[[], Births],
) -> BoardFacts:
    first, until = periods[0].start, periods[-1].end
    since = first - LOOKBACK
    clocks, calendar = config.clocks, config.calendar
    incidents = _incidents(conn, since, until)
    referrals_ = _referrals(conn, since, until)
    responses = _responses(conn, first, until)
    share = _linked_share(conn)
    ages = births()
    return BoardFacts(
        incidents=incidents,
        assessments=_assessments(conn, since, until, catalogue, ages),
        referrals=referrals_,
        missing=_missing(conn, since, until, ages, clocks, calendar),
        contacts=_contacts(conn, first, until, ages, clocks),
        responses=responses,
        linked_share=share,
        clocks=clocks,
    )


def _linked_share(conn: Connection) -> float | None:
    """The share of person mentions that linking has joined to a person (None: no mentions)."""
    mentions = conn.execute(sa.select(sa.func.count()).select_from(person_mentions)).scalar_one()
    if not mentions:
        return None
    linked = conn.execute(sa.select(sa.func.count()).select_from(person_links)).scalar_one()
    return float(linked) / float(mentions)
