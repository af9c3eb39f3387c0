"""Assess people: load their linked histories, run the rules, store findings idempotently.

Also the verbs practitioners use on findings (acknowledge, resolve; each audited in the same
transaction) and the worklists (MARAC due, repeat missing, CSE screening due, overdue
procedures, new high risk).

About 520 lines: the batch assessment (workers, runs, batches) and the finding verbs share the
stored-findings adapter and the run record. The finding verbs and worklist reads are the next
part to move out.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Connection, Engine

from safeguard.adapters import processes
from safeguard.adapters.db import finding_sync as sync
from safeguard.adapters.db import findings as store
from safeguard.adapters.db import runs
from safeguard.adapters.db.engine import make_engine
from safeguard.adapters.db.finding_sync import RULES_ENGINE
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.domain.access import Action, Actor, Principal, ensure, recorded_as
from safeguard.domain.assessments import Catalogue, ScoreResult
from safeguard.domain.audit import AuditCategory
from safeguard.domain.history import PersonHistory
from safeguard.domain.worklists import WORKLIST_KINDS, worklist_kind
from safeguard.errors import ValidationFailed
from safeguard.instruments import load_catalogue
from safeguard.instruments import score_assessment as _score_assessment
from safeguard.rules import Evaluation, FindingStatus, RulesConfig, evaluate, load_rules_config
from safeguard.services import access
from safeguard.services.findings import key_to_person_id
from safeguard.services.unit_of_work import UnitOfWork, authorize

logger = logging.getLogger(__name__)

BATCH_PEOPLE = 2000
ProgressFn = Callable[[int, int], None]


class AssessmentSettings(BaseSettings):
    """Where a force's own rule thresholds and instruments live (SAFEGUARD_RULES_CONFIG,
    SAFEGUARD_INSTRUMENTS_DIR)."""

    model_config = SettingsConfigDict(env_prefix="SAFEGUARD_", env_file=".env", extra="ignore")

    rules_config: Path | None = None
    instruments_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class Assessor:
    """The configured rules and instruments, built once per command or request."""

    config: RulesConfig
    catalogue: Catalogue

    @classmethod
    def from_settings(cls, settings: AssessmentSettings | None = None) -> Assessor:
        s = settings or AssessmentSettings()
        extra = [s.instruments_dir] if s.instruments_dir else []
        return cls(load_rules_config(s.rules_config), load_catalogue(extra))


@lru_cache(maxsize=1)
def default_assessor() -> Assessor:
    """The assessor built from the environment, once per process."""
    return Assessor.from_settings()


@dataclass(frozen=True, slots=True)
class AssessSummary:
    run_id: int
    people: int
    new: int
    changed: int
    closed: int


def score_assessment(
    instrument_id: str,
    version: str,
    answers: dict[str, object],
    officer_grade: str | None = None,
    rationale: str | None = None,
    *,
    subject_age: int | None = None,
    assessed_on: datetime | None = None,
    assessor: Assessor | None = None,
) -> ScoreResult:
    """Score a web-form assessment with the configured instruments (see
    :func:`safeguard.instruments.score_assessment`)."""
    return _score_assessment(
        instrument_id,
        version,
        answers,
        officer_grade,
        rationale,
        subject_age=subject_age,
        assessed_on=assessed_on.date() if assessed_on else None,
        catalogue=(assessor or default_assessor()).catalogue,
    )


def _insert_run(
    conn: Connection, actor: Principal, scope: str, now: datetime, *, reconcile: bool = True
) -> int:
    """A new run row naming this process; first, runs whose process is gone are marked
    abandoned (skipped on the per-record path, which must stay fast)."""
    if reconcile:
        runs.mark_abandoned(conn)
    return runs.start(conn, "assess", actor=recorded_as(actor), started_at=now, scope=scope)


def _rescore(conn: Connection, person_keys: set[str]) -> None:
    """The risk model re-scores these people (the targeted path, before their rules run).

    Imported here, not at the top: the model brings in scikit-learn, skops and SciPy (about
    3 s of CPU), and every worker process of a full run imports this module to unpickle its
    ``Assessor`` while never scoring anyone (``tests/unit/test_assessment_workers.py``)."""
    from safeguard.services import risk_model

    risk_model.rescore_people(conn, person_keys)


def _fail_run(engine: Engine, run_id: int) -> None:
    with engine.begin() as conn:
        runs.fail(conn, "assess", run_id)


def _update_run(conn: Connection, run_id: int, people: int, counts: sync.SyncCounts) -> None:
    runs.finish_assessment(
        conn, run_id, people=people, new=counts.new, changed=counts.changed, closed=counts.closed
    )


_worker_state: tuple[Engine, Assessor] | None = None


def _worker_init(url: str, assessor: Assessor, parent_pid: int) -> None:
    """In a worker process: die with the parent (a killed ``assess`` leaves no workers), and
    its own engine (connections are never shared across processes)."""
    global _worker_state
    processes.die_with_parent(parent_pid)
    _worker_state = (make_engine(url), assessor)


def _evaluate(
    histories: Sequence[PersonHistory], assessor: Assessor, as_of: datetime | None
) -> list[Evaluation]:
    """Evaluate every rule; with ``as_of``, on the histories as they could be known then."""
    if as_of is not None:
        histories = [h.as_of(as_of) for h in histories]
    return [evaluate(h, assessor.config, assessor.catalogue) for h in histories]


def _prepare_batch(
    engine: Engine,
    assessor: Assessor,
    mention_ids: Sequence[int],
    now: datetime,
    as_of: datetime | None = None,
) -> sync.Prepared:
    """Load, evaluate and flatten one batch of people (reads only; pure past the reads)."""
    with engine.connect() as conn:
        histories = HistoryRepository(conn).histories(mention_ids, expand=False, parties=False)
    return sync.prepare(_evaluate(histories, assessor, as_of), now)


def _worker_batch(
    mention_ids: Sequence[int], now: datetime, as_of: datetime | None = None
) -> sync.Prepared:
    assert _worker_state is not None, "worker not initialised"
    engine, assessor = _worker_state
    return _prepare_batch(engine, assessor, mention_ids, now, as_of)


def _worker_count(engine: Engine, workers: int | None, batches: int) -> int:
    """Worker processes to use: the CPU count by default; one (in this process) for an
    in-memory database, which other processes cannot open, or for a single batch."""
    wanted = workers if workers is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise ValidationFailed("workers must be at least 1")
    database = engine.url.database
    if engine.dialect.name == "sqlite" and (not database or database == ":memory:"):
        return 1
    return max(1, min(wanted, batches))


def _prepared_batches(
    engine: Engine,
    batches: Sequence[Sequence[int]],
    assessor: Assessor,
    now: datetime,
    workers: int,
    as_of: datetime | None = None,
) -> Iterator[sync.Prepared]:
    """The prepared results of each batch, in batch order; with ``workers`` > 1 computed in
    worker processes, at most two batches per worker ahead of the writer."""
    if workers == 1:
        for batch in batches:
            yield _prepare_batch(engine, assessor, batch, now, as_of)
        return
    url = engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(url, assessor, os.getpid()),
    ) as pool:
        pending: deque[Future[sync.Prepared]] = deque()
        todo = iter(batches)
        for batch in todo:
            pending.append(pool.submit(_worker_batch, batch, now, as_of))
            if len(pending) >= 2 * workers:
                break
        while pending:
            result = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_worker_batch, nxt, now, as_of))
            yield result


def _assess_mentions(
    engine: Engine,
    mention_ids: Sequence[int] | None,
    *,
    assessor: Assessor,
    actor: Principal,
    scope: str,
    progress: ProgressFn | None,
    expanded: bool = False,
    started: datetime | None = None,
    workers: int | None = None,
    as_of: datetime | None = None,
) -> AssessSummary:
    if as_of is not None and as_of.tzinfo is None:
        raise ValidationFailed("as_of must be timezone-aware")
    authorize(actor, Action.RUN_BATCH_JOBS)
    now = as_of or started or datetime.now(UTC)
    review_version = assessor.config.versions["CORRECTION-REVIEW"]
    if mention_ids is not None:
        # A targeted run reads, evaluates and writes in one transaction (one commit): this is
        # the path taken after each new record, so it must stay fast.
        with engine.begin() as conn:
            run_id = _insert_run(conn, actor, scope, now, reconcile=False)
            # The risk model re-scores these people first, so its rule reads today's scores.
            repo = HistoryRepository(conn)
            _rescore(conn, set(repo.keys_of(mention_ids).values()))
            histories = repo.histories(mention_ids, expand=not expanded, parties=False)
            evaluations = _evaluate(histories, assessor, as_of)
            counts = sync.sync_evaluations(
                conn, evaluations, now, actor=actor, review_version=review_version
            )
            _update_run(conn, run_id, len(histories), counts)
        if progress:
            progress(len(histories), len(histories))
        return AssessSummary(run_id, len(histories), counts.new, counts.changed, counts.closed)
    with engine.begin() as conn:
        run_id = _insert_run(conn, actor, scope, now)
    try:
        return _assess_all_batches(
            engine, run_id, assessor, now, progress, workers,
            actor=actor, as_of=as_of, review_version=review_version,
        )  # fmt: skip
    except Exception:
        _fail_run(engine, run_id)
        raise


def _assess_all_batches(
    engine: Engine,
    run_id: int,
    assessor: Assessor,
    now: datetime,
    progress: ProgressFn | None,
    workers: int | None,
    *,
    actor: Principal,
    as_of: datetime | None,
    review_version: str,
) -> AssessSummary:
    with engine.connect() as conn:
        total, batches = HistoryRepository(conn).batches(BATCH_PEOPLE)
    workers = _worker_count(engine, workers, len(batches))
    counts = sync.SyncCounts()
    assessed: set[str] = set()
    for prepared in _prepared_batches(engine, batches, assessor, now, workers, as_of):
        # The writes stay in this process, one transaction per batch, in batch order: the
        # stored result (ids included) is the same with one worker or many.
        with engine.begin() as conn:
            counts += sync.sync_prepared(
                conn, prepared, now, actor=actor, review_version=review_version
            )
        assessed.update(prepared.person_keys)
        if progress:
            progress(len(assessed), total)
    assert len(assessed) == total, "every person is assessed exactly once"
    with engine.begin() as conn:
        closed = sync.close_people_not_in(conn, assessed, now, actor=actor)
        counts += sync.SyncCounts(closed=closed)
        _update_run(conn, run_id, total, counts)
    logger.info(
        "assessment run %s: %s people, %s new, %s changed, %s closed",
        run_id, total, counts.new, counts.changed, counts.closed,
    )  # fmt: skip
    return AssessSummary(run_id, total, counts.new, counts.changed, counts.closed)


def assess_all(
    engine: Engine,
    *,
    assessor: Assessor | None = None,
    actor: Principal = RULES_ENGINE,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    as_of: datetime | None = None,
) -> AssessSummary:
    """Re-assess everyone; findings of people no longer present are closed by rule.

    Args:
        engine: the database.
        assessor: rules config and instruments; from the settings by default.
        actor: who runs it: an account granted ``RUN_BATCH_JOBS`` or a declared system job
            (``unit_of_work.authorize``, checked before anything is written); recorded on the
            run and on each finding change.
        progress: called with (people done, people in total) after each batch.
        workers: processes evaluating the rules (default: the CPU count); the database
            writes stay in this process, so the result is the same with any number.
        as_of: evaluate every rule at this moment (records and timestamps after it are not
            seen: :meth:`PersonHistory.as_of`); findings are stamped with it. For replaying a
            case or running a scenario in advance, on a test database.
    """
    return _assess_mentions(
        engine,
        None,
        assessor=assessor or default_assessor(),
        actor=actor,
        scope="all",
        progress=progress,
        workers=workers,
        as_of=as_of,
    )


def assess_people(
    engine: Engine,
    person_ids: Iterable[int],
    *,
    mention_ids: Iterable[int] = (),
    assessor: Assessor | None = None,
    actor: Principal = RULES_ENGINE,
    as_of: datetime | None = None,
) -> AssessSummary:
    """Re-assess only these people (``people.id``) and these not-yet-linked mentions (at
    ``as_of``, see :func:`assess_all`)."""
    keys = [f"P{p}" for p in person_ids] + [f"M{m}" for m in mention_ids]
    with engine.connect() as conn:
        mentions = HistoryRepository(conn).mentions_of(keys)
    return _assess_mentions(
        engine,
        mentions,
        assessor=assessor or default_assessor(),
        actor=actor,
        scope="people",
        progress=None,
        expanded=True,
        as_of=as_of,
    )


def assess_since(
    engine: Engine,
    since: datetime | None = None,
    *,
    assessor: Assessor | None = None,
    actor: Principal = RULES_ENGINE,
    progress: ProgressFn | None = None,
    workers: int | None = None,
) -> AssessSummary:
    """Re-assess the people touched by records changed at or after ``since``.

    With ``since=None``, the start of the last finished full or ``since`` run is used (each
    covers every change before it started); everyone when there has been none.
    """
    if since is None:
        with engine.connect() as conn:
            since = runs.last_full_assessment_start(conn)
        if since is None:
            return assess_all(
                engine, assessor=assessor, actor=actor, progress=progress, workers=workers
            )
    started = datetime.now(UTC)  # before the look-up, so the next "since last" misses nothing
    with engine.connect() as conn:
        mentions = HistoryRepository(conn).touched_since(since)
    return _assess_mentions(
        engine,
        mentions,
        assessor=assessor or default_assessor(),
        actor=actor,
        scope="since",
        progress=progress,
        started=started,
    )


def open_findings_for_person(engine: Engine, person_key: str | int) -> list[store.StoredFinding]:
    """Open and acknowledged findings of a person (``people.id`` or a ``P``/``M`` key)."""
    with engine.connect() as conn:
        return findings_of(conn, person_key)


def findings_of(conn: Connection, person_key: str | int) -> list[store.StoredFinding]:
    """``open_findings_for_person`` in the caller's transaction."""
    key = f"P{person_key}" if isinstance(person_key, int) else person_key
    return store.query_findings(conn, person_keys=[key], statuses=store.ACTIVE)


def worklist(
    engine: Engine,
    name: str,
    *,
    as_of: datetime | None = None,
    area: str | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> list[store.StoredFinding]:
    """Active findings on a worklist, most urgent first.

    Args:
        name: a worklist of findings (``safeguard.domain.worklists``; hyphens or underscores)
            or ``overdue`` (procedures past due at ``as_of``).
        as_of: the time "overdue" is judged at; now by default.
    """
    with engine.connect() as conn:
        return worklist_in(conn, name, as_of=as_of, area=area, team=team, limit=limit)


def worklist_in(
    conn: Connection,
    name: str,
    *,
    as_of: datetime | None = None,
    area: str | None = None,
    team: str | None = None,
    limit: int | None = None,
) -> list[store.StoredFinding]:
    """``worklist`` in the caller's transaction."""
    if name.strip().lower() == "overdue":
        return store.query_findings(
            conn,
            statuses=store.ACTIVE,
            due_before=as_of or datetime.now(UTC),
            area=area,
            team=team,
            limit=limit,
        )
    kind = worklist_kind(name)
    if kind is None or not kind.categories:
        known = ", ".join(
            [*(w.code.replace("-", "_") for w in WORKLIST_KINDS if w.categories), "overdue"]
        )
        raise ValidationFailed(f"unknown worklist {name!r}; known: {known}")
    return store.query_findings(
        conn,
        statuses=store.ACTIVE,
        categories=kind.categories,
        area=area,
        team=team,
        limit=limit,
    )


def _change(
    engine: Engine, finding_id: int, to: FindingStatus, actor: Actor, note: str | None
) -> store.StoredFinding:
    at = datetime.now(UTC)
    with UnitOfWork.begin(engine, actor) as uow:
        conn = uow.conn
        uow.ensure(Action.ACT_ON_FINDINGS)
        pid = key_to_person_id(store.get_finding(conn, finding_id).person_key)
        if pid is not None:  # a restricted person's finding needs break glass first
            ensure(actor, Action.ACT_ON_FINDINGS, access.person_resource(conn, actor, pid, at))
        updated = store.set_status(conn, finding_id, to=to, actor=actor, at=at, note=note)
        uow.audit(
            f"finding.{to.value}",
            AuditCategory.ALTERATION,
            "finding",
            record_ids=[finding_id],
            person_ids=[updated.person_id] if updated.person_id is not None else [],
            detail={"rule_id": updated.rule_id, "status": to.value},
            at=at,
        )
    return updated


def acknowledge_finding(
    engine: Engine, finding_id: int, *, actor: Actor, note: str | None = None
) -> store.StoredFinding:
    """Mark a finding acknowledged by ``actor`` (audited in the same transaction).

    Raises:
        Refused: the account may not act on findings, or not on this person's.
        BreakGlassRequired: the person is restricted and the account has not broken glass.
    """
    return _change(engine, finding_id, FindingStatus.ACKNOWLEDGED, actor, note)


def resolve_finding(
    engine: Engine, finding_id: int, *, actor: Actor, note: str | None = None
) -> store.StoredFinding:
    """Mark a finding resolved by ``actor`` with a note (audited in the same transaction).

    Raises:
        Refused: the account may not act on findings, or not on this person's.
        BreakGlassRequired: the person is restricted and the account has not broken glass.
    """
    return _change(engine, finding_id, FindingStatus.RESOLVED, actor, note)
