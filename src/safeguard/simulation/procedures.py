"""What should follow an event, done on time, late or not at all: referrals and their status
changes, Operation Encompass, Victims' Code contacts, needs assessments and satisfaction surveys.
"""

from __future__ import annotations

from safeguard.simulation import geography as geo
from safeguard.simulation.records import ChunkRecords

VICTIM_SUPPORT = "Victim Support Cumbria"
SARC = "The Bridgeway SARC"
IDVA = "Cumbria IDVA Service"
CHILDRENS_SOCIAL_CARE = "Cumbria Children's Services"

_SATISFACTION = (
    "very_satisfied",
    "fairly_satisfied",
    "neither",
    "fairly_dissatisfied",
    "very_dissatisfied",
)


def _office_time(rec: ChunkRecords, day: int, after: float) -> float:
    """A time in office hours (09:00-17:00) on ``day``, never before ``after``."""
    t = day + (9 + 8 * rec.u()) / 24
    return max(t, after + 0.02)


def contact_after(rec: ChunkRecords, trigger: float, working_days: int, late: bool) -> float:
    """When a victim is told about a step: within ``working_days`` unless ``late``."""
    if late:
        k = working_days + 1 + rec.u.below(8)
    else:
        k = rec.u.below(working_days + 1)
    return _office_time(rec, rec.clock.working_day_offset(trigger, k), trigger)


def victims_code(
    rec: ChunkRecords,
    event: str,
    mention: str,
    reported: float,
    *,
    enhanced: bool,
    arrest: float | None,
    charged: bool = False,
) -> bool:
    """Needs assessment and Right 6 updates for one victim; True when every update was on time.

    ``charged`` makes the outcome of the arrest a charge (otherwise it is drawn).
    """
    r = rec.cfg.rates
    system = rec.cfg.police_system
    limit = 1 if enhanced else 5
    on_time = True
    steps: list[tuple[str, float]] = [("needs_assessment", reported + 0.05 + rec.u() * 0.3)]
    if arrest is not None:
        steps.append(("arrest", arrest))
        steps.append(("interview_under_caution", arrest + 0.3 + rec.u() * 0.4))
        outcome = (
            "released_on_bail",
            "released_under_investigation",
            "charge",
            "released_without_charge",
        )[rec.u.below(4)]
        if charged:
            outcome = "charge"
        steps.append((outcome, arrest + 0.8 + rec.u() * 2))
    elif rec.u() < 0.3:
        steps.append(("decision_not_to_investigate", reported + 2 + rec.u() * 20))
    for trigger, at in steps:
        if at > rec.end:
            break
        x = rec.u()
        contacted: float | None
        if trigger == "needs_assessment":
            contacted = at
        elif x < r.victim_update_missing:
            contacted, on_time = None, False
        else:
            late = x < r.victim_update_missing + r.victim_update_late
            on_time = on_time and not late
            contacted = contact_after(rec, at, limit, late)
        if contacted is not None and contacted > rec.end:
            contacted = None
        rec.add(
            "victim_contact",
            system,
            rec.ids.next("VC"),
            contacted if contacted else at,
            event_ref=event,
            mention_ref=mention,
            trigger=trigger,
            trigger_at=rec.clock.iso(at),
            contacted_at=rec.clock.iso(contacted) if contacted is not None else None,
            method=("phone", "in_person", "email", "letter", "text_message")[rec.u.below(5)]
            if contacted is not None
            else None,
        )
    return on_time


def satisfaction(
    rec: ChunkRecords, event: str, mention: str, reported: float, kept_informed: bool
) -> None:
    """A survey response 6-12 weeks after the report, from a sample of victims."""
    if rec.u() >= rec.cfg.rates.satisfaction_survey_share:
        return
    at = reported + 42 + rec.u() * 42
    if at > rec.end:
        return
    # Kept informed drives satisfaction (late or missing updates pull it down).
    shift = 0 if kept_informed else 1

    def answer() -> str:
        x = rec.u()
        base = 0 if x < 0.42 else 1 if x < 0.78 else 2 if x < 0.88 else 3 if x < 0.95 else 4
        return _SATISFACTION[min(4, base + (shift if rec.u() < 0.6 else 0))]

    rec.add(
        "satisfaction_response",
        rec.cfg.police_system,
        rec.ids.next("SR"),
        at,
        event_ref=event,
        mention_ref=mention,
        surveyed_at=rec.clock.iso(at),
        overall=answer(),
        ease_of_contact=answer(),
        actions_taken=answer(),
        treatment=answer(),
        kept_informed=_SATISFACTION[min(4, rec.u.below(2) + (2 if not kept_informed else 0))],
    )


def referral(
    rec: ChunkRecords,
    referral_type: str,
    subject: str,
    made: float,
    *,
    event: str | None,
    agency: str,
    statuses: list[tuple[str, float]],
    system: str | None = None,
    **fields: str | None,
) -> str | None:
    """A referral with its status changes (only those that happened before the period ended)."""
    if made > rec.end:
        return None
    system = system or rec.cfg.police_system
    sid = rec.ids.next("R" if system == rec.cfg.police_system else "CR")
    made_by = geo.officer_id(rec.u.below(18), rec.u.below(geo.OFFICERS_PER_TEAM))
    happened = [(s, t) for s, t in statuses if t <= rec.end]
    last = max([made] + [t for _, t in happened])
    rec.add(
        "referral",
        system,
        sid,
        last,
        event_ref=event,
        subject_ref=subject,
        referral_type=referral_type,
        agency=agency,
        made_at=rec.clock.iso(made),
        made_by=made_by,
        **fields,
    )
    for status, at in happened:
        rec.add(
            "referral_status",
            system,
            rec.ids.next("RS" if system == rec.cfg.police_system else "CS"),
            at,
            referral_ref=sid,
            status=status,
            changed_at=rec.clock.iso(at),
            changed_by=made_by,
        )
    return sid


def mash_referral(rec: ChunkRecords, child: int, day: float, rag: str, reason: str) -> None:
    """A contact into the MASH, held in children's social care's own system with its own
    person record; decision_made follows the RAG clock, late for a share of cases."""
    if day >= rec.end:
        return
    late = rec.u() < rec.cfg.rates.mash_decision_late
    hours = {"red": 4.0, "amber": 24.0, "green": 72.0, "blue": 72.0}[rag]
    if late:
        decided = day + hours / 24 * (2 + 3 * rec.u()) + 1
    else:
        decided = day + hours / 24 * (0.2 + 0.6 * rec.u())
    system = rec.cfg.social_care_system
    subject = rec.mention(child, day, system)
    referral(
        rec,
        "mash",
        subject,
        day,
        event=None,
        agency=CHILDRENS_SOCIAL_CARE,
        system=system,
        rag=rag,
        reason=reason,
        statuses=[
            ("received", day),
            ("decision_made", decided),
            ("closed", decided + 5 + 30 * rec.u()),
        ],
    )


def operation_encompass(
    rec: ChunkRecords, event: str, child: int, mention: str, reported: float
) -> None:
    """Tell the child's school before the next school day starts; sometimes late or missed."""
    r = rec.cfg.rates
    x = rec.u()
    if x < r.encompass_missing:
        return
    next_school_day = rec.clock.working_day_offset(int(reported) + 1, 0)
    if x < r.encompass_missing + r.encompass_late:
        made = next_school_day + 1 + rec.u() * 3
    else:
        made = max(reported + 0.05, next_school_day + 0.25 + 0.12 * rec.u())
    age = rec.pop.age_on(child, int(reported))
    referral(
        rec,
        "operation_encompass",
        mention,
        made,
        event=event,
        agency=geo.school_name(rec.pop.town[child], age),
        statuses=[("received", made + 0.01)],
    )
