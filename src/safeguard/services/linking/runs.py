"""Linking runs: link every stored mention (``link_all``), or only the new ones overnight
(``link_new``); each run is recorded, one at a time, and its results stored with the people's
links. Until linking has run, a mention without a ``person_links`` row is its own person; after
``link_all`` every mention has exactly one row. Analysts' decisions are obeyed by every run.

Over 400 lines because the batch run and the delta share their run record (one at a time),
their timed stages and the storing of their results in one transaction; what a run leaves for
review is in ``run_results``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

from sqlalchemy.engine import Engine

from safeguard.adapters.db import link_run_records as run_records
from safeguard.adapters.db import linkage as store
from safeguard.adapters.db import runs
from safeguard.adapters.linkage import relink
from safeguard.adapters.linkage.backend import (
    DeltaLinkingBackend,
    GuardPairs,
    LinkingBackend,
    Prediction,
    RelinkingBackend,
)
from safeguard.adapters.linkage.clustering import cluster_prediction
from safeguard.adapters.linkage.engine import LinkingSession
from safeguard.adapters.linkage.features import load_mention_events, load_mentions
from safeguard.domain.access import Action, Principal, recorded_as
from safeguard.domain.audit import AuditCategory
from safeguard.domain.linking import Clustering, Constraints, assign_person_ids
from safeguard.errors import Conflict
from safeguard.services.linking.config import LinkConfig
from safeguard.services.linking.run_results import review_candidates, strongest_links, write_reviews
from safeguard.services.unit_of_work import UnitOfWork, authorize

logger = logging.getLogger(__name__)


Progress = Callable[[str], None]


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
    # A re-link that redid only what changed: mentions new or changed since the last run, and
    # mentions clustered again (None: a full run, every pair scored and every mention clustered)
    changed_mentions: int | None = None
    reclustered: int | None = None


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


def _current_links(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return store.current_links(conn)


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


class _ClusterOptions(TypedDict):
    """What a batch run's clustering is given, whether it clusters every component or only the
    changed ones (``cluster_prediction`` and ``relink.recluster`` take the same options)."""

    threshold: float
    constraints: Constraints
    isolated: Iterable[int]
    guard_pairs: GuardPairs
    hold_ambiguous: bool


def _cluster_options(
    session: LinkingBackend, config: LinkConfig, decided: Constraints, isolated: Iterable[int]
) -> _ClusterOptions:
    """The run's clustering options. The guards inside components are the session's: every
    backend applies the same guards (Spark hands them to the same DuckDB code on the driver)."""
    return _ClusterOptions(
        threshold=config.match_threshold,
        constraints=decided,
        isolated=isolated,
        guard_pairs=session.guard_pairs(config.guards_off),
        hold_ambiguous=config.hold_ambiguous,
    )


def _start_run(engine: Engine, kind: str, actor: Principal, backend: str, at: datetime) -> int:
    """Record a new link run; refused while another is running (one link run at a time: the
    unique index on running runs makes the refusal hold between processes too)."""
    runs.reconcile(engine)
    try:
        with engine.begin() as conn:
            return run_records.start(
                conn,
                kind=kind,
                actor=recorded_as(actor),
                backend=backend,
                at=at,
                process=runs.this_process(),
            )
    except run_records.AnotherRunRunning:
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
        run_records.fail(conn, run_id, at=datetime.now(UTC))


def link_all(
    engine: Engine,
    *,
    actor: Principal,
    config: LinkConfig,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> LinkRunSummary:
    """Link every stored mention: train (or load) the model, predict, cluster, store people.

    Person ids are stable: a cluster keeps the id of the previous person it shares most mentions
    with, so a re-run on unchanged records changes nothing. Analysts' decisions are obeyed.

    Args:
        engine: the migrated database.
        actor: who runs it: an account granted ``RUN_BATCH_JOBS`` or a declared batch job
            (``unit_of_work.authorize``, checked before anything is written); recorded on the
            run and its audit row.
        config: thresholds, backend and where the feature store lives.
        now: the clock (tests pass their own).
        progress: called with a short message at each stage.
    """
    authorize(actor, Action.RUN_BATCH_JOBS)
    at = _now(now)
    say = progress or (lambda _msg: None)
    timer = _Timer()
    run_id = _start_run(engine, "batch", actor, config.backend, at)
    # Work that waits on the database or on DuckDB runs in one background thread beside work
    # that holds Python (reading, clustering, storing): the machine's second core is used.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="link-run")
    try:
        say("reading mentions")
        raw = load_mentions(engine)
        with engine.connect() as conn:
            saved = None if config.retrain else store.latest_model(conn)
            constraints = store.active_constraints(conn)
        # read while DuckDB builds the features; needed only when the people are stored
        previous_links = pool.submit(_current_links, engine)
        timer.lap("read mentions and links")
        with _session(config) as session:
            events = pool.submit(load_mention_events, engine)
            n = session.load(raw, today=at.date())
            session.load_events(events.result())
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
            threshold = min(config.review_from, config.match_threshold)
            decided = Constraints(constraints.must_link, constraints.cannot_link)
            state = config.store_dir / relink.STATE_FILE
            key = previous_run = None
            if isinstance(session, RelinkingBackend):
                key = relink.run_key(
                    model_version=version,
                    predict_threshold=threshold,
                    match_threshold=config.match_threshold,
                    guards=session.enabled_guards(config.guards_off),
                    hold_ambiguous=config.hold_ambiguous,
                )
                previous_run = None if trained else session.previous_run(state, key)
            if previous_run is None:
                say("scoring candidate pairs")
                prediction = session.predict(threshold=threshold)
            else:
                assert isinstance(session, RelinkingBackend)
                say(f"scoring the pairs of {len(previous_run.changed):,} changed mentions")
                fresh = session.predict_changed(previous_run.changed, threshold=threshold)
                prediction = Prediction.concat([previous_run.prediction, fresh])
            unlinkable = session.unlinkable()
            mention_ids = session.mention_ids()
            timer.lap("predict" if previous_run is None else "predict changed pairs")
            say("clustering")
            component = redone = None
            options = _cluster_options(session, config, decided, unlinkable)
            if previous_run is None:
                clusters = cluster_prediction(mention_ids, prediction, **options)
            else:
                clusters, component, redone = relink.recluster(
                    mention_ids, prediction, previous_run, **options
                )
            timer.lap(
                "guards and clustering" if previous_run is None else "cluster changed components"
            )

            def keep_run() -> float:
                """The feature store and the kept run (DuckDB); returns its seconds."""
                started = time.perf_counter()
                session.save_store(config.store_path)
                # a run with nothing changed keeps the kept run as it is (it would be
                # rewritten byte for byte the same)
                if key is not None and (
                    previous_run is None or not relink.unchanged(previous_run, decided)
                ):
                    assert isinstance(session, RelinkingBackend)
                    nodes, cluster, comp = relink.run_state(
                        mention_ids,
                        prediction,
                        clusters,
                        threshold=config.match_threshold,
                        must_link=decided.must_link,
                        component=component,
                    )
                    session.save_run(
                        state, key, prediction, nodes, cluster, comp, clusters.refused, decided
                    )
                return time.perf_counter() - started

            # written beside the people; the people's transaction commits only once both
            # are written (a run that fails to keep them stores nothing, as before)
            kept = pool.submit(keep_run)
            say("storing people")
            try:
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
                    previous=previous_links.result(),
                    unlinkable={m: str(r) for m, r in unlinkable.items()},
                    only_new=None,
                    before_commit=kept.result,
                )
            finally:
                wait([kept])  # the session's connection is the thread's until it is done
            keep_s = kept.result()
    except Exception:
        _fail_run(engine, run_id)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    timer.lap("store people, links, reviews")
    timer.stages["feature store and kept run (beside storing)"] = round(keep_s, 3)
    logger.info(
        "link run %s: %s mentions, %s people, %s links changed in %.1fs (%s)%s",
        run_id,
        summary[0],
        summary[1],
        summary[2],
        timer.seconds(),
        ", ".join(f"{k} {v:.1f}s" for k, v in timer.stages.items()),
        ""
        if previous_run is None or redone is None
        else f"; re-link: {len(previous_run.changed)} mentions changed, "
        f"{len(redone)} clustered again",
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
        None if previous_run is None else len(previous_run.changed),
        None if redone is None else len(redone),
    )


def _store_result(
    engine: Engine,
    *,
    run_id: int,
    kind: str,
    actor: Principal,
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
    before_commit: Callable[[], object] | None = None,
) -> tuple[int, int, int, int]:
    """Write people, links, unlinkables, the review queue and the run, in one transaction
    (``before_commit`` is called last inside it: if it raises, nothing is written)."""
    probabilities = strongest_links(prediction, clusters)
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
        reviews = write_reviews(
            conn,
            review_candidates(prediction, clusters, config),
            {**previous, **person_of},
            run_id=run_id,
            at=at,
            limit=config.review_limit,
            replace=only_new is None,
        )
        n_people = len(set(person_of.values()))
        run_records.finish(
            conn,
            run_id,
            at=datetime.now(UTC),
            model_version=version,
            mentions=len(person_of),
            people=n_people,
            pairs_scored=len(prediction),
            unlinkable=len(unlinkable),
            review_items=reviews,
        )
        UnitOfWork(conn, actor).audit(
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
        if before_commit is not None:
            before_commit()
    return len(person_of), n_people, changed, reviews


def link_new(
    engine: Engine,
    *,
    actor: Principal,
    config: LinkConfig,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> LinkRunSummary:
    """The nightly delta: link only mentions with no person yet, against everyone known.

    New mentions are scored against the feature store of known mentions (Splink's
    ``predict_between``) and against each other (``predict_within``). A new mention joins the
    known person it links to; a delta never merges two known people (such a link goes to the
    review queue instead). Falls back to ``link_all`` when nothing has been linked yet.

    Raises:
        Refused, PermissionDenied: ``actor`` may not run batch jobs (nothing is written).
    """
    authorize(actor, Action.RUN_BATCH_JOBS)
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


def unlinkable_mentions(engine: Engine, *, limit: int = 100) -> list[tuple[int, str]]:
    """Mentions kept on their own because they cannot be linked, with the reason."""
    with engine.connect() as conn:
        return run_records.unlinkable_mentions(conn, limit=limit)


def reason_counts(engine: Engine) -> Counter[str]:
    with engine.connect() as conn:
        return run_records.unlinkable_reasons(conn)
