"""Linking one record now: who a record being entered may be, scored against everyone
already linked from the persisted feature store (``link_one``); ``candidates_for`` is the same
as a checked, audited search of people's records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from safeguard.adapters.db import linkage as store
from safeguard.domain.access import Action, Scope, scope_of, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.linking import mention_features
from safeguard.domain.purposes import Justification
from safeguard.errors import NotFound, ValidationFailed
from safeguard.services import access
from safeguard.services.linking.config import LinkConfig
from safeguard.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from safeguard.adapters.linkage.realtime import RealtimeLinker


@dataclass(frozen=True, slots=True)
class Candidate:
    """A known person a new record may be, with the best match probability among their mentions."""

    person_id: int
    match_probability: float
    mention_ids: tuple[int, ...]


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
        try:
            linker = RealtimeLinker(path)
        except LookupError as error:  # no model in it, or written by an earlier version
            _REALTIME.pop(path, None)
            raise NotFound(str(error)) from error
        _REALTIME[path] = linker
    scores = linker.score(features)
    if not scores:
        return []
    with engine.connect() as conn:
        persons = store.people_of(conn, [m for m, _ in scores])
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
