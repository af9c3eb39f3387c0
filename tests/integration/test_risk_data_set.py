"""The risk model's data set read set-based (``risk_model_data.build``: the people it can be
about, each table in a few queries, without contacts and stored scores) is exactly the data set
built person by person from each one's whole history, on SQLite and PostgreSQL: the same rows in
the same order, the same features, evidence, labels and fairness attributes."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.adapters.db.people import people, person_links
from safeguard.domain.offences import default_classification
from safeguard.domain.risk.targets import Target
from safeguard.services import risk_model_data as data
from tests.integration import interchange_rows as rows

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _inv(sid: str, event: str, mention: str, role: str = "victim", rel: str | None = None) -> Any:
    r = rows.involvement(sid, event, mention, role)
    if rel is not None:
        r["relationship_to_suspect"] = rel
    return r


def _force(engine: Engine, tmp_path: Path) -> None:
    """A victim (three mentions, linked; one holds only her other victimisation and a MARAC
    referral) abused three times by one suspect (an unlinked mention)
    who also has other crimes and another victim (two mentions, linked, sex recorded both ways);
    a witness; a child missing three times and an adult missing once; a bystander whose late
    incident sets the data's end (so the 2022 incidents have complete follow-up)."""
    items = [
        rows.person("v1", dob="1990-05-01", sex="female", ethnicity="W1"),
        rows.person("v1b", dob="1990-05-01", sex="female"),
        rows.person("v1c", dob="1990-05-01"),
        rows.person("s1", dob="1985-02-02", sex="male", ethnicity="B1"),
        rows.person("v2", dob="1992-07-07", sex="female"),
        rows.person("v2b", dob="1992-07-07", sex="male"),
        rows.person("w1", dob=None, age=40, mention_date="2022-09-01"),
        rows.person("c1", dob="2008-03-03", sex="male"),
        rows.person("a1", dob="1980-01-01"),
        rows.person("b1", dob="1970-01-01"),
        rows.event("e1", "2022-01-10T20:00:00Z"),
        rows.event("e2", "2022-06-01T21:00:00Z", offence_code="8N", injury_level="minor"),
        rows.event("e3", "2023-02-01T22:00:00Z", reported_at="2023-02-02T09:00:00Z"),
        rows.event("e4", "2022-03-01T12:00:00Z", event_type="other_crime", offence_code="49"),
        rows.event("e5", "2021-11-01T12:00:00Z", event_type="other_crime", offence_code="105A"),
        rows.event("e6", "2022-09-01T23:00:00Z", offence_code="19C"),
        rows.event("m1", "2022-01-05T18:00:00Z", event_type="missing_person"),
        rows.event("m2", "2022-02-01T18:00:00Z", event_type="missing_person"),
        rows.event("m3", "2022-04-20T18:00:00Z", event_type="missing_person"),
        rows.event("m4", "2022-05-05T18:00:00Z", event_type="missing_person"),
        rows.event("late", "2024-06-01T12:00:00Z", event_type="other_incident"),
        _inv("i1", "e1", "v1", rel="intimate_partner"),
        _inv("i2", "e1", "s1", "suspect"),
        _inv("i3", "e2", "v1b", rel="ex_partner"),
        _inv("i4", "e2", "s1", "suspect"),
        _inv("i5", "e3", "v1", rel="ex_partner"),
        _inv("i6", "e3", "s1", "suspect"),
        _inv("i7", "e4", "v1c"),
        _inv("i8", "e5", "s1", "suspect"),
        _inv("i9", "e6", "v2", rel="intimate_partner"),
        _inv("i10", "e6", "s1", "suspect"),
        _inv("i11", "e6", "w1", "witness"),
        _inv("i12", "late", "b1", "witness"),
        rows.missing("x1", "m1", "c1", "2022-01-05T18:00:00Z", found_at="2022-01-06T10:00:00Z"),
        rows.missing(
            "x2", "m2", "c1", "2022-02-01T18:00:00Z", exploitation_flag=True, in_care=True
        ),
        rows.missing("x3", "m3", "c1", "2022-04-20T18:00:00Z"),
        rows.missing("x4", "m4", "a1", "2022-05-05T18:00:00Z"),
        rows.dash("d1", "v1b", "2022-06-02T10:00:00Z", 9, event_ref="e2", officer_grade="medium"),
        rows.dash("d2", "v1", "2023-02-02T12:00:00Z", 14, event_ref="e3"),
        rows.referral("r1", "v1c", "marac", "2022-06-10T09:00:00Z", event_ref="e2"),
        rows._row(
            "victim_contact",
            "vc1",
            event_ref="e2",
            mention_ref="v1b",
            trigger="arrest",
            trigger_at="2022-06-02T09:00:00Z",
        ),  # fmt: skip
    ]
    ids = rows.ingest_clean(engine, tmp_path, items, NOW)
    with engine.begin() as conn:
        for group in (("v1", "v1b", "v1c"), ("v2", "v2b")):
            pid = conn.execute(
                sa.insert(people).values(created_at=NOW).returning(people.c.id)
            ).scalar_one()
            conn.execute(
                sa.insert(person_links),
                [{"mention_id": ids[m], "person_id": pid, "linked_at": NOW} for m in group],
            )


def _per_person(conn: Connection) -> data.Dataset:
    """The reference: every person of the database read on their own, whole (contacts and
    scores too), and the rows of each from the same domain functions."""
    repo = HistoryRepository(conn)
    end = data.data_end_of(conn)
    assert end is not None
    histories = {}
    for key in sorted(set(repo.keys_of().values())):
        (h,) = repo.of_people([key])
        histories[key] = h.normalised()
    offences = default_classification()
    ds = data.Dataset(end)
    for h in histories.values():
        if h.missing:
            ds.rows.extend(data.missing_rows(h, end))
    for h in histories.values():
        ds.rows.extend(data.da_rows(h, histories, end, offences))
    demo = data.demographics(conn)
    for r in ds.rows:
        r.sex, r.ethnicity = demo.get(r.person_key, (None, None))
    return ds


def _plain(value: Any) -> Any:
    """NaN as a marker, so rows compare exactly (NaN is not equal to itself)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def test_the_set_based_data_set_is_the_per_person_one(engine: Engine, tmp_path: Path) -> None:
    _force(engine, tmp_path)
    with engine.connect() as conn:
        fast = data.build(conn)
        slow = _per_person(conn)
    assert fast.data_end == slow.data_end
    got = [_plain(dataclasses.asdict(r)) for r in fast.rows]
    want = [_plain(dataclasses.asdict(r)) for r in slow.rows]
    assert got == want
    # What the force holds: three incidents of the first pair, one of the second, three episodes
    # of the child (not the adult's); the witness and the bystander give no row.
    da = fast.of(Target.DA_REPEAT)
    assert len(da) == 4 and len(fast.of(Target.MISSING_REPEAT)) == 3
    assert len({r.other_key for r in da}) == 1 and len({r.person_key for r in da}) == 2
    earliest = min(da, key=lambda r: r.occurred_at)
    assert earliest.labels[Target.DA_REPEAT] is not None  # complete follow-up
    by_victims = {r.person_key: r for r in da}
    assert {r.sex for r in by_victims.values()} == {"female"}  # the tie: the lowest mention's
    assert {r.ethnicity for r in da} == {"W1", None}
    assert any(r.features.values["prior_marac"] for r in da)
    assert any(r.features.values["victim_victimised"] for r in da)
    assert any(r.features.values["dash_form"] for r in da)
    assert any(r.features.values["suspect_other_victims"] for r in da)
