"""Person search and the person profile, each read audited (s.62 consultation) with its reason.

Person ids: a positive id is a row of ``people`` (the result of linking). A person mention that
linking has not reached yet (no ``person_links`` row) is its own person, with the id
``-mention_id``; once linked, that negative id answers NotFound and the person's positive id is
the one to use.

About 590 lines: search and the profile's sections (who, risk, what is due, linked people,
timeline) are read and audited as one consultation. The linked people are the next part to move.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import person_records
from safeguard.adapters.db.audit import AuditAppender
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.person_records import MentionHit, MentionRecord, NameBranch
from safeguard.domain.access import Action, RecordKind, Scope, ensure, scope_of, sight
from safeguard.domain.clocks import Clocks, rhi_done_at
from safeguard.domain.history import MissingFact, PersonHistory
from safeguard.domain.local_time import LocalTime
from safeguard.domain.projection import WITHHELD_NAME, items_shown_if, project, shown_if
from safeguard.domain.purposes import Justification
from safeguard.errors import NotFound
from safeguard.services import access, associates, findings, partners, risk_model_view, risk_view
from safeguard.services.assessment import Assessor, default_assessor
from safeguard.services.triage import rule_title
from safeguard.services.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

K = RecordKind


@dataclass(frozen=True, slots=True)
class PersonHit:
    person_id: int
    name: str = field(metadata=shown_if(K.IDENTITY, withheld=WITHHELD_NAME))
    date_of_birth: date | None = field(default=None, metadata=shown_if(K.IDENTITY))
    sex: str | None = field(default=None, metadata=shown_if(K.IDENTITY))
    records: int = 0
    restricted: bool = False


# Each kind of timeline item is a kind of record (what a share may cover).
TIMELINE_KINDS = {
    "event": K.INCIDENTS,
    "missing_episode": K.MISSING,
    "risk_assessment": K.ASSESSMENTS,
    "referral": K.REFERRALS,
    "victim_contact": K.VICTIM_UPDATES,
}


@dataclass(frozen=True, slots=True)
class TimelineItem:
    at: datetime
    kind: str  # event | missing_episode | risk_assessment | referral | victim_contact
    title: str
    detail: str
    record_id: int
    domain: str  # domestic_abuse | missing | exploitation | other
    addressed_to: str | None = None  # a referral's recipient (registry code; "" if unknown)


def _timeline_tag(item: TimelineItem) -> tuple[RecordKind, str | None]:
    return TIMELINE_KINDS.get(item.kind, K.RECORDS), item.addressed_to


def _referral_tag(item: dict[str, object]) -> tuple[RecordKind, str | None]:
    return K.REFERRALS, str(item.get("agency_code") or "")


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    label: str


@dataclass(slots=True)
class Profile:
    """A person's profile; every field about them says its record kind, so that the one
    projection shows a partner agency only what is shared with it."""

    person_id: int
    restricted: bool
    names: list[str] = field(metadata=shown_if(K.IDENTITY, withheld=list))
    dates_of_birth: list[date] = field(metadata=shown_if(K.IDENTITY, withheld=list))
    sexes: list[str] = field(metadata=shown_if(K.IDENTITY, withheld=list))
    postcodes: list[str] = field(metadata=shown_if(K.CONTACT, withheld=list))
    mention_ids: list[int] = field(metadata=shown_if(K.RECORDS, withheld=list))
    timeline: list[TimelineItem] = field(
        default_factory=list, metadata=items_shown_if(_timeline_tag)
    )
    flags: list[Flag] = field(
        default_factory=list, metadata=shown_if(K.RISK_SUMMARY, withheld=list)
    )
    risk: list[risk_view.RiskSummary] = field(
        default_factory=list, metadata=shown_if(K.RISK_SUMMARY, withheld=list)
    )
    referrals: list[dict[str, object]] = field(
        default_factory=list, metadata=items_shown_if(_referral_tag)
    )
    findings: list[dict[str, object]] = field(
        default_factory=list, metadata=shown_if(K.FINDINGS, withheld=list)
    )
    shared_with: list[str] = field(
        default_factory=list, metadata=shown_if(K.RECORDS, withheld=list)
    )
    risk_model: list[risk_model_view.Advice] = field(
        default_factory=list, metadata=shown_if(K.RISK_SUMMARY, withheld=list)
    )
    # At the door: who this is, where they live now, what to be careful of.
    age: int | None = field(default=None, metadata=shown_if(K.IDENTITY))
    aliases: list[str] = field(default_factory=list, metadata=shown_if(K.IDENTITY, withheld=list))
    address: str | None = field(default=None, metadata=shown_if(K.CONTACT))
    markers: list[Flag] = field(
        default_factory=list, metadata=shown_if(K.RISK_SUMMARY, withheld=list)
    )
    linked: list[associates.LinkedPerson] = field(
        default_factory=list, metadata=shown_if(K.INCIDENTS, withheld=list)
    )
    # Incidents per month, for the Vega-Lite chart (counts only).
    incidents_by_month: list[dict[str, object]] = field(
        default_factory=list, metadata=shown_if(K.INCIDENTS, withheld=list)
    )


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _audit(
    uow: UnitOfWork,
    action: str,
    person_ids: list[int],
    justification: Justification,
    appender: AuditAppender | None = None,
    **detail: object,
) -> None:
    """A consultation entry: through ``appender`` (group commit) for a pure read, else in the
    caller's transaction (see ``record_consultation``)."""
    uow.consult(
        appender,
        action,
        "person",
        record_ids=person_ids,
        person_ids=person_ids,
        justification=justification.text,
        detail={**justification.detail(), **detail},
    )


def _mentions_of(conn: Connection, person_id: int) -> list[MentionRecord]:
    """The mention rows that make up a person, by id (see the module docstring)."""
    found = person_records.mentions_of(conn, person_id)
    if not found:
        raise NotFound(f"person {person_id} not found")
    return found


def mention_ids_of(conn: Connection, person_id: int) -> list[int]:
    """The mentions that make up a person (see the module docstring for negative ids)."""
    found = person_records.mention_ids_of(conn, person_id)
    if not found:
        raise NotFound(f"person {person_id} not found")
    return found


def _name_branches(tokens: list[str]) -> list[NameBranch]:
    """The ways the words can fall on the two name columns, each a plain AND of prefixes.

    Every word must start the surname or the forenames. Words on one column must all be
    prefixes of the longest of them (else nothing matches that way), so an assignment comes
    down to: the longest word on one column, and at most one word (the longest left) on the
    other. Ways implied by a wider one (``w`` on the forenames when ``w`` and ``wood`` are both
    on the surname) are dropped: "w wood" is anyone surnamed Wood*, whatever the forenames.
    """
    words = sorted(dict.fromkeys(tokens), key=len, reverse=True)
    first, rest = words[0], words[1:]
    found: set[NameBranch] = set()
    for drive in ("surname", "forenames"):
        for mask in range(1 << len(rest)):
            here = [w for n, w in enumerate(rest) if not mask >> n & 1]
            there = [w for n, w in enumerate(rest) if mask >> n & 1]
            if not all(first.startswith(w) for w in here):
                continue
            if there and not all(there[0].startswith(w) for w in there):
                continue  # ``there`` keeps the longest first (``words`` is sorted)
            found.add(NameBranch(drive, first, there[0] if there else None))
    kept = [b for b in found if b.other is None or (b.drive, b.longest, None) not in found]
    return sorted(kept, key=lambda b: (b.drive, b.other or ""))


def search_people(
    uow: UnitOfWork,
    *,
    text: str | None,
    date_of_birth: date | None,
    justification: Justification,
    limit: int = 25,
    audit: AuditAppender | None = None,
) -> list[PersonHit]:
    """People whose name starts with each word given (surname or forenames) and/or born that day.

    Every person shown is a consultation: one audit entry lists them all, with the reason.

    Args:
        text: words of a name, e.g. ``"jo smi"`` finds Joanne Smith and Smith, John.
        date_of_birth: exact date of birth.
        justification: why the search is made (s.62(2)); audited with the search terms.
        limit: most people to return.
        audit: the process's audit appender (group commit); None audits in ``conn``.
    """
    conn, actor = uow.conn, uow.user
    ensure(actor, Action.SEARCH_PEOPLE)
    # Stored names are at most 100 characters, so a longer word can only match on its prefix.
    tokens = [t[:100] for t in (text or "").lower().replace(",", " ").split() if t][:4]
    if not tokens and date_of_birth is None:
        return []  # nothing asked, nobody shown (and nobody consulted)
    shared_only = scope_of(actor.role, Action.SEARCH_PEOPLE) is Scope.SHARED
    rows = person_records.search_mentions(
        conn,
        _name_branches(tokens) if tokens else None,
        date_of_birth=date_of_birth,
        within=access.visible_to_agency(actor.agency or "") if shared_only else None,
        limit=limit * 8,
    )
    grouped: dict[int, list[MentionHit]] = {}
    for row in rows:
        grouped.setdefault(row.person_id, []).append(row)
    person_ids = list(grouped)[:limit]
    seen = access.person_access(conn, actor, person_ids)
    hits = []
    for pid in person_ids:
        rs = grouped[pid]
        names = Counter(f"{r.forenames or ''} {r.surname or ''}".strip() for r in rs)
        dobs = Counter(r.date_of_birth for r in rs if r.date_of_birth is not None)
        sexes = Counter(r.sex for r in rs if r.sex)
        hit = PersonHit(
            person_id=pid,
            name=names.most_common(1)[0][0] or "(no name)",
            date_of_birth=dobs.most_common(1)[0][0] if dobs else None,
            sex=str(sexes.most_common(1)[0][0]) if sexes else None,
            records=len(rs),
            restricted=seen[pid].restricted,
        )
        view = sight(actor, seen[pid])
        if view.nothing and not view.reason_needed:
            continue  # not even that someone restricted matches: a partner's search ends here
        hits.append(project(hit, view))
    terms = {
        "terms": " ".join(tokens)[:200],
        "dob": date_of_birth.isoformat() if date_of_birth else None,
    }
    person_ids = [h.person_id for h in hits]
    _audit(
        uow,
        "person.search",
        person_ids,
        justification,
        audit,
        results=len(person_ids),
        **terms,
    )
    logger.info("search by user %s returned %d people", actor.user_id, len(person_ids))
    return hits


def person_profile(
    uow: UnitOfWork,
    *,
    person_id: int,
    justification: Justification,
    now: datetime | None = None,
    audit: AuditAppender | None = None,
) -> Profile:
    """A person's whole history across domestic abuse, missing and exploitation, audited.

    Raises:
        NotFound: no such person.
        PermissionDenied: not allowed (e.g. not shared with the actor's agency).
        BreakGlassRequired: restricted; record a reason with ``break_glass`` first.
    """
    conn, actor = uow.conn, uow.user
    now = _now(now)
    mentions = _mentions_of(conn, person_id)  # NotFound first, as before
    mids = [m.id for m in mentions]
    resource = access.person_resource(conn, actor, person_id, now)
    ensure(actor, Action.VIEW_PERSON, resource)
    names = Counter(f"{m.forenames or ''} {m.surname or ''}".strip() for m in mentions)
    profile = Profile(
        person_id=person_id,
        restricted=resource.restricted,
        names=[n for n, _ in names.most_common() if n],
        dates_of_birth=sorted({m.date_of_birth for m in mentions if m.date_of_birth}),
        sexes=sorted({m.sex for m in mentions if m.sex}),
        postcodes=sorted({m.postcode for m in mentions if m.postcode}),
        mention_ids=mids,
        shared_with=sorted(resource.shared_with),
    )
    history = _history(conn, mids)
    assessor = default_assessor()
    codes = partners.resolve_many(conn, [r.agency for r in history.referrals])
    _fill_timeline(profile, history, assessor, codes, now)
    profile.risk = risk_view.current_risk(history, assessor.catalogue)
    profile.risk_model = risk_model_view.advice_of(conn, f"P{person_id}")
    profile.findings = [
        {**asdict(f), "title": rule_title(f.rule_id), "overdue": bool(f.due_at and f.due_at < now)}
        for f in findings.for_person(conn, person_id)
    ]
    profile.flags = _flags(
        profile, history, now, assessor.config.clocks, assessor.config.local_time
    )
    today = assessor.config.local_time.local_date(now)  # ages and days on local dates
    profile.age = history.age_at(today)
    profile.aliases = _aliases(mentions, profile.names)
    profile.address = _current_address(mentions)
    profile.markers = _markers(history)
    profile.linked = associates.linked_people(
        conn,
        actor=actor,
        history=history,
        address=profile.address,
        catalogue=assessor.catalogue,
        today=today,
        now=now,
    )
    profile.incidents_by_month = _by_month(history)
    _audit(uow, "person.view", [person_id], justification, audit)
    return project(profile, sight(actor, resource))


def _aliases(mentions: list[MentionRecord], names: list[str]) -> list[str]:
    """Other names recorded (aliases, previous names) and every name but the main one."""
    out: list[str] = list(names[1:])
    for m in mentions:
        for alias in m.other_names:
            if alias not in out and alias not in names[:1]:
                out.append(alias)
    return out


def _current_address(mentions: list[MentionRecord]) -> str | None:
    """The home address on the most recently recorded record that has one."""

    def when(m: MentionRecord) -> tuple[str, int]:
        return (str(m.recorded_at or m.mention_date or ""), m.id)

    with_address = [m for m in mentions if m.address]
    if not with_address:
        return None
    latest = max(with_address, key=when)
    postcode = latest.postcode
    return f"{latest.address}{', ' + str(postcode) if postcode else ''}"


def _markers(history: PersonHistory) -> list[Flag]:
    """Warning markers for whoever goes to the door: what the person's incidents show about
    danger to others (suspect in domestic abuse, in hate crime, in other incidents)."""
    out: list[Flag] = []
    da_suspect = {
        inv.event.event_id
        for inv in history.involvements
        if inv.role == "suspect" and inv.event.domestic_abuse
    }
    if da_suspect:
        out.append(Flag("da_suspect", f"Domestic-abuse suspect ({len(da_suspect)} incidents)"))
    hate = {
        inv.event.event_id
        for inv in history.involvements
        if inv.role == "suspect" and inv.event.hate_crime_strands
    }
    if hate:
        out.append(Flag("hate_suspect", f"Hate-crime suspect ({len(hate)} incidents)"))
    other = {inv.event.event_id for inv in history.involvements if inv.role == "suspect"}
    other -= da_suspect | hate
    if other:
        out.append(Flag("suspect", f"Suspect in other incidents ({len(other)})"))
    return out


def _by_month(history: PersonHistory) -> list[dict[str, object]]:
    """Incidents the person was involved in, counted per month (for the chart)."""
    months = Counter(
        f"{inv.event.occurred_at:%Y-%m}"
        for inv in {i.event.event_id: i for i in history.involvements}.values()
    )
    return [{"month": m, "incidents": n} for m, n in sorted(months.items())]


_DOMAIN = {
    "domestic_abuse": "domestic_abuse",
    "missing_person": "missing",
    "child_sexual_exploitation": "exploitation",
    "child_criminal_exploitation": "exploitation",
    "modern_slavery": "exploitation",
}


def _label(code: str | None) -> str:
    return (code or "").replace("_", " ").capitalize()


def _history(conn: Connection, mids: list[int]) -> PersonHistory:
    """The person's linked history with its free text (the one history repository)."""
    found = HistoryRepository(conn).histories(mids, expand=False, text=True)
    if not found:
        raise NotFound("person not found")
    return found[0]


def _fill_timeline(
    profile: Profile,
    history: PersonHistory,
    assessor: Assessor,
    codes: dict[str, str],
    now: datetime | None = None,
) -> None:
    """The timeline; ``codes`` are the referral recipients' registry codes (for the projection)."""
    items: list[TimelineItem] = []
    for inv in history.involvements:
        e = inv.event
        items.append(
            TimelineItem(
                at=e.occurred_at,
                kind="event",
                title=f"{_label(e.event_type)} ({_label(inv.role).lower()})",
                detail=e.summary or "",
                record_id=e.event_id,
                domain=_DOMAIN.get(e.event_type, "other"),
            )
        )
    clocks, local = assessor.config.clocks, assessor.config.local_time
    for m in history.missing:
        found = f", found {local.show(m.found_at)}" if m.found_at else ", not yet found"
        age = history.age_at(assessor.config.local_time.local_date(m.reported_missing_at))
        rhi = _rhi_clock(m, age, clocks, assessor, now or _now(None))
        aged = f"aged {age}, " if age is not None else ""
        grade = _label(m.risk_grade).lower() or "not graded"
        items.append(
            TimelineItem(
                at=m.reported_missing_at,
                kind="missing_episode",
                title=f"Reported missing, {aged}risk {grade}",
                detail=f"{'in care' if m.in_care else 'not in care'}{found}; {rhi}",
                record_id=m.episode_id,
                domain="missing",
            )
        )
    for a in history.assessments:
        final = risk_view.final_grade(a, history, assessor.catalogue) or "not graded"
        event = history.events.get(a.event_id) if a.event_id is not None else None
        tied = (
            f" for the {_label(event.event_type).lower()} incident of "
            f"{assessor.config.local_time.local_date(event.occurred_at):%d %b %Y}"
            if event is not None
            else " (not tied to an incident)"
        )
        items.append(
            TimelineItem(
                at=a.completed_at,
                kind="risk_assessment",
                title=f"Risk assessment {a.instrument_id} {a.instrument_version}: {final}{tied}",
                detail=a.rationale or "",
                record_id=a.assessment_id,
                domain=risk_view.instrument_domain(a.instrument_id),
            )
        )
    for r in history.referrals:
        latest = max(r.statuses, key=lambda s: s[1], default=None)
        status = latest[0] if latest else "made"
        code = codes.get(r.agency or "", "")
        profile.referrals.append(
            {
                "id": r.referral_id,
                "referral_type": r.referral_type,
                "agency": r.agency,
                "agency_code": code,
                "made_at": r.made_at,
                "route": r.route,
                "rag": r.rag,
                "status": status,
            }
        )
        if r.made_at is None:
            continue
        items.append(
            TimelineItem(
                at=r.made_at,
                kind="referral",
                title=f"Referral to {_label(r.referral_type)}: {_label(status).lower()}",
                detail=r.reason or "",
                record_id=r.referral_id,
                domain="exploitation" if r.referral_type == "cse_screening" else "other",
                addressed_to=code,
            )
        )
    for c in history.contacts:
        at = c.contacted_at or c.trigger_at
        if at is None:
            continue
        items.append(
            TimelineItem(
                at=at,
                kind="victim_contact",
                title=f"Victim update ({_label(c.trigger).lower()})"
                + ("" if c.contacted_at else ": not yet contacted"),
                detail=c.summary or "",
                record_id=c.contact_id,
                domain="domestic_abuse",
            )
        )
    items.sort(key=lambda i: i.at, reverse=True)
    profile.timeline = items


def _rhi_clock(
    m: MissingFact, age: int | None, clocks: Clocks, assessor: Assessor, now: datetime
) -> str:
    """The return home interview's clock for a missing episode, in words (the force's clock:
    ``MISSING-RHI-OFFERED`` in the rules settings)."""
    found_at, show = m.found_at, assessor.config.local_time.show
    offered = rhi_done_at(m.rhi_offered_at, m.rhi_completed_at)
    if age is not None and age > clocks.rhi_max_age:
        return "adult: no return home interview clock"
    if found_at is None:
        return "return home interview clock starts when found"
    due = clocks.rhi_due(found_at, assessor.config.calendar)
    hours = f"{clocks.rhi_hours:g}-hour"
    if offered is not None:
        late = "on time" if offered <= due else "late"
        return f"return home interview offered {show(offered)} ({late}; {hours} clock)"
    if m.rhi_declined:
        return "return home interview declined"
    if now > due:
        return f"return home interview OVERDUE since {show(due)} ({hours} clock)"
    left = due - now
    return (
        f"return home interview due by {show(due)} "
        f"({int(left.total_seconds() // 3600)} hours left of the {hours} clock)"
    )


def _flags(
    profile: Profile, history: PersonHistory, now: datetime, clocks: Clocks, local: LocalTime
) -> list[Flag]:
    """What the screen flags, with the rules' own thresholds and windows (the force's settings
    and local dates, as the rules count them: 365 days is 12 calendar months):
    DA-REPEAT-VICTIM and MISSING-REPEAT, counted over the window ending today."""
    flags: list[Flag] = []
    if profile.restricted:
        flags.append(Flag("restricted", "Restricted person: every view needs a recorded reason"))
    da_since = local.window_start(now, clocks.repeat_da_window_days)
    da_victim = {
        inv.event.event_id
        for inv in history.involvements
        if inv.role == "victim" and inv.event.domestic_abuse and da_since <= inv.event.occurred_at
    }
    if len(da_victim) >= clocks.repeat_da_min_incidents:
        flags.append(
            Flag(
                "repeat_da_victim",
                f"Repeat domestic abuse victim ({clocks.repeat_da_min_incidents}+ in "
                f"{clocks.repeat_da_window_days} days)",
            )
        )
    missing = [i for i in profile.timeline if i.kind == "missing_episode"]
    missing_since = local.window_start(now, clocks.repeat_missing_window_days)
    recent = [m for m in history.missing if missing_since <= m.reported_missing_at]
    if len(recent) >= clocks.repeat_missing_min_episodes:
        flags.append(
            Flag(
                "repeat_missing",
                f"Repeatedly missing ({clocks.repeat_missing_min_episodes}+ episodes in "
                f"{clocks.repeat_missing_window_days} days)",
            )
        )
    if any(i.kind == "missing_episode" and i.detail.startswith("in care") for i in missing):
        flags.append(Flag("in_care", "Child in care"))
    if any(i.domain == "exploitation" for i in profile.timeline):
        flags.append(Flag("exploitation", "Exploitation concern recorded"))
    if any(f["severity"] == "high" for f in profile.findings):
        flags.append(Flag("urgent_findings", "Urgent findings open"))
    if any(r.grade == "high" for r in profile.risk):
        flags.append(Flag("high_risk", "Current high risk"))
    return flags
