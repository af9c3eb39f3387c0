"""Risk model targets, read off the force's own records (they look ahead on purpose: a label is
what happened after the prediction moment).

* ``da_repeat``: for a domestic-abuse incident, another domestic-abuse incident in the same
  victim-suspect pair within 12 months (365 days) of it;
* ``da_serious_harm``: a serious-harm incident in the pair (serious or fatal injury, or a sexual
  offence) within 12 months;
* ``missing_repeat``: for a child's missing episode, another episode within 90 days.

A label exists only where the follow-up is complete: the window ends on or before the last day
the data covers (``data_end``). Otherwise the outcome is unknown (``None``), never "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from safeguard.domain.history import PersonHistory
from safeguard.domain.offences import OffenceClassification, default_classification
from safeguard.domain.risk.features import pair_events, severity

#: A model is trained only when the training rows hold at least this many of each outcome
#: (fewer: the fit and its test-year figures are noise); ``safeguard risk train --min-positives``.
MIN_POSITIVES = 50


class Target(StrEnum):
    DA_REPEAT = "da_repeat"
    DA_SERIOUS_HARM = "da_serious_harm"
    MISSING_REPEAT = "missing_repeat"

    @property
    def window_days(self) -> int:
        return 90 if self is Target.MISSING_REPEAT else 365

    @property
    def subject(self) -> str:
        """What is scored: a domestic-abuse incident (victim-suspect pair) or an episode."""
        return "episode" if self is Target.MISSING_REPEAT else "incident"

    @property
    def wording(self) -> str:
        return {
            Target.DA_REPEAT: "another domestic-abuse incident in the pair within 12 months",
            Target.DA_SERIOUS_HARM: "a serious-harm incident in the pair within 12 months",
            Target.MISSING_REPEAT: "another missing episode within 90 days",
        }[self]


@dataclass(frozen=True, slots=True)
class Label:
    outcome: bool
    #: The record that made it true (event id), if any.
    because: int | None = None


def follow_up_complete(start: datetime, window_days: int, data_end: datetime) -> bool:
    return start + timedelta(days=window_days) <= data_end


def da_label(
    victim: PersonHistory,
    suspect_key: str,
    event_id: int,
    target: Target,
    data_end: datetime,
    *,
    offences: OffenceClassification | None = None,
) -> Label | None:
    """The outcome for the pair after incident ``event_id``; None while follow-up runs."""
    if target is Target.MISSING_REPEAT:
        raise ValueError("da_label is for the domestic-abuse targets")
    offences = offences or default_classification()
    index = victim.events[event_id]
    t = index.occurred_at
    if not follow_up_complete(t, target.window_days, data_end):
        return None
    end = t + timedelta(days=target.window_days)
    for e in pair_events(victim, suspect_key):
        if e.event_id == event_id or not (t < e.occurred_at <= end):
            continue
        if target is Target.DA_REPEAT or severity(e, offences) == 4:
            return Label(True, e.event_id)
    return Label(False)


def missing_label(child: PersonHistory, episode_id: int, data_end: datetime) -> Label | None:
    """Another episode of the child reported within 90 days; None while follow-up runs."""
    index = next(m for m in child.missing if m.episode_id == episode_id)
    t = index.reported_missing_at
    if not follow_up_complete(t, Target.MISSING_REPEAT.window_days, data_end):
        return None
    end = t + timedelta(days=Target.MISSING_REPEAT.window_days)
    for m in child.missing:
        if m.episode_id != episode_id and t < m.reported_missing_at <= end:
            return Label(True, m.event_id)
    return Label(False)
