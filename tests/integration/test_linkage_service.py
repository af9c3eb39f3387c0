"""Linking end to end on SQLite and PostgreSQL: batch, stable ids, delta, link_one, decisions."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.audit import audit_log, verify_audit
from safeguard.adapters.db.linkage import link_models, link_reviews, link_runs
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import person_mentions
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import raw_from_records
from safeguard.domain.access import Actor, Refused, Role
from safeguard.domain.linking import pairwise_scores
from safeguard.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from safeguard.services.linking import decisions, one_record, runs
from safeguard.services.linking.config import LinkConfig
from safeguard.services.unit_of_work import SCHEDULED_RUN
from tests.conftest import count
from tests.linkage_data import (
    insert_mentions,
    insert_roles,
    make_mentions,
    make_people,
    stored_links,
    with_model,
)

SERGEANT = Actor(2, "mash_sergeant", Role.SUPERVISOR)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PEOPLE = make_people(120)
ROWS = make_mentions(PEOPLE)
TRUTH = {r["id"]: r["person_key"] for r in ROWS}


@pytest.fixture(scope="module")
def trained_model() -> str:
    """One EM-trained model for the module, so each test links without training again."""
    with LinkingSession() as session:
        session.load(raw_from_records(ROWS), today=NOW.date())
        return json.dumps(session.train(), sort_keys=True)


@pytest.fixture
def config(tmp_path: Path) -> LinkConfig:
    return LinkConfig(store_dir=tmp_path / "link")


def test_batch_link_gives_every_mention_one_person_and_finds_the_true_people(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    summary = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    links = stored_links(engine)
    assert set(links) == set(TRUTH)
    assert summary.mentions == len(ROWS) and not summary.trained
    scores = pairwise_scores(links, TRUTH)
    assert scores.precision >= 0.97 and scores.recall >= 0.95, scores
    with engine.connect() as conn:
        run = conn.execute(sa.select(link_runs)).one()
        assert (run.status, run.model_version) == ("done", "test-model")
        assert conn.execute(sa.select(audit_log.c.action)).scalars().all() == ["link.batch"]


def test_twins_and_father_and_son_are_never_one_person(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    links = stored_links(engine)
    keys_of: dict[int, set[int]] = defaultdict(set)
    for m, p in links.items():
        keys_of[p].add(TRUTH[m])
    look_alikes = {
        (a.key, b.key)
        for a in PEOPLE
        for b in PEOPLE
        if a.key < b.key and a.surname == b.surname and a.address == b.address
    }
    assert look_alikes, "the population must contain twins and father-son pairs"
    for a, b in look_alikes:
        assert not any({a, b} <= keys for keys in keys_of.values()), (a, b)


def test_a_rerun_on_unchanged_records_keeps_every_person_id(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    first = stored_links(engine)
    again = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW + timedelta(days=1))
    assert stored_links(engine) == first
    assert again.changed_links == 0


def test_the_first_run_trains_and_saves_a_versioned_model(engine: Engine, config: LinkConfig):
    insert_mentions(engine, ROWS)
    summary = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    assert summary.trained
    with engine.connect() as conn:
        saved = conn.execute(sa.select(link_models)).one()
    assert saved.version == summary.model_version
    assert json.loads(saved.model_json)["comparisons"]
    assert count(engine, person_links) == len(ROWS)


def test_unlinkable_mentions_are_kept_as_their_own_person_with_the_reason(
    engine: Engine, trained_model: str, config: LinkConfig
):
    odd = [
        {
            "id": 9001,
            "source_system": "NICHE",
            "source_id": "X1",
            "forenames": None,
            "surname": None,
            "date_of_birth": date(1980, 1, 1),
        },
        {"id": 9002, "source_system": "NICHE", "source_id": "X2", "forenames": "J", "surname": "S"},
        {
            "id": 9003,
            "source_system": "NICHE",
            "source_id": "X3",
            "forenames": ROWS[0]["forenames"],
            "surname": ROWS[0]["surname"],
            "date_of_birth": date(2031, 1, 1),
            "address": ROWS[0]["address"],
        },
    ]
    insert_mentions(engine, ROWS + odd)
    with_model(engine, trained_model, trained_on=len(ROWS))
    summary = runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    assert summary.unlinkable == 3
    links = stored_links(engine)
    for m in (9001, 9002, 9003):
        assert list(links.values()).count(links[m]) == 1
    assert dict(runs.unlinkable_mentions(engine)) == {
        9001: "no_name",
        9002: "initials_only",
        9003: "impossible_date_of_birth",
    }


def test_a_nightly_delta_links_new_mentions_to_known_people_without_relinking(
    engine: Engine, trained_model: str, config: LinkConfig
):
    known = [r for r in ROWS if r["id"] % 5]
    new = [r for r in ROWS if not r["id"] % 5]
    insert_mentions(engine, known)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    before = stored_links(engine)
    insert_mentions(engine, new)
    summary = runs.link_new(
        engine, actor=SCHEDULED_RUN, config=config, now=NOW + timedelta(hours=1)
    )
    after = stored_links(engine)
    assert summary.kind == "delta" and summary.mentions == len(new)
    assert {m: after[m] for m in before} == before
    assert set(after) == set(TRUTH)
    scores = pairwise_scores(after, TRUTH)
    assert scores.precision >= 0.97 and scores.recall >= 0.9, scores


def test_link_one_returns_the_known_person_first(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    target = ROWS[10]
    query = {k: target[k] for k in ("forenames", "surname", "date_of_birth", "postcode", "sex")}
    candidates = one_record.link_one(engine, query, config=config, today=NOW.date())
    assert candidates
    assert candidates[0].person_id == stored_links(engine)[target["id"]]
    assert candidates[0].match_probability > 0.9
    assert candidates == sorted(candidates, key=lambda c: -c.match_probability)
    # a second lookup reuses the open store and cached SQL, and agrees
    assert one_record.link_one(engine, query, config=config, today=NOW.date()) == candidates
    with pytest.raises(ValidationFailed, match="no_name"):
        one_record.link_one(
            engine, {"date_of_birth": date(1990, 1, 1)}, config=config, today=NOW.date()
        )


def test_link_one_on_a_feature_store_of_an_earlier_version_says_to_run_link(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    with duckdb.connect(str(config.store_path)) as con:  # as written before other names
        con.execute("alter table features drop column other_forenames")
    one_record._REALTIME.pop(config.store_path, None)
    target = ROWS[10]
    query = {k: target[k] for k in ("forenames", "surname", "date_of_birth", "postcode", "sex")}
    with pytest.raises(NotFound, match=r"earlier version .*other_forenames.*safeguard link"):
        one_record.link_one(engine, query, config=config, today=NOW.date())
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)  # rebuilds the store
    assert one_record.link_one(engine, query, config=config, today=NOW.date())


def test_confirm_split_and_undo_are_applied_audited_and_obeyed_by_later_runs(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    links = stored_links(engine)
    by_person: dict[int, list[int]] = defaultdict(list)
    for m, p in sorted(links.items()):
        by_person[p].append(m)
    one, other = [ms for ms in by_person.values() if len(ms) >= 2][:2]
    # split two mentions of one person
    split = decisions.split_link(
        engine,
        actor=SERGEANT,
        reason="different DOB on PNC",
        mentions=(one[0], one[1]),
        now=NOW,
    )
    after_split = stored_links(engine)
    assert after_split[one[0]] != after_split[one[1]]
    # confirm two different people are one
    confirm = decisions.confirm_link(
        engine, actor=SERGEANT, reason="same PNC id", mentions=(one[0], other[0]), now=NOW
    )
    after_confirm = stored_links(engine)
    assert after_confirm[one[0]] == after_confirm[other[0]]
    with pytest.raises(Conflict):
        decisions.confirm_link(engine, actor=SERGEANT, reason="again", mentions=(one[0], other[0]))
    # a later batch run obeys both decisions
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW + timedelta(days=1))
    rerun = stored_links(engine)
    assert rerun[one[0]] != rerun[one[1]]
    assert rerun[one[0]] == rerun[other[0]]
    # undo the confirm: the people it merged are apart again
    decisions.undo_decision(engine, actor=SERGEANT, decision_id=confirm, reason="wrong PNC")
    undone = stored_links(engine)
    assert undone[one[0]] != undone[other[0]]
    with pytest.raises(InvalidTransition):
        decisions.undo_decision(engine, actor=SERGEANT, decision_id=confirm, reason="twice")
    with engine.connect() as conn:
        actions = (
            conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.seq)).scalars().all()
        )
        assert actions == ["link.batch", "link.split", "link.confirm", "link.batch", "link.undo"]
        assert verify_audit(conn) == []
    assert split != confirm


def test_only_an_account_allowed_to_review_links_may_decide_and_nothing_is_written_otherwise(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    pair = (ROWS[0]["id"], ROWS[1]["id"])
    officer = Actor(5, "pc_patel", Role.OFFICER)
    with pytest.raises(Refused):
        decisions.split_link(engine, actor=officer, reason="r", mentions=pair)
    with pytest.raises(Refused):
        decisions.confirm_link(engine, actor=officer, reason="r", mentions=pair)
    decision = decisions.split_link(engine, actor=SERGEANT, reason="r", mentions=pair)
    with pytest.raises(Refused):
        decisions.undo_decision(engine, actor=officer, decision_id=decision, reason="r")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor)).all()
    assert [tuple(r) for r in rows] == [("link.batch", "nightly"), ("link.split", "user:2")]


def test_the_review_queue_puts_a_link_joining_a_suspect_to_a_victim_first(
    engine: Engine, trained_model: str, tmp_path: Path
):
    config = LinkConfig(store_dir=tmp_path / "link", review_from=0.0001)
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    queue = decisions.review_queue(engine, limit=1000)
    assert queue, "the synthetic set has uncertain pairs"
    assert queue == sorted(queue, key=lambda i: -i.priority)
    low = queue[-1]
    insert_roles(engine, {low.mention_id_l: "suspect", low.mention_id_r: "victim"})
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW + timedelta(days=1))
    queue = decisions.review_queue(engine, limit=1000)
    first = [i for i in queue if i.reason == "joins_suspect_and_victim"]
    assert (low.mention_id_l, low.mention_id_r) in {(i.mention_id_l, i.mention_id_r) for i in first}
    assert queue[: len(first)] == first  # every such join comes before anything else
    top = queue[0]
    # deciding from the queue closes the item
    decisions.split_link(engine, actor=SERGEANT, reason="different people", review_id=top.id)
    with engine.connect() as conn:
        status = conn.execute(
            sa.select(link_reviews.c.status).where(link_reviews.c.id == top.id)
        ).scalar()
    assert status == "split"


def test_every_mention_still_has_exactly_one_link_after_decisions(
    engine: Engine, trained_model: str, config: LinkConfig
):
    insert_mentions(engine, ROWS)
    with_model(engine, trained_model, trained_on=len(ROWS))
    runs.link_all(engine, actor=SCHEDULED_RUN, config=config, now=NOW)
    decisions.split_link(
        engine, actor=SERGEANT, reason="r", mentions=(ROWS[0]["id"], ROWS[1]["id"])
    )
    with engine.connect() as conn:
        mentions = conn.execute(sa.select(sa.func.count()).select_from(person_mentions)).scalar()
        linked = conn.execute(
            sa.select(sa.func.count(sa.distinct(person_links.c.mention_id)))
        ).scalar()
    assert mentions == linked == count(engine, person_links)
