"""Every procedure clock and repeat threshold, in one value the rules engine and the board both
read, built from the force's rules settings (``rules.yaml`` overlaid by the force's file; see
:func:`safeguard.rules.clocks`).

A force that sets the MASH red clock to 2 working hours gets findings at 2 hours and board
compliance at 2 hours. The functions here compute the deadlines themselves, so the two cannot
drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from safeguard.domain.working_time import WorkingCalendar

# A MASH contact is decided by its first status among these: a decision made, or the contact
# declined, closed or withdrawn (each ends the screening; none leaves a decision to make).
DECISION_STATUSES: frozenset[str] = frozenset({"decision_made", "closed", "declined", "withdrawn"})


def _default_mash() -> Mapping[str, float]:
    return {"red": 4.0, "amber": 24.0, "green": 72.0}


@dataclass(frozen=True, slots=True)
class Clocks:
    """The clocks and thresholds (defaults: the packaged ``rules.yaml``)."""

    rhi_hours: float = 72.0
    rhi_working_hours: bool = False
    rhi_max_age: int = 17
    mash_working_hours: Mapping[str, float] = field(default_factory=_default_mash)
    right6_standard_working_days: int = 5
    right6_enhanced_working_days: int = 1
    persistent_min_crimes: int = 3
    persistent_window_days: int = 365
    repeat_da_min_incidents: int = 2
    repeat_da_window_days: int = 365
    repeat_hate_min_incidents: int = 2
    repeat_hate_window_days: int = 365
    repeat_missing_min_episodes: int = 3
    repeat_missing_window_days: int = 90
    marac_repeat_window_days: int = 365
    strategy_working_days: int = 3

    def rhi_due(self, found_at: datetime, calendar: WorkingCalendar) -> datetime:
        """When a return home interview must be offered by, for a child found at ``found_at``."""
        if self.rhi_working_hours:
            return calendar.add_working_hours(found_at, self.rhi_hours)
        return found_at + timedelta(hours=self.rhi_hours)

    def mash_due(self, made_at: datetime, rag: str, calendar: WorkingCalendar) -> datetime | None:
        """When a MASH decision is due for a contact rated ``rag`` (None: no clock, e.g. blue)."""
        hours = self.mash_working_hours.get(rag)
        return None if hours is None else calendar.add_working_hours(made_at, hours)

    def strategy_due(self, needed_at: datetime, calendar: WorkingCalendar) -> datetime:
        """When a strategy discussion is due, for a MASH decision at ``needed_at`` that one is
        needed: the end of the working day ``strategy_working_days`` working days later."""
        return calendar.working_days_deadline(needed_at, self.strategy_working_days)

    def right6_days(self, enhanced: bool) -> int:
        """Working days to tell the victim of a Right 6 event."""
        return self.right6_enhanced_working_days if enhanced else self.right6_standard_working_days


def decided_at(statuses: Iterable[tuple[str, datetime]]) -> datetime | None:
    """When a referral was first decided (see :data:`DECISION_STATUSES`), if it was."""
    times = [at for status, at in statuses if status in DECISION_STATUSES]
    return min(times) if times else None


def strategy_times(
    statuses: Iterable[tuple[str, datetime]],
) -> tuple[datetime | None, datetime | None]:
    """(needed, held): when a strategy discussion was first found needed, and when the first
    one after that was held (None where there is none)."""
    statuses = list(statuses)
    needed = min((at for s, at in statuses if s == "strategy_discussion_needed"), default=None)
    if needed is None:
        return None, None
    held = min(
        (at for s, at in statuses if s == "strategy_discussion_held" and at >= needed),
        default=None,
    )
    return needed, held


def rhi_done_at(offered_at: datetime | None, completed_at: datetime | None) -> datetime | None:
    """When a return home interview was offered: the offer, or the interview if no offer is
    recorded (an interview held was offered)."""
    times = [t for t in (offered_at, completed_at) if t is not None]
    return min(times) if times else None
