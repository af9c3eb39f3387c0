"""The risk model's data set, read through the one history repository: every domestic-abuse
incident (one row per victim-suspect pair) and every missing episode of a child, with its
features as of the moment it was known, its labels where follow-up is complete, and, apart from
the features, what the model card compares and breaks down by (DASH count, officer grade,
victim sex, ethnicity, age band, area, team).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.engine import Connection

from safeguard.adapters.db import risk_model_store as stored
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.domain.history import PersonHistory
from safeguard.domain.offences import OffenceClassification, default_classification
from safeguard.domain.risk.features import (
    DA_HISTORY,
    DASH,
    MISSING_HISTORY,
    FeatureRow,
    da_features,
    missing_features,
    names_of,
)
from safeguard.domain.risk.targets import Label, Target, da_label, missing_label
from safeguard.errors import ValidationFailed

GRADE_RANK = {"standard": 0, "medium": 1, "high": 2}
MISSING_RANK = {"no_apparent_risk": 0, "low": 1, "medium": 2, "high": 3}
CHILD_AGE = 18


def features_for(target: Target, *, dash: bool = True) -> tuple[str, ...]:
    if target is Target.MISSING_REPEAT:
        return names_of(MISSING_HISTORY)
    return names_of(DA_HISTORY, DASH) if dash else names_of(DA_HISTORY)


def age_band(age: float | None) -> str:
    if age is None or math.isnan(age):
        return "unknown"
    if age < 18:
        return "under 18"
    if age < 25:
        return "18-24"
    if age < 40:
        return "25-39"
    if age < 60:
        return "40-59"
    return "60+"


@dataclass
class IndexRow:
    """One thing to predict for: a domestic-abuse incident for a pair, or a child's episode."""

    kind: str  # "da" | "missing"
    subject_key: str
    person_key: str
    other_key: str | None
    event_id: int
    episode_id: int | None
    occurred_at: datetime
    features: FeatureRow
    labels: dict[Target, Label | None]
    area: str | None = None
    team: str | None = None
    dash_count: float = math.nan
    officer_grade: float = math.nan
    officer_grade_text: str | None = None
    instrument_grade: float = math.nan  # the missing-person risk grade
    sex: str | None = None
    ethnicity: str | None = None
    age: float = math.nan


@dataclass
class Dataset:
    data_end: datetime
    rows: list[IndexRow] = field(default_factory=list)

    def of(self, target: Target) -> list[IndexRow]:
        kind = "missing" if target is Target.MISSING_REPEAT else "da"
        return [r for r in self.rows if r.kind == kind]


def data_end_of(conn: Connection) -> datetime | None:
    """The last moment the records cover: the end of the day (UTC) of the latest event."""
    value = stored.latest_event_at(conn)
    if value is None:
        return None
    return datetime.combine(value.date() + timedelta(days=1), time(0), tzinfo=UTC)


def demographics(
    conn: Connection, mention_ids: Sequence[int] | None = None
) -> dict[str, tuple[str | None, str | None]]:
    """Person key -> (sex, ethnicity), each the value recorded most often (the lowest mention
    id's on a tie), of everyone or of the people of these mentions (pass all of their mentions);
    for fairness only."""
    sexes: dict[str, dict[str, int]] = defaultdict(dict)
    eths: dict[str, dict[str, int]] = defaultdict(dict)
    for key, sex, eth in stored.recorded_sex_and_ethnicity(conn, mention_ids):
        if sex:
            seen = sexes[key]
            seen[sex] = seen.get(sex, 0) + 1
        if eth:
            seen = eths[key]
            seen[eth] = seen.get(eth, 0) + 1
    # max() keeps the first of equal counts, as Counter.most_common(1) does: the value of the
    # lowest mention id among the most recorded.
    return {
        k: (
            max(sexes[k], key=sexes[k].__getitem__) if k in sexes else None,
            max(eths[k], key=eths[k].__getitem__) if k in eths else None,
        )
        for k in set(sexes) | set(eths)
    }


def _has_da(h: PersonHistory) -> bool:
    return any(i.event.domestic_abuse for i in h.involvements)


def da_rows(
    victim: PersonHistory,
    others: dict[str, PersonHistory],
    data_end: datetime,
    offences: OffenceClassification,
    *,
    labels: bool = True,
) -> list[IndexRow]:
    out = []
    for event_id, suspect_key in victim.pairs():
        event = victim.events[event_id]
        if not event.domestic_abuse:
            continue
        suspect = others.get(suspect_key)
        row = da_features(victim, suspect, event_id, offences=offences)
        form = next(
            (
                a
                for a in reversed(victim.assessments)
                if a.event_id == event_id and a.instrument_id.startswith("dash")
            ),
            None,
        )
        age = victim.age_at(event.occurred_at.date())
        out.append(
            IndexRow(
                kind="da",
                subject_key=f"E{event_id}:{victim.person_key}:{suspect_key}",
                person_key=victim.person_key,
                other_key=suspect_key,
                event_id=event_id,
                episode_id=None,
                occurred_at=event.occurred_at,
                features=row,
                labels={
                    t: da_label(victim, suspect_key, event_id, t, data_end, offences=offences)
                    for t in (Target.DA_REPEAT, Target.DA_SERIOUS_HARM)
                }
                if labels
                else {},
                area=event.area,
                team=event.team,
                dash_count=row.values["dash_yes_count"] if form is not None else math.nan,
                officer_grade=GRADE_RANK.get(form.officer_grade or "", math.nan)
                if form is not None
                else math.nan,
                officer_grade_text=form.officer_grade if form is not None else None,
                age=float(age) if age is not None else math.nan,
            )
        )
    return out


def missing_rows(
    child: PersonHistory, data_end: datetime, *, labels: bool = True
) -> list[IndexRow]:
    out = []
    for m in child.missing:
        age = child.age_at(m.reported_missing_at.date())
        if age is None or age >= CHILD_AGE:
            continue
        out.append(
            IndexRow(
                kind="missing",
                subject_key=f"X{m.episode_id}:{child.person_key}",
                person_key=child.person_key,
                other_key=None,
                event_id=m.event_id,
                episode_id=m.episode_id,
                occurred_at=m.reported_missing_at,
                features=missing_features(child, m.episode_id),
                labels={Target.MISSING_REPEAT: missing_label(child, m.episode_id, data_end)}
                if labels
                else {},
                area=m.area,
                team=m.team,
                instrument_grade=MISSING_RANK.get(m.risk_grade or "", math.nan),
                age=float(age),
            )
        )
    return out


def _finish(
    conn: Connection, rows: list[IndexRow], mention_ids: Sequence[int] | None = None
) -> None:
    demo = demographics(conn, mention_ids)
    for r in rows:
        r.sex, r.ethnicity = demo.get(r.person_key, (None, None))


def build(conn: Connection, *, data_end: datetime | None = None) -> Dataset:
    """Every index row of the force.

    Set-based: one query names the people the data set can be about (anyone in a
    domestic-abuse event, anyone with a missing episode: :func:`risk_model_store.subject_mentions`),
    and each table of their histories is then read in a few chunked queries (without the
    Victims' Code contacts and the stored scores, which no feature reads). Each history is then
    the same :class:`PersonHistory` a per-person read gives, and the rows come from the same
    pure feature and label functions of it; a test checks the data set equals the one built
    person by person.
    """
    end = data_end or data_end_of(conn)
    if end is None:
        raise ValidationFailed("no records to learn from: the database holds no events")
    repo = HistoryRepository(conn)
    offences = default_classification()
    mentions = stored.subject_mentions(conn)
    da_people: dict[str, PersonHistory] = {}
    ds = Dataset(end)
    if mentions:
        for h in repo.histories(mentions, expand=False, scores=False, contacts=False):
            h = h.normalised()
            if _has_da(h):
                da_people[h.person_key] = h
            if h.missing:
                ds.rows.extend(missing_rows(h, end))
    for h in da_people.values():
        ds.rows.extend(da_rows(h, da_people, end, offences))
    _finish(conn, ds.rows, mentions)
    return ds


def rows_of_people(
    conn: Connection, keys: Iterable[str], *, data_end: datetime | None = None
) -> list[IndexRow]:
    """The index rows that involve these people (as victim, suspect or child), for re-scoring
    them when a record arrives: their histories and their partners' are read."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    end = data_end or data_end_of(conn) or datetime.now().astimezone()
    repo = HistoryRepository(conn)
    offences = default_classification()
    # One read of the people and the other side of their pairs (found by two small queries).
    partners = repo.pair_partners(wanted)
    people = {
        h.person_key: h.normalised()
        for h in repo.of_people(sorted(set(wanted) | partners), scores=False, contacts=False)
    }
    first = {k: people[k] for k in wanted if k in people}
    rows: list[IndexRow] = []
    victims: set[str] = set()
    for key, h in first.items():
        rows.extend(missing_rows(h, end))
        victims.add(key)
        victims.update(k for _, k in h.pairs("suspect", "victim"))
    for key in sorted(victims):
        victim = people.get(key)
        if victim is not None:
            rows.extend(
                r
                for r in da_rows(victim, people, end, offences)
                if r.person_key in first or r.other_key in first
            )
    return rows


def matrix(rows: Sequence[IndexRow], names: tuple[str, ...]) -> list[list[float]]:
    return [r.features.vector(names) for r in rows]
