"""Risk model features: pure functions of one person's linked history (and, for a domestic-abuse
pair, the suspect's history read beside the victim's) as of a moment.

Every function here first cuts the histories with :meth:`PersonHistory.as_of` at the
prediction moment (when the index incident was known, or its DASH form completed within a
week of that: :func:`prediction_moment`), so no feature can see anything later; a test builds
histories by hand and checks it. The index incident itself is known at that moment and
describes the present (injury, separation, breach).

Sex and ethnicity are never features: :class:`PersonHistory` does not even carry them (the
fairness measures read them apart, ``services/risk_model_data.py``).

Each feature row carries, beside its values, the records behind each value (event ids), so a
prediction can name the history items that drove it, in plain words, each linked to its record
(the plain words are ``domain/risk/wording.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from safeguard.domain.history import EventFact, PersonHistory
from safeguard.domain.offences import OffenceClassification, OffenceGroup, default_classification

#: How a feature enters the model: a count (log1p, smoothed by splines), a number (splines) or
#: a yes/no (linear).
COUNT, NUMBER, FLAG = "count", "number", "flag"

#: Domestic-abuse pair features from history (the target: repeat and serious harm).
DA_HISTORY: tuple[tuple[str, str], ...] = (
    ("pair_last_year", COUNT),
    ("pair_three_years", COUNT),
    ("log_months_since_last", NUMBER),
    ("first_incident", FLAG),
    ("suspect_violent", COUNT),
    ("suspect_sexual", COUNT),
    ("suspect_other", COUNT),
    ("suspect_other_victims", COUNT),
    ("pair_breaches", COUNT),
    ("prior_marac", FLAG),
    ("escalation", FLAG),
    ("victim_victimised", COUNT),
    ("victim_age", NUMBER),
    ("suspect_age", NUMBER),
    ("separated", FLAG),
    ("injured", FLAG),
    ("serious_harm", FLAG),
    ("pair_years_before", COUNT),
    ("newly_separated", FLAG),
    ("incident_severity", NUMBER),
    ("pair_prior_severity", NUMBER),
    ("victim_da_last_year", COUNT),
    ("suspect_da_last_year", COUNT),
    ("log_months_since_either", NUMBER),
)
#: The DASH form of the index incident: the yes-count and each answer, so their added value
#: over history is measured (the model card compares with and without them).
DASH_QUESTIONS = tuple(f"q{i}" for i in range(1, 28))
DASH: tuple[tuple[str, str], ...] = (
    ("dash_form", FLAG),
    ("dash_yes_count", NUMBER),
    *((f"dash_{q}", FLAG) for q in DASH_QUESTIONS),
)
MISSING_HISTORY: tuple[tuple[str, str], ...] = (
    ("last_90_days", COUNT),
    ("year_before", COUNT),
    ("log_days_since_last", NUMBER),
    ("in_care", FLAG),
    ("flagged", FLAG),
    ("flagged_before", COUNT),
    ("no_interview_after_last", FLAG),
    ("age", NUMBER),
)

NO_PREVIOUS_DAYS = 3650.0
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One index (incident or episode): its feature values and the records behind them."""

    values: Mapping[str, float]
    evidence: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def vector(self, names: tuple[str, ...]) -> list[float]:
        """The values in ``names`` order (a name the row does not hold is an error)."""
        return [self.values[n] for n in names]


def names_of(*groups: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(name for group in groups for name, _ in group)


def kinds_of(*groups: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {name: kind for group in groups for name, kind in group}


def known_at(event: EventFact) -> datetime:
    """When an incident was known: its report, else its occurrence (the prediction moment)."""
    if event.reported_at is not None and event.reported_at > event.occurred_at:
        return event.reported_at
    return event.occurred_at


#: A DASH form completed this long after the incident was known still goes with it.
FORM_WITHIN = timedelta(days=7)


def prediction_moment(victim: PersonHistory, event: EventFact) -> datetime:
    """When a pair's risk is predicted: when the incident was known or, if its DASH form was
    completed within :data:`FORM_WITHIN` of that, when the form was completed (so the form's
    answers are known and compared on the same footing)."""
    at = known_at(event)
    forms = [
        a.completed_at
        for a in victim.assessments
        if a.event_id == event.event_id
        and a.instrument_id.startswith("dash")
        and at <= a.completed_at <= at + FORM_WITHIN
    ]
    return max([at, *forms])


def severity(event: EventFact, offences: OffenceClassification) -> int:
    """0 no crime, 1 other crime, 2 assault without injury, 3 with injury, 4 serious harm
    (serious or fatal injury, or a sexual offence)."""
    injury = event.injury_level or "none"
    group = offences.classify(event.offence_code).group if event.offence_code else None
    if injury in ("serious", "fatal") or group is OffenceGroup.SEXUAL:
        return 4
    if injury == "minor":
        return 3
    if event.offence_code and event.offence_code.upper() == "105A":
        return 2
    return 1 if event.offence_code else 0


def _log(n: int) -> float:
    return math.log1p(max(n, 0))


def _age(history: PersonHistory | None, moment: datetime) -> float:
    age = history.age_at(moment.date()) if history is not None else None
    return float(age) if age is not None else 35.0  # unknown: a typical adult age


def pair_events(history: PersonHistory, other_key: str) -> list[EventFact]:
    """Domestic-abuse events where ``history``'s person was the victim and ``other_key`` a
    suspect, oldest first (each once)."""
    seen: dict[int, EventFact] = {}
    for inv in history.involvements:
        if inv.role == "victim" and inv.event.domestic_abuse:
            if any(p.role == "suspect" and p.person_key == other_key for p in inv.others):
                seen.setdefault(inv.event.event_id, inv.event)
    return sorted(seen.values(), key=lambda e: (e.occurred_at, e.event_id))


def _da_before(
    history: PersonHistory | None, role: str, event_id: int, at: datetime
) -> list[EventFact]:
    """Domestic-abuse events before ``at`` where ``history``'s person had ``role`` (any other
    party), each once, not ``event_id``."""
    if history is None:
        return []
    seen: dict[int, EventFact] = {}
    for inv in history.involvements:
        e = inv.event
        if inv.role == role and e.domestic_abuse and e.event_id != event_id and e.occurred_at <= at:
            seen.setdefault(e.event_id, e)
    return list(seen.values())


def da_features(
    victim: PersonHistory,
    suspect: PersonHistory | None,
    event_id: int,
    *,
    offences: OffenceClassification | None = None,
    moment: datetime | None = None,
) -> FeatureRow:
    """Features of the victim-suspect pair at domestic-abuse incident ``event_id``, as of
    ``moment`` (default: when the incident was known). ``suspect`` is the suspect's own
    history (None when the suspect is not known: their counts are 0)."""
    offences = offences or default_classification()
    index = victim.events.get(event_id)
    if index is None:
        raise ValueError(f"event {event_id} is not in {victim.person_key}'s history")
    at = moment or prediction_moment(victim, index)
    v = victim.as_of(at)
    s = suspect.as_of(at) if suspect is not None else None
    s_key = suspect.person_key if suspect is not None else ""
    before = [e for e in pair_events(v, s_key) if e.event_id != event_id and e.occurred_at <= at]
    t = index.occurred_at
    last_year = [e for e in before if e.occurred_at > t - 365 * DAY]
    # The three years, not "one to three years before": records start on a day, and in the
    # first years a count of the years before the last would mark a long gap, not more abuse.
    three_years = [e for e in before if e.occurred_at > t - 1095 * DAY]
    years_before = [e for e in three_years if e.occurred_at <= t - 365 * DAY]
    pair_ids = {e.event_id for e in before} | {event_id}
    ev: dict[str, tuple[int, ...]] = {
        "pair_last_year": tuple(e.event_id for e in last_year),
        "pair_three_years": tuple(e.event_id for e in three_years),
        "pair_years_before": tuple(e.event_id for e in years_before),
    }
    values: dict[str, float] = {
        "pair_last_year": _log(len(last_year)),
        "pair_three_years": _log(len(three_years)),
        "pair_years_before": _log(len(years_before)),
    }
    if before:
        days = (t - before[-1].occurred_at) / DAY
        values["log_months_since_last"] = math.log1p(max(days, 0.0) / 30.0)
        ev["log_months_since_last"] = (before[-1].event_id,)
    else:
        values["log_months_since_last"] = 0.0
    values["first_incident"] = float(not before)
    by_group: dict[str, list[int]] = {"violent": [], "sexual": [], "other": []}
    other_victims: list[int] = []
    if s is not None:
        for inv in s.involvements:
            e = inv.event
            if inv.role != "suspect" or e.event_id == event_id:
                continue
            if e.domestic_abuse:
                if e.event_id not in pair_ids and not any(
                    p.person_key == victim.person_key for p in inv.others
                ):
                    other_victims.append(e.event_id)
                continue
            if not e.offence_code:
                continue
            group = offences.classify(e.offence_code).group.value
            by_group[group if group in by_group else "other"].append(e.event_id)
    for g, ids in by_group.items():
        values[f"suspect_{g}"] = _log(len(set(ids)))
        ev[f"suspect_{g}"] = tuple(sorted(set(ids)))
    values["suspect_other_victims"] = _log(len(set(other_victims)))
    ev["suspect_other_victims"] = tuple(sorted(set(other_victims)))
    breaches = [
        e.event_id
        for e in [*before, index]
        if e.offence_code and offences.classify(e.offence_code).breach_of_order
    ]
    values["pair_breaches"] = _log(len(breaches))
    ev["pair_breaches"] = tuple(breaches)
    marac = [r.referral_id for r in v.referrals if r.referral_type == "marac"]
    values["prior_marac"] = float(bool(marac))
    sev = severity(index, offences)
    severities = [severity(e, offences) for e in before]
    prior = max(severities, default=None)
    values["escalation"] = float(prior is not None and sev > prior)
    values["incident_severity"] = float(sev)
    values["pair_prior_severity"] = sum(severities) / len(severities) if severities else 0.0
    if severities:
        ev["pair_prior_severity"] = tuple(e.event_id for e in before)
    if values["escalation"]:
        ev["escalation"] = (event_id,)
    victimised = {
        inv.event.event_id
        for inv in v.involvements
        if inv.role == "victim" and inv.event.event_id not in pair_ids
    }
    values["victim_victimised"] = _log(len(victimised))
    ev["victim_victimised"] = tuple(sorted(victimised))
    values["victim_age"] = _age(v, t)
    values["suspect_age"] = _age(s, t)
    here = next((i for i in v.involvements if i.event.event_id == event_id), None)
    rel = here.relationship_to_suspect if here is not None else None
    values["separated"] = float(rel == "ex_partner")
    # Separated within 90 days: now an ex-partner, and no earlier incident of the pair recorded
    # them as ex-partners more than 90 days ago (the weeks after separation are the dangerous ones).
    apart_since = min(
        (
            i.event.occurred_at
            for i in v.involvements
            if i.event.event_id in pair_ids and i.relationship_to_suspect == "ex_partner"
        ),
        default=None,
    )
    values["newly_separated"] = float(
        rel == "ex_partner" and apart_since is not None and t - apart_since <= 90 * DAY
    )
    # The same history read from each person alone, whoever the other party was: a pair whose
    # earlier incidents were linked to another record of the victim (or of the suspect) loses
    # them from the pair counts above, but they stay in the suspect's (or the victim's) own.
    either: list[EventFact] = []
    for name, h, role in (("victim", v, "victim"), ("suspect", s, "suspect")):
        own_da = _da_before(h, role, event_id, at)
        either += own_da
        recent = [e for e in own_da if e.occurred_at > t - 365 * DAY]
        values[f"{name}_da_last_year"] = _log(len(recent))
        ev[f"{name}_da_last_year"] = tuple(e.event_id for e in recent)
    latest = max(either, key=lambda e: (e.occurred_at, e.event_id), default=None)
    if latest is not None:
        days = (t - latest.occurred_at) / DAY
        values["log_months_since_either"] = math.log1p(max(days, 0.0) / 30.0)
        ev["log_months_since_either"] = (latest.event_id,)
    else:
        values["log_months_since_either"] = 0.0
    values["injured"] = float(sev >= 3)
    values["serious_harm"] = float(sev == 4)
    for name in ("separated", "newly_separated", "injured", "serious_harm"):
        if values[name]:
            ev[name] = (event_id,)
    values.update(dash_features(v, event_id))
    return FeatureRow(values, {k: x for k, x in ev.items() if x})


def dash_features(victim: PersonHistory, event_id: int) -> dict[str, float]:
    """The DASH form completed for the incident (the latest known), question by question."""
    forms = [
        a
        for a in victim.assessments
        if a.event_id == event_id and a.instrument_id.startswith("dash")
    ]
    out = {name: 0.0 for name, _ in DASH}
    if not forms:
        return out
    answers = forms[-1].answers
    out["dash_form"] = 1.0
    for q in DASH_QUESTIONS:
        out[f"dash_{q}"] = float(answers.get(q) == "yes")
    out["dash_yes_count"] = float(sum(v == "yes" for v in answers.values()))
    return out


def missing_features(
    child: PersonHistory, episode_id: int, *, moment: datetime | None = None
) -> FeatureRow:
    """Features of a child's missing episode, as of ``moment`` (default: when reported)."""
    index = next((m for m in child.missing if m.episode_id == episode_id), None)
    if index is None:
        raise ValueError(f"episode {episode_id} is not in {child.person_key}'s history")
    at = moment or index.reported_missing_at
    h = child.as_of(at)
    t = index.reported_missing_at
    before = sorted(
        (m for m in h.missing if m.episode_id != episode_id and m.reported_missing_at <= t),
        key=lambda m: (m.reported_missing_at, m.episode_id),
    )
    last_90 = [m for m in before if m.reported_missing_at > t - 90 * DAY]
    year = [m for m in before if t - 365 * DAY < m.reported_missing_at <= t - 90 * DAY]
    flagged_before = [m for m in before if m.exploitation_flag]
    values: dict[str, float] = {
        "last_90_days": _log(len(last_90)),
        "year_before": _log(len(year)),
        "log_days_since_last": math.log1p(
            (t - before[-1].reported_missing_at) / DAY if before else NO_PREVIOUS_DAYS
        ),
        "in_care": float(bool(index.in_care)),
        "flagged": float(bool(index.exploitation_flag)),
        "flagged_before": _log(len(flagged_before)),
        "no_interview_after_last": float(bool(before) and before[-1].rhi_completed_at is None),
        "age": _age(h, t),
    }
    ev = {
        "last_90_days": tuple(m.event_id for m in last_90),
        "year_before": tuple(m.event_id for m in year),
        "log_days_since_last": (before[-1].event_id,) if before else (),
        "flagged_before": tuple(m.event_id for m in flagged_before),
        "no_interview_after_last": (before[-1].event_id,)
        if values["no_interview_after_last"]
        else (),
        "flagged": (index.event_id,) if index.exploitation_flag else (),
        "in_care": (index.event_id,) if index.in_care else (),
    }
    return FeatureRow(values, {k: x for k, x in ev.items() if x})
