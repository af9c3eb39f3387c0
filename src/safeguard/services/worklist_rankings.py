"""A worklist's ranking, kept: each list's first people in order, with its exact totals, per
database and list cut, reused while the data it reads is unchanged (:func:`data_version`) and
for at most :data:`RANKING_FOR`, refreshed in the background while it is in use, and after
a write brought up to date for the people it changed. The triage (``services.triage``) pages,
counts and filters through it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from safeguard.adapters.db import work_queue as queue
from safeguard.domain.triage import PersonWork


@dataclass(frozen=True, slots=True)
class Ranking:
    """A list's first people in order, with its exact totals; ``pages``: the pages of them
    already built (their people's items read and grouped) as of the ranking's own time, by
    (first person, people per page): the same data and time give the same page, and a write
    makes a new ranking, so a kept page never outlives the data it was built from."""

    people: list[queue.Ranked]
    total_people: int
    total_tasks: int
    pages: dict[tuple[int, int], list[PersonWork]] = field(
        default_factory=dict, compare=False, repr=False
    )


def data_version(conn: Connection) -> tuple[object, ...]:
    """What a ranking depends on, each read as one step down an index (no count: counting
    the findings read the whole table, about 10 ms a request on the default force): a new
    finding moves the highest id, a change the latest change time, a new or replaced owner
    the latest assignment time, a model's new scores the newest score id. Findings and
    assignments are removed only by a retention decision, which writes its review row in the
    same transaction (``services.retention.decide``): the newest review id covers removals.
    """
    return queue.data_version(conn)


#: How many of a list's first people a ranking keeps (ten pages); a later page is ranked in
#: the database on its own.
RANKED_KEPT = 250
#: How long a ranking is reused while nothing it reads has changed (lateness moves a
#: priority every 12 hours at the finest) ...
RANKING_FOR = timedelta(minutes=1)
#: ... and from what age a request that reuses it has a fresh one ranked in the background,
#: so that a list in use is not ranked again on a request's time every minute.
REFRESH_AFTER = timedelta(seconds=40)
#: A ranking made by a concurrent request a moment after this one's clock still serves it.
_SKEW = timedelta(seconds=5)

logger = logging.getLogger(__name__)
_Key = tuple[str, queue.ListSpec]


class Rankings:
    """Each list's ranking (its first people in order, with the totals) per database and list
    cut, reused while :func:`data_version` is unchanged and for at most :data:`RANKING_FOR`, so
    that a large list (the overdue list: 36,000 people on the default force) is ranked about
    once a minute in each process, not on every page.

    Concurrent requests for the same list wait for one ranking rather than each making their
    own (a burst of 20 users would otherwise rank the list 20 times at once); a ranking older
    than :data:`REFRESH_AFTER` that is still valid is served while a single background thread
    ranks the list afresh. A ranking is stored with the version read before it was made, so a
    write that lands meanwhile leaves it stale-versioned. The next request then brings the
    kept ranking up to date for only the people whose work changed (:func:`patch`, as of the
    ranking's own time); a retention decision, a model or new scores rank the list again.
    """

    def __init__(self, kept: int = 64) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._entries: OrderedDict[_Key, tuple[tuple[object, ...], datetime, Ranking]] = (
            OrderedDict()
        )
        self._flights: dict[_Key, threading.Lock] = {}
        self._refreshing: set[_Key] = set()
        self._choices: dict[tuple[str, str], tuple[tuple[object, ...], list[str]]] = {}
        self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worklist-rank")
        # bumped by clear(): a background ranking begun before a clear is not kept after it
        self._generation = 0

    def clear(self) -> None:
        """Forget every ranking, including one a background thread is making now (a database
        emptied and filled again, as the tests do, can repeat an earlier data version)."""
        with self._lock:
            self._entries.clear()
            self._choices.clear()
            self._generation += 1

    def _hit(
        self, key: _Key, version: tuple[object, ...], now: datetime
    ) -> tuple[datetime, Ranking] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            if not -_SKEW <= now - found[1] < RANKING_FOR:
                return None
            self._entries.move_to_end(key)
            return found[1], found[2]

    def _store(
        self, key: _Key, version: tuple[object, ...], at: datetime, ranking: Ranking
    ) -> None:
        with self._lock:
            old = self._entries.get(key)
            if old is not None and old[0] == version and old[1] > at:
                return  # a newer ranking of the same data is already kept
            self._entries[key] = (version, at, ranking)
            self._entries.move_to_end(key)
            while len(self._entries) > self._kept:
                self._entries.popitem(last=False)

    def get(
        self,
        conn: Connection,
        spec: queue.ListSpec,
        now: datetime,
        version: tuple[object, ...] | None = None,
    ) -> tuple[datetime, Ranking]:
        """The list's ranking and the time it is as of (``now``, or less than a minute
        before); ``version``: :func:`data_version`, if the caller has just read it."""
        key = (conn.engine.url.render_as_string(), spec)
        version = data_version(conn) if version is None else version
        hit = self._hit(key, version, now)
        if hit is None:
            with self._lock:
                flight = self._flights.setdefault(key, threading.Lock())
            with flight:  # one ranking of this list at a time in this process
                hit = self._hit(key, version, now)
                if hit is None:
                    hit = self._patched(conn, key, spec, version, now)
                if hit is None:
                    ranking = rank(conn, spec, now)
                    self._store(key, version, now, ranking)
                    return now, ranking
                self._store(key, version, *hit)
        if now - hit[0] >= REFRESH_AFTER:
            self._refresh_later(conn.engine, key, spec, now)
        return hit

    def _patched(
        self,
        conn: Connection,
        key: _Key,
        spec: queue.ListSpec,
        version: tuple[object, ...],
        now: datetime,
    ) -> tuple[datetime, Ranking] | None:
        """The kept ranking with only the people whose work changed since it ranked again
        (as of its own time), when nothing else it reads has changed: a click on an item
        (taken, acknowledged, completed) or a re-assessment of a few people then costs a few
        index reads, not a ranking of the whole list on the next request's time."""
        with self._lock:
            found = self._entries.get(key)
        if found is None:
            return None
        old_version, at, old = found
        if not -_SKEW <= now - at < RANKING_FOR or not _moved_on(old_version, version):
            return None
        newest, changed, owned = old_version[:3]
        people = queue.people_changed_since(
            conn,
            newest=int(newest) if isinstance(newest, int) else 0,
            changed=changed - _SKEW if isinstance(changed, datetime) else None,
            owned=owned - _SKEW if isinstance(owned, datetime) else None,
        )
        if people is None:
            return None
        return at, patch(conn, spec, at, old, people)

    def choices(self, conn: Connection, column: str, version: tuple[object, ...]) -> list[str]:
        """The values of ``column`` among open items (a list's filter choices), kept with the
        version they were read at: they change only when the findings do."""
        key = (conn.engine.url.render_as_string(), column)
        with self._lock:
            found = self._choices.get(key)
        if found is not None and found[0] == version:
            return found[1]
        values = queue.distinct_active(conn, column)
        with self._lock:
            self._choices[key] = (version, values)
        return values

    def _refresh_later(
        self, engine: Engine, key: _Key, spec: queue.ListSpec, now: datetime
    ) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)
            generation = self._generation
        self._refresher.submit(self._refresh, engine, key, spec, now, generation)

    def _refresh(
        self, engine: Engine, key: _Key, spec: queue.ListSpec, now: datetime, generation: int
    ) -> None:
        try:
            with engine.connect() as conn:
                version = data_version(conn)
                ranking = rank(conn, spec, now)
            with self._lock:
                current = generation == self._generation
            if current:
                self._store(key, version, now, ranking)
        except Exception:  # a refresh is an optimisation: the next request ranks itself
            logger.warning("background ranking of a worklist failed", exc_info=True)
        finally:
            with self._lock:
                self._refreshing.discard(key)


def rank(conn: Connection, spec: queue.ListSpec, now: datetime) -> Ranking:
    people, total_people, total_tasks = queue.ranked(conn, spec, now, limit=RANKED_KEPT)
    return Ranking(people, total_people, total_tasks)


def _moved_on(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
    """Whether ``new`` is ``old`` with only findings added or changed and owners assigned
    since (the newest id, latest change and latest assignment each the same or later; no
    retention decision, model or scores since): what :func:`patch` can bring up to date."""
    if len(old) != len(new) or old[3:] != new[3:]:
        return False
    for was, now in zip(old[:3], new[:3], strict=True):
        if was is None:
            continue
        if now is None or type(now) is not type(was) or now < was:  # type: ignore[operator]
            return False
    return True


def _order(r: queue.Ranked) -> tuple[int, float, int]:
    """The ranking's order (``work_queue.ranked``): priority, then earliest due, then id."""
    due = r.next_due.timestamp() if r.next_due is not None else float("inf")
    return (-r.priority, due, r.person_id)


def patch(
    conn: Connection, spec: queue.ListSpec, at: datetime, old: Ranking, changed: set[str]
) -> Ranking:
    """``old`` with the ``changed`` people ranked again as of ``at`` (its time) and put in
    their places, and the totals counted afresh. A kept ranking is the list's first people in
    order: after the change it is still a correct beginning of the list up to the last person
    it held (anyone not kept sorted after that person and has not changed), so only the people
    up to that place are kept."""
    fresh = queue.ranked(conn, spec, at, keys=sorted(changed))[0] if changed else []
    merged = sorted([*(r for r in old.people if r.person_key not in changed), *fresh], key=_order)
    if len(old.people) < old.total_people and old.people:
        last = _order(old.people[-1])
        merged = [r for r in merged if _order(r) <= last]
    total_people, total_tasks = queue.totals(conn, spec, at)
    return Ranking(merged[:RANKED_KEPT], total_people, total_tasks)


RANKINGS = Rankings()


def ranking(
    conn: Connection,
    spec: queue.ListSpec,
    now: datetime,
    version: tuple[object, ...] | None = None,
) -> tuple[datetime, Ranking]:
    """The list's first :data:`RANKED_KEPT` people ranked, with the totals, and the time the
    ranking is as of (``now``, or less than a minute before)."""
    return RANKINGS.get(conn, spec, now, version)
