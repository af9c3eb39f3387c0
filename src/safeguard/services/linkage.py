"""Person linking use cases: batch link, nightly delta, link one record, and analysts' decisions.

Until linking has run, a mention without a ``person_links`` row is its own person; after
``link_all`` every mention has exactly one row. Decisions (confirm = must-link, split =
cannot-link) are stored, audited in the same transaction, obeyed by every later run, and undoable.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from safeguard.adapters.db import linkage as store
from safeguard.adapters.db import runs
from safeguard.adapters.db.linkage import link_decisions, link_reviews, link_runs
from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import person_mentions
from safeguard.adapters.linkage.backend import (
    DeltaLinkingBackend,
    GuardPairs,
    LinkingBackend,
    Prediction,
)
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import load_mention_events, load_mentions
from safeguard.domain.access import Action, Actor, Scope, SystemJob, ensure, scope_of, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.linking import (
    Clustering,
    Constraints,
    RefusedMerge,
    assign_person_ids,
    mention_features,
    review_priority,
)
from safeguard.domain.linking_policy import LinkingPolicy
from safeguard.domain.purposes import Justification
from safeguard.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from safeguard.rules import load_rules_config
from safeguard.services import access
from safeguard.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from safeguard.adapters.linkage.realtime import RealtimeLinker

logger = logging.getLogger(__name__)

Backend = Literal["duckdb", "spark"]
Progress = Callable[[str], None]


_POLICY = LinkingPolicy()  # the defaults, defined once in the domain


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """How linking runs; thresholds are force policy, not code (``for_force``).

    Args:
        store_dir: where the feature store for deltas and ``link_one`` lives.
        match_threshold: pairs at or above this probability are the same person.
        review_from: uncertain pairs from this probability up go to the review queue.
        review_limit: at most this many open review items per run (highest priority first).
        backend: ``duckdb`` (one machine) or ``spark`` (a cluster, or local mode).
        retrain: train a new model even if one is saved.
        memory_limit: DuckDB's memory limit; it spills to disk beyond it.
        earliest_birth: dates of birth before this are impossible (unlinkable).
        guards_off: guards turned off by name (``domain.linking_policy.GUARD_NAMES``), to
            measure what each is worth; every guard is on by default.
        hold_ambiguous: hold on its own (and queue for review) a mention that links about as
            strongly to a person the guards keep apart from its own as to its own (off by
            default: measured, it costs more recall than it gains precision; docs/linking.md).

    The policy fields (thresholds, guards, earliest birth) are checked as ``LinkingPolicy``
    checks them: ``ValidationFailed`` names the field.
    """

    store_dir: Path
    match_threshold: float = _POLICY.match_threshold
    review_from: float = _POLICY.review_from
    review_limit: int = _POLICY.review_limit
    backend: Backend = "duckdb"
    retrain: bool = False
    memory_limit: str = "3GB"
    earliest_birth: date = _POLICY.earliest_birth
    spark_master: str = "local[2]"
    guards_off: frozenset[str] = _POLICY.guards_off
    hold_ambiguous: bool = _POLICY.hold_ambiguous

    def __post_init__(self) -> None:
        _ = self.policy  # ValidationFailed names a bad threshold, limit or guard

    @property
    def store_path(self) -> Path:
        return self.store_dir / "mentions.duckdb"

    @property
    def policy(self) -> LinkingPolicy:
        return LinkingPolicy(
            match_threshold=self.match_threshold,
            review_from=self.review_from,
            review_limit=self.review_limit,
            guards_off=self.guards_off,
            hold_ambiguous=self.hold_ambiguous,
            earliest_birth=self.earliest_birth,
        )

    @classmethod
    def for_force(
        cls, store_dir: Path, policy: LinkingPolicy | None = None, **overrides: Any
    ) -> LinkConfig:
        """The force's policy (``force_policy()`` unless given), with ``overrides`` (a command's
        options: any ``LinkConfig`` field) on top; a None override keeps the policy's value."""
        policy = policy if policy is not None else force_policy()
        values = asdict(policy) | {k: v for k, v in overrides.items() if v is not None}
        return cls(store_dir=store_dir, **values)


def force_policy(settings_file: Path | None = None) -> LinkingPolicy:
    """The ``linking:`` section of the force's settings file (``SAFEGUARD_RULES_CONFIG`` unless
    given), validated with the whole file: a bad file is refused (``ValidationFailed`` names the
    file and the key), never half used. No file: the defaults."""
    if settings_file is None:
        from safeguard.services.assessment import AssessmentSettings

        settings_file = AssessmentSettings().rules_config
    return load_rules_config(settings_file).linking


@dataclass(frozen=True, slots=True)
class LinkRunSummary:
    run_id: int
    kind: str
    model_version: str
    mentions: int
    people: int
    changed_links: int
    unlinkable: int
    review_items: int
    pairs_scored: int
    seconds: float
    trained: bool
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage, in order


@dataclass(frozen=True, slots=True)
class Candidate:
    """A known person a new record may be, with the best match probability among their mentions."""

    person_id: int
    match_probability: float
    mention_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: int
    mention_id_l: int
    mention_id_r: int
    person_id_l: int | None
    person_id_r: int | None
    match_probability: float
    priority: float
    reason: str
    status: str


@dataclass(slots=True)
class _Timer:
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)
    last: float = field(default_factory=time.perf_counter)

    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 3)

    def lap(self, stage: str) -> None:
        """Record the seconds since the previous lap as ``stage``."""
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 3)
        self.last = now


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _version(model_json: str, at: datetime) -> str:
    digest = hashlib.sha256(model_json.encode("utf-8")).hexdigest()[:10]
    return f"{at:%Y%m%dT%H%M%SZ}-{digest}"


def _session(config: LinkConfig) -> LinkingBackend:
    """The backend ``config`` names: DuckDB on this machine, or Spark (imported only then)."""
    if config.backend == "spark":
        from safeguard.adapters.linkage.spark import SparkLinkingSession

        return SparkLinkingSession(
            master=config.spark_master,
            memory_limit=config.memory_limit,
            earliest_birth=config.earliest_birth,
        )
    return _delta_session(config)


def _delta_session(config: LinkConfig) -> DeltaLinkingBackend:
    """The backend for a nightly delta (DuckDB: the only one that runs deltas)."""
    return LinkingSession(memory_limit=config.memory_limit, earliest_birth=config.earliest_birth)


def _guard_pairs(session: LinkingBackend, config: LinkConfig) -> GuardPairs | None:
    """The session's guards inside components (a ``DeltaLinkingBackend``: DuckDB); the Spark
    session applies its own hard negatives to scored pairs instead."""
    if isinstance(session, DeltaLinkingBackend):
        return session.guard_pairs(config.guards_off)
    return None


def _start_run(engine: Engine, kind: str, actor: str, backend: str, at: datetime) -> int:
    """Record a new link run; refused while another is running (one link run at a time: the
    unique index on running runs makes the refusal hold between processes too)."""
    runs.reconcile(engine)
    try:
        with engine.begin() as conn:
            return int(
                conn.execute(
                    sa.insert(link_runs)
                    .values(
                        kind=kind,
                        actor=actor,
                        backend=backend,
                        started_at=at,
                        status="running",
                        **runs.this_process(),
                    )
                    .returning(link_runs.c.id)
                ).scalar_one()
            )
    except IntegrityError:
        with engine.connect() as conn:
            other = runs.running(conn, "link")
        where = (
            f"link run {other[0].id} (started {other[0].started_at:%Y-%m-%d %H:%M:%S} UTC "
            f"by {other[0].actor}, process {other[0].pid} on {other[0].host})"
            if other
            else "another link run"
        )
        raise Conflict(
            f"{where} is still running; one link run at a time. Wait for it to finish "
            "(`safeguard status` shows it), then run this again."
        ) from None


def _fail_run(engine: Engine, run_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(link_runs)
            .where(link_runs.c.id == run_id)
            .values(status="failed", finished_at=datetime.now(UTC))
        )


def _cluster_arrays(prediction: Prediction, clusters: Clustering) -> tuple[Any, Any, Any, Any]:
    """Sorted mention ids, their clusters, and the cluster of each end of every scored pair
    (-1 for a mention not clustered), as numpy arrays: a million mentions' three million
    pairs are then a few vector operations, not a Python loop."""
    cluster_of = clusters.cluster_of
    ids = np.fromiter(cluster_of.keys(), dtype=np.int64, count=len(cluster_of))
    cl = np.fromiter(cluster_of.values(), dtype=np.int64, count=len(cluster_of))
    order = np.argsort(ids)
    ids, cl = ids[order], cl[order]

    def of(values: Any) -> Any:
        if not len(ids):
            return np.full(len(values), -1, np.int64)
        pos = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
        return np.where(ids[pos] == values, cl[pos], -1)

    return ids, cl, of(prediction.left), of(prediction.right)


def _probabilities(prediction: Prediction, clusters: Clustering) -> dict[int, float | None]:
    """Each mention's strongest link inside its own cluster (None for a mention on its own)."""
    ids, _, cl_l, cl_r = _cluster_arrays(prediction, clusters)
    inside = (cl_l == cl_r) & (cl_l >= 0)
    best = np.full(len(ids), -1.0)
    for ends in (prediction.left[inside], prediction.right[inside]):
        np.maximum.at(best, np.searchsorted(ids, ends), prediction.probability[inside])
    return {
        int(m): (None if p < 0 else float(p))
        for m, p in zip(ids.tolist(), best.tolist(), strict=True)
    }


def _review_candidates(
    prediction: Prediction, clusters: Clustering, config: LinkConfig
) -> list[RefusedMerge]:
    """Uncertain pairs left in different clusters, and merges the clustering refused."""
    cluster_of = clusters.cluster_of
    out: dict[tuple[int, int], RefusedMerge] = {}
    _, _, cl_l, cl_r = _cluster_arrays(prediction, clusters)
    p = prediction.probability
    uncertain = (p >= config.review_from) & (p < config.match_threshold) & (cl_l != cl_r)
    for a, b, q in zip(
        prediction.left[uncertain].tolist(),
        prediction.right[uncertain].tolist(),
        p[uncertain].tolist(),
        strict=True,
    ):
        key = Constraints.pair(a, b)
        out[key] = RefusedMerge(key[0], key[1], q, "uncertain_match")
    for r in clusters.refused:
        if r.reason == "unlinkable_mention":
            continue
        if cluster_of.get(r.left) != cluster_of.get(r.right):
            key = Constraints.pair(r.left, r.right)
            out[key] = RefusedMerge(key[0], key[1], r.probability, r.reason)
    return list(out.values())


REVIEW_VALUES = ("match_probability", "priority", "reason", "status", "run_id", "created_at")


def _write_reviews(
    conn: Connection,
    candidates: list[RefusedMerge],
    person_of: Mapping[int, int],
    *,
    run_id: int,
    at: datetime,
    limit: int,
    replace: bool,
) -> int:
    """Queue this run's uncertain pairs by priority; a batch run replaces the open queue."""
    members: dict[int, list[int]] = defaultdict(list)
    for m, p in person_of.items():
        members[p].append(m)
    touched = {person_of[m] for c in candidates for m in (c.left, c.right) if m in person_of}
    roles = store.roles_by_mention(conn, (m for p in touched for m in members[p]))
    person_roles: dict[int, set[str]] = {}

    def history_roles(mention: int) -> set[str]:
        person = person_of.get(mention)
        if person is None:
            return roles.get(mention, set())
        found = person_roles.get(person)
        if found is None:
            found = set().union(*(roles.get(m, set()) for m in members[person]))
            person_roles[person] = found
        return found

    ranked = []
    for c in candidates:
        prio = review_priority(
            c.probability,
            history_roles(c.left),
            history_roles(c.right),
            history_left=len(members.get(person_of.get(c.left, -1), [])) or 1,
            history_right=len(members.get(person_of.get(c.right, -1), [])) or 1,
        )
        reason = c.reason if prio.reason == "uncertain_match" else prio.reason
        ranked.append((prio.score, c, reason))
    ranked.sort(key=lambda t: (-t[0], t[1].left, t[1].right))
    ranked = ranked[:limit]
    if replace:
        conn.execute(
            sa.update(link_reviews)
            .where(link_reviews.c.status == "open")
            .values(status="superseded")
        )
    decided = {
        (int(r.mention_id_l), int(r.mention_id_r)): str(r.status)
        for r in conn.execute(
            sa.select(
                link_reviews.c.mention_id_l, link_reviews.c.mention_id_r, link_reviews.c.status
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for score, c, reason in ranked:
        key = (c.left, c.right)
        values = {
            "match_probability": c.probability,
            "priority": score,
            "reason": reason,
            "status": "open",
            "run_id": run_id,
            "created_at": at,
        }
        if key not in decided:
            inserts.append({"mention_id_l": c.left, "mention_id_r": c.right, **values})
        elif decided[key] in ("superseded", "open"):
            updates.append({"l": c.left, "r": c.right, **{f"v_{k}": v for k, v in values.items()}})
        # else an analyst already decided this pair; the constraint is in force
    store.bulk_insert(conn, link_reviews, inserts)
    if updates:
        conn.execute(
            sa.update(link_reviews)
            .where(link_reviews.c.mention_id_l == sa.bindparam("l"))
            .where(link_reviews.c.mention_id_r == sa.bindparam("r"))
            .values({k: sa.bindparam(f"v_{k}") for k in REVIEW_VALUES}),
            updates,
        )
    return len(inserts) + len(updates)


def link_all(
    engine: Engine,
    *,
    actor: str,
    config: LinkConfig,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> LinkRunSummary:
    """Link every stored mention: train (or load) the model, predict, cluster, store people.

    Person ids are stable: a cluster keeps the id of the previous person it shares most mentions
    with, so a re-run on unchanged records changes nothing. Analysts' decisions are obeyed.

    Args:
        engine: the migrated database.
        actor: who runs it (a user id or a job name), for the run record and audit.
        config: thresholds, backend and where the feature store lives.
        now: the clock (tests pass their own).
        progress: called with a short message at each stage.
    """
    at = _now(now)
    say = progress or (lambda _msg: None)
    timer = _Timer()
    run_id = _start_run(engine, "batch", actor, config.backend, at)
    try:
        say("reading mentions")
        raw = load_mentions(engine)
        with engine.connect() as conn:
            saved = None if config.retrain else store.latest_model(conn)
            constraints = store.active_constraints(conn)
            previous = store.current_links(conn)
        timer.lap("read mentions and links")
        with _session(config) as session:
            n = session.load(raw, today=at.date())
            if isinstance(session, DeltaLinkingBackend):
                session.load_events(load_mention_events(engine))
            timer.lap("features and events")
            trained = saved is None
            if saved is None:
                say("training the model (EM, no labels)")
                model = session.train()
                model_json = json.dumps(model, sort_keys=True)
                version = _version(model_json, at)
            else:
                version, model_json = saved
                session.use_model(json.loads(model_json))
            timer.lap("train" if trained else "load model")
            say("scoring candidate pairs")
            prediction = session.predict(threshold=min(config.review_from, config.match_threshold))
            unlinkable = session.unlinkable()
            mention_ids = session.mention_ids()
            timer.lap("predict")
            say("clustering")
            clusters = cluster_prediction(
                mention_ids,
                prediction,
                threshold=config.match_threshold,
                constraints=Constraints(constraints.must_link, constraints.cannot_link),
                isolated=unlinkable,
                guard_pairs=_guard_pairs(session, config),
                hold_ambiguous=config.hold_ambiguous,
            )
            timer.lap("guards and clustering")
            session.save_store(config.store_path)
            timer.lap("feature store")
        say("storing people")
        summary = _store_result(
            engine,
            run_id=run_id,
            kind="batch",
            actor=actor,
            at=at,
            config=config,
            version=version,
            model_json=model_json if trained else None,
            trained_on=n,
            prediction=prediction,
            clusters=clusters,
            previous=previous,
            unlinkable={m: str(r) for m, r in unlinkable.items()},
            only_new=None,
        )
    except Exception:
        _fail_run(engine, run_id)
        raise
    timer.lap("store people, links, reviews")
    logger.info(
        "link run %s: %s mentions, %s people, %s links changed in %.1fs (%s)",
        run_id,
        summary[0],
        summary[1],
        summary[2],
        timer.seconds(),
        ", ".join(f"{k} {v:.1f}s" for k, v in timer.stages.items()),
    )
    return LinkRunSummary(
        run_id,
        "batch",
        version,
        summary[0],
        summary[1],
        summary[2],
        len(unlinkable),
        summary[3],
        len(prediction),
        timer.seconds(),
        trained,
        dict(timer.stages),
    )


def _store_result(
    engine: Engine,
    *,
    run_id: int,
    kind: str,
    actor: str,
    at: datetime,
    config: LinkConfig,
    version: str,
    model_json: str | None,
    trained_on: int,
    prediction: Prediction,
    clusters: Clustering,
    previous: Mapping[int, int],
    unlinkable: Mapping[int, str],
    only_new: set[int] | None,
) -> tuple[int, int, int, int]:
    """Write people, links, unlinkables, the review queue and the run, in one transaction."""
    probabilities = _probabilities(prediction, clusters)
    with engine.begin() as conn:
        if model_json is not None:
            store.save_model(
                conn,
                version=version,
                model_json=model_json,
                backend=config.backend,
                trained_on=trained_on,
                at=at,
            )
        # Clusters that contain a known mention keep that person (delta), or the person they
        # overlap most (batch); the rest become new people.
        placeholders = itertools.count(-1, -1)  # new people get real ids below
        mapping = assign_person_ids(clusters.cluster_of, previous, lambda: next(placeholders))
        fresh = store.new_people(conn, sum(1 for p in mapping.values() if p < 0), at)
        person_of = {
            m: (fresh[-mapping[c] - 1] if mapping[c] < 0 else mapping[c])
            for m, c in clusters.cluster_of.items()
        }
        if only_new is not None:
            person_of = {m: p for m, p in person_of.items() if m in only_new or m in previous}
        changed = store.write_links(
            conn, person_of, probabilities, previous=previous, model_version=version, at=at
        )
        store.replace_unlinkable(conn, unlinkable, run_id=run_id, at=at, only=only_new)
        reviews = _write_reviews(
            conn,
            _review_candidates(prediction, clusters, config),
            {**previous, **person_of},
            run_id=run_id,
            at=at,
            limit=config.review_limit,
            replace=only_new is None,
        )
        n_people = len(set(person_of.values()))
        conn.execute(
            sa.update(link_runs)
            .where(link_runs.c.id == run_id)
            .values(
                status="done",
                finished_at=datetime.now(UTC),
                model_version=version,
                mentions=len(person_of),
                people=n_people,
                pairs_scored=len(prediction),
                unlinkable=len(unlinkable),
                review_items=reviews,
            )
        )
        UnitOfWork(conn, SystemJob(actor[:64])).audit(
            f"link.{kind}",
            AuditCategory.COMBINATION,
            "link_run",
            record_ids=[run_id],
            detail={
                "model_version": version,
                "mentions": len(person_of),
                "people": n_people,
                "links_changed": changed,
                "review_items": reviews,
            },
            at=at,
        )
    return len(person_of), n_people, changed, reviews


def link_new(
    engine: Engine,
    *,
    actor: str,
    config: LinkConfig,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> LinkRunSummary:
    """The nightly delta: link only mentions with no person yet, against everyone known.

    New mentions are scored against the feature store of known mentions (Splink's
    ``predict_between``) and against each other (``predict_within``). A new mention joins the
    known person it links to; a delta never merges two known people (such a link goes to the
    review queue instead). Falls back to ``link_all`` when nothing has been linked yet.
    """
    at = _now(now)
    say = progress or (lambda _msg: None)
    timer = _Timer()
    with engine.connect() as conn:
        saved = store.latest_model(conn)
        previous = store.current_links(conn)
        constraints = store.active_constraints(conn)
    if saved is None or not previous or not config.store_path.exists():
        return link_all(engine, actor=actor, config=config, now=at, progress=progress)
    run_id = _start_run(engine, "delta", actor, "duckdb", at)
    try:
        say("reading new mentions")
        raw_new = load_mentions(engine, only_unlinked=True)
        version, model_json = saved
        with _delta_session(config) as session:
            session.attach_known(config.store_path)
            n_new = session.load_new(raw_new, today=at.date())
            session.load_events(load_mention_events(engine))
            session.use_model(json.loads(model_json))
            say("scoring new mentions")
            prediction = session.predict_delta(
                threshold=min(config.review_from, config.match_threshold)
            )
            unlinkable = session.unlinkable(new=True)
            new_ids = session.mention_ids(new=True)
            # Known people touched by a new mention join the clustering whole; a delta never
            # merges two of them (such a link goes to the review queue).
            touched = {previous[m] for e in prediction.edges() for m in e[:2] if m in previous}
            nodes = set(new_ids) | {m for m, p in previous.items() if p in touched}
            clusters = cluster_prediction(
                nodes,
                prediction,
                threshold=config.match_threshold,
                constraints=Constraints(constraints.must_link, constraints.cannot_link),
                isolated=unlinkable,
                known_person={m: previous[m] for m in nodes if m in previous},
                guard_pairs=session.guard_pairs(config.guards_off),
                hold_ambiguous=config.hold_ambiguous,
            )
            session.save_store(config.store_path, include_new=True)
        summary = _store_result(
            engine,
            run_id=run_id,
            kind="delta",
            actor=actor,
            at=at,
            config=config,
            version=version,
            model_json=None,
            trained_on=n_new,
            prediction=prediction,
            clusters=clusters,
            previous=previous,
            unlinkable={m: str(r) for m, r in unlinkable.items()},
            only_new=set(new_ids),
        )
    except Exception:
        _fail_run(engine, run_id)
        raise
    return LinkRunSummary(
        run_id,
        "delta",
        version,
        n_new,
        summary[1],
        summary[2],
        len(unlinkable),
        summary[3],
        len(prediction),
        timer.seconds(),
        False,
    )


# --- link one record now ---------------------------------------------------------------------

_REALTIME: dict[Path, RealtimeLinker] = {}


def link_one(
    engine: Engine,
    mention: Mapping[str, object],
    *,
    config: LinkConfig,
    today: date,
    limit: int = 10,
) -> list[Candidate]:
    """Candidate people for a record being entered now, best first, with match probabilities.

    Args:
        mention: the record, with person_mention storage fields (forenames, surname,
            date_of_birth as a date, age, sex, address, postcode, phone, pnc_id, mention_date).
        today: the date the record is entered (for age-only and impossible-date checks).
        limit: at most this many people.

    Raises:
        NotFound: linking has not run yet (no feature store).
        ValidationFailed: the record cannot be linked (the message gives the reason).
    """
    from safeguard.adapters.linkage.realtime import RealtimeLinker

    features = mention_features(
        {"id": -1, **mention}, today=today, earliest_birth=config.earliest_birth
    )
    if features.unlinkable is not None:
        raise ValidationFailed(f"mention cannot be linked: {features.unlinkable}")
    path = config.store_path
    linker = _REALTIME.get(path)
    if linker is None or _stale(linker, path):
        if not path.exists():
            raise NotFound("no linked mentions yet: run `safeguard link` first")
        if linker is not None:
            linker.close()
        linker = RealtimeLinker(path)
        _REALTIME[path] = linker
    scores = linker.score(features)
    if not scores:
        return []
    with engine.connect() as conn:
        persons: dict[int, int] = dict(
            conn.execute(  # type: ignore[arg-type]
                sa.select(person_links.c.mention_id, person_links.c.person_id).where(
                    person_links.c.mention_id.in_([m for m, _ in scores])
                )
            ).all()
        )
    best: dict[int, float] = {}
    mentions: dict[int, list[int]] = defaultdict(list)
    for m, p in scores:
        person = int(persons.get(m, -m))  # no link row yet: the mention is its own person
        best[person] = max(best.get(person, 0.0), p)
        mentions[person].append(m)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [Candidate(p, prob, tuple(sorted(mentions[p]))) for p, prob in ranked]


def candidates_for(
    uow: UnitOfWork,
    mention: Mapping[str, object],
    *,
    justification: Justification,
    config: LinkConfig,
    today: date,
    limit: int = 10,
) -> list[Candidate]:
    """``link_one`` as a search of people's records by the unit's account: it must be allowed
    to search people; a person it may not see at all is left out, and the people shown are
    audited as consulted (``link.candidates``) with the reason given.

    Raises:
        Refused: the account may not search people.
        NotFound: linking has not run yet (no feature store).
        ValidationFailed: the record cannot be linked (the message gives the reason).
    """
    actor = uow.ensure(Action.SEARCH_PEOPLE)
    found = link_one(uow.conn.engine, mention, config=config, today=today, limit=limit)
    seen = access.person_access(uow.conn, actor, [c.person_id for c in found if c.person_id > 0])
    shared_only = scope_of(actor.role, Action.SEARCH_PEOPLE) is Scope.SHARED
    shown = []
    for c in found:
        resource = seen.get(c.person_id)
        if resource is None:  # a record linked to nobody yet: a partner sees only people shared
            if shared_only:
                continue
        else:
            view = sight(actor, resource)
            if view.nothing and not view.reason_needed:
                continue
        shown.append(c)
    uow.audit(
        "link.candidates",
        AuditCategory.CONSULTATION,
        "person",
        record_ids=[c.person_id for c in shown],
        person_ids=[c.person_id for c in shown if c.person_id > 0],
        justification=justification.text,
        detail={**justification.detail(), "results": len(shown)},
    )
    return shown


def _stale(linker: RealtimeLinker, path: Path) -> bool:
    """The store was replaced (a link run wrote a new one) since ``linker`` loaded it."""
    return not path.exists() or linker.loaded_mtime != path.stat().st_mtime


# --- the review queue and analysts' decisions --------------------------------------------------


def review_queue(engine: Engine, *, limit: int = 50) -> list[ReviewItem]:
    """Open review items, most important first."""
    l_links = person_links.alias("pl_l")
    r_links = person_links.alias("pl_r")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                link_reviews, l_links.c.person_id.label("pl"), r_links.c.person_id.label("pr")
            )
            .outerjoin(l_links, l_links.c.mention_id == link_reviews.c.mention_id_l)
            .outerjoin(r_links, r_links.c.mention_id == link_reviews.c.mention_id_r)
            .where(link_reviews.c.status == "open")
            .order_by(link_reviews.c.priority.desc(), link_reviews.c.id)
            .limit(limit)
        ).all()
    return [
        ReviewItem(
            r.id,
            r.mention_id_l,
            r.mention_id_r,
            r.pl,
            r.pr,
            r.match_probability,
            r.priority,
            r.reason,
            r.status,
        )
        for r in rows
    ]


def _pair(
    conn: Connection, review_id: int | None, mentions: tuple[int, int] | None
) -> tuple[int, int, int | None]:
    if review_id is not None:
        row = conn.execute(sa.select(link_reviews).where(link_reviews.c.id == review_id)).first()
        if row is None:
            raise NotFound(f"review item {review_id}")
        if row.status != "open":
            raise InvalidTransition(f"review item {review_id} is already {row.status}")
        return int(row.mention_id_l), int(row.mention_id_r), review_id
    if mentions is None:
        raise ValidationFailed("give a review item or two mention ids")
    a, b = Constraints.pair(*mentions)
    if a == b:
        raise ValidationFailed("a mention is always linked to itself")
    found = conn.execute(
        sa.select(sa.func.count())
        .select_from(person_mentions)
        .where(person_mentions.c.id.in_([a, b]))
    ).scalar_one()
    if found != 2:
        raise NotFound(f"mentions {a} and {b}")
    return a, b, None


def _record_decision(
    conn: Connection,
    *,
    kind: str,
    a: int,
    b: int,
    actor: str,
    reason: str,
    review_id: int | None,
    before: Mapping[int, int],
    at: datetime,
) -> int:
    if not reason.strip():
        raise ValidationFailed("a decision needs a reason")
    active = conn.execute(
        sa.select(link_decisions.c.kind)
        .where(link_decisions.c.mention_id_l == a)
        .where(link_decisions.c.mention_id_r == b)
        .where(link_decisions.c.revoked_at.is_(None))
    ).scalar()
    if active is not None:
        raise Conflict(f"mentions {a} and {b} already have a {active} decision; undo it first")
    decision_id = int(
        conn.execute(
            sa.insert(link_decisions)
            .values(
                kind=kind,
                mention_id_l=a,
                mention_id_r=b,
                actor=actor,
                reason=reason,
                created_at=at,
                review_id=review_id,
                before=json.dumps({str(m): p for m, p in before.items()}, sort_keys=True),
            )
            .returning(link_decisions.c.id)
        ).scalar_one()
    )
    if review_id is not None:
        conn.execute(
            sa.update(link_reviews)
            .where(link_reviews.c.id == review_id)
            .values(status="confirmed" if kind == store.MUST else "split", decision_id=decision_id)
        )
    return decision_id


def _ensure_person(conn: Connection, mention: int, at: datetime) -> int:
    """The mention's person; a mention linking has not seen yet becomes its own person."""
    person = store.person_of(conn, mention)
    if person is None:
        person = store.new_people(conn, 1, at)[0]
        store.write_links(conn, {mention: person}, {}, previous={}, model_version=None, at=at)
    return person


def _may_decide(uow: UnitOfWork, mentions: Iterable[int]) -> None:
    """May the unit's account decide about these records? Their people must be open to it: a
    restricted person needs break glass first (BreakGlassRequired)."""
    actor = uow.user
    people = {p for m in mentions if (p := store.person_of(uow.conn, m)) is not None}
    for resource in access.person_access(uow.conn, actor, people).values():
        ensure(actor, Action.REVIEW_LINKS, resource)


def confirm_link(
    engine: Engine,
    *,
    actor: Actor,
    reason: str,
    review_id: int | None = None,
    mentions: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> int:
    """An analyst confirms two mentions are one person: their people merge now, and every later
    run keeps them together (a must-link). Audited in the same transaction. Returns the decision.

    Raises:
        Refused: the account may not review links, or may not see one of the two people.
    """
    at = _now(now)
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.REVIEW_LINKS)
        a, b, review_id = _pair(conn, review_id, mentions)
        _may_decide(uow, (a, b))
        pa_, pb = _ensure_person(conn, a, at), _ensure_person(conn, b, at)
        ma, mb = store.mentions_of(conn, pa_), store.mentions_of(conn, pb)
        before = dict.fromkeys(ma, pa_) | dict.fromkeys(mb, pb)
        keep, gone = (pa_, mb) if (len(ma), -pa_) >= (len(mb), -pb) else (pb, ma)
        decision = _record_decision(
            conn,
            kind=store.MUST,
            a=a,
            b=b,
            actor=actor.audit_name,
            reason=reason,
            review_id=review_id,
            before=before,
            at=at,
        )
        if pa_ != pb:
            store.move_mentions(conn, dict.fromkeys(gone, keep), at)
        uow.audit(
            "link.confirm",
            AuditCategory.COMBINATION,
            "person_mention",
            record_ids=[a, b],
            person_ids=sorted({pa_, pb}),
            detail={"decision_id": decision, "review_id": review_id, "kept_person": keep},
            at=at,
        )
    return decision


def split_link(
    engine: Engine,
    *,
    actor: Actor,
    reason: str,
    review_id: int | None = None,
    mentions: tuple[int, int] | None = None,
    now: datetime | None = None,
) -> int:
    """An analyst decides two mentions are different people: if they share a person, the second
    mention (with the mentions confirmed to be the same as it) moves to a new person now, and
    every later run keeps them apart (a cannot-link). Audited in the same transaction.

    Raises:
        Refused: the account may not review links, or may not see one of the two people.
    """
    at = _now(now)
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.REVIEW_LINKS)
        a, b, review_id = _pair(conn, review_id, mentions)
        _may_decide(uow, (a, b))
        pa_, pb = _ensure_person(conn, a, at), _ensure_person(conn, b, at)
        before = dict.fromkeys(store.mentions_of(conn, pa_), pa_)
        before |= dict.fromkeys(store.mentions_of(conn, pb), pb)
        moved: list[int] = []
        if pa_ == pb:
            must = store.active_constraints(conn).must_link
            moved = _must_linked_group(b, set(before), must)
            if a in moved:
                raise Conflict(f"mentions {a} and {b} are confirmed as one person; undo that first")
        decision = _record_decision(
            conn,
            kind=store.CANNOT,
            a=a,
            b=b,
            actor=actor.audit_name,
            reason=reason,
            review_id=review_id,
            before=before,
            at=at,
        )
        new_person = None
        if moved:
            new_person = store.new_people(conn, 1, at)[0]
            store.move_mentions(conn, dict.fromkeys(moved, new_person), at)
        uow.audit(
            "link.split",
            AuditCategory.ALTERATION,
            "person_mention",
            record_ids=[a, b],
            person_ids=sorted({pa_, pb} | ({new_person} if new_person else set())),
            detail={"decision_id": decision, "review_id": review_id, "moved": moved},
            at=at,
        )
    return decision


def _must_linked_group(start: int, within: set[int], must: frozenset[tuple[int, int]]) -> list[int]:
    neighbours: dict[int, set[int]] = defaultdict(set)
    for x, y in must:
        if x in within and y in within:
            neighbours[x].add(y)
            neighbours[y].add(x)
    seen, todo = {start}, [start]
    while todo:
        for n in neighbours[todo.pop()]:
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return sorted(seen)


def undo_decision(
    engine: Engine,
    *,
    actor: Actor,
    decision_id: int,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Revoke a confirm or split: the mentions go back to the people they had before it, and later
    runs no longer apply the constraint. The decision row stays, marked revoked; audited.

    Raises:
        Refused: the account may not review links, or may not see one of the people.
    """
    at = _now(now)
    if not reason.strip():
        raise ValidationFailed("undoing a decision needs a reason")
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.REVIEW_LINKS)
        row = conn.execute(
            sa.select(link_decisions).where(link_decisions.c.id == decision_id)
        ).first()
        if row is None:
            raise NotFound(f"link decision {decision_id}")
        if row.revoked_at is not None:
            raise InvalidTransition(f"link decision {decision_id} was already undone")
        before = {int(m): int(p) for m, p in json.loads(row.before).items()}
        _may_decide(uow, before)
        current = {m: store.person_of(conn, m) for m in before}
        store.move_mentions(conn, {m: p for m, p in before.items() if current[m] != p}, at)
        conn.execute(
            sa.update(link_decisions)
            .where(link_decisions.c.id == decision_id)
            .values(revoked_at=at, revoked_by=actor.audit_name)
        )
        if row.review_id is not None:
            conn.execute(
                sa.update(link_reviews)
                .where(link_reviews.c.id == row.review_id)
                .values(status="open", decision_id=None)
            )
        people = sorted(set(before.values()) | {p for p in current.values() if p is not None})
        uow.audit(
            "link.undo",
            AuditCategory.ALTERATION,
            "link_decision",
            record_ids=[decision_id],
            person_ids=people,
            detail={"kind": row.kind, "reason_code": "analyst_undo"},
            at=at,
        )


def unlinkable_mentions(engine: Engine, *, limit: int = 100) -> list[tuple[int, str]]:
    """Mentions kept on their own because they cannot be linked, with the reason."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(store.link_unlinkable.c.mention_id, store.link_unlinkable.c.reason)
            .order_by(store.link_unlinkable.c.mention_id)
            .limit(limit)
        ).all()
    return [(int(m), str(r)) for m, r in rows]


def reason_counts(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(store.link_unlinkable.c.reason, sa.func.count()).group_by(
                store.link_unlinkable.c.reason
            )
        ).all()
    return Counter({str(r): int(n) for r, n in rows})
