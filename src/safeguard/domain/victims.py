"""The Victims' Code terms every part of safeguard uses (DOMAIN.md E): which events start a
Right 6 clock, and who has enhanced rights and why.

The rules engine (``VC-RIGHT6-UPDATE``, ``VC-SUPPORT-REFERRAL``), the board's Victims' Code
figure and the report text all read these; the number of working days is a clock in the force's
rules settings (:class:`safeguard.domain.clocks.Clocks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

# Right 6 (DOMAIN.md E): told within the period of a suspect being arrested, interviewed under
# caution, released without charge, released on bail or under investigation, having bail
# conditions changed or cancelled, and of a decision not to investigate. A charge is not among
# them (it is told under the CPS's duties), so it starts no Right 6 clock here.
RIGHT6_TRIGGERS: frozenset[str] = frozenset(
    {
        "arrest",
        "interview_under_caution",
        "released_without_charge",
        "released_on_bail",
        "released_under_investigation",
        "bail_conditions_changed",
        "decision_not_to_investigate",
    }
)

# Victims of the most serious crime (DOMAIN.md E) among the event types safeguard records:
# domestic abuse (and any event flagged domestic-abuse related), hate crime (any strand), sexual
# offences (child sexual exploitation is one) and human trafficking (modern slavery).
MOST_SERIOUS_EVENT_TYPES: frozenset[str] = frozenset(
    {"sexual_offence", "child_sexual_exploitation", "modern_slavery"}
)
CHILD_UNDER = 18  # vulnerable victim: under 18 at the time of the offence


def enhanced_rights(
    *,
    event_type: str,
    domestic_abuse: bool,
    hate: bool,
    age: int | None,
    crimes_before: Sequence[datetime],
    occurred_at: datetime,
    persistent_min_crimes: int,
    persistent_window_days: int,
    window_start: datetime | None = None,
) -> list[str]:
    """Why a victim of this event has enhanced rights (empty: standard rights).

    Args:
        event_type, domestic_abuse, hate: the event (``EventFact`` fields).
        age: the victim's age on the day it occurred, if known.
        crimes_before: when the crimes the person was a victim of occurred (this one included).
        occurred_at: when this event occurred.
        persistent_min_crimes, persistent_window_days: "persistently targeted": at least this
            many crimes within this many days up to the event (force settings).
        window_start: the first instant of that window; the rules pass the start of the local
            day ``persistent_window_days`` days before (see
            :meth:`~safeguard.domain.local_time.LocalTime.window_start`); elapsed days if absent.

    Examples:
        >>> from datetime import UTC, datetime
        >>> t = datetime(2025, 1, 1, tzinfo=UTC)
        >>> enhanced_rights(event_type="other_crime", domestic_abuse=False, hate=False, age=15,
        ...     crimes_before=[t], occurred_at=t, persistent_min_crimes=3,
        ...     persistent_window_days=365)
        ['aged 15: a child is a vulnerable victim']
    """
    reasons = []
    if domestic_abuse:
        reasons.append("victim of domestic abuse (most serious crime)")
    if hate:
        reasons.append("victim of hate crime (most serious crime)")
    if event_type in MOST_SERIOUS_EVENT_TYPES:
        reasons.append(f"victim of {event_type.replace('_', ' ')} (most serious crime)")
    if age is not None and age < CHILD_UNDER:
        reasons.append(f"aged {age}: a child is a vulnerable victim")
    start = window_start or occurred_at - timedelta(days=persistent_window_days)
    recent = sum(1 for t in crimes_before if start <= t <= occurred_at)
    if recent >= persistent_min_crimes:
        reasons.append(
            f"persistently targeted: {recent} crimes within {persistent_window_days} days"
        )
    return reasons
