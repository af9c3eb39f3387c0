"""The people linked to a person through their incidents: partners, suspects, victims, children
and other household members, each with their own current risk.

Read from the one history (:mod:`safeguard.domain.history`): each involvement's ``others`` are
the other parties to the same incident, with their own person key. Each linked person is shown
to the viewer through the one projection, as that person (a restricted partner is "Restricted
record, reason needed"; a partner agency sees only people shared with it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import person_records
from safeguard.adapters.db.history_repository import HistoryRepository
from safeguard.domain.access import Actor, RecordKind, sight
from safeguard.domain.assessments import Catalogue
from safeguard.domain.history import PersonHistory
from safeguard.domain.projection import WITHHELD_NAME, project, shown_if
from safeguard.services import access, risk_view
from safeguard.services.findings import key_to_person_id

K = RecordKind
PARTNERS = frozenset({"intimate_partner", "ex_partner"})
CHILD_ROLES = frozenset({"child_present", "missing_person"})
MOST = 12  # linked people shown at most (the closest first)
_GRADE = {"high": 3, "serious": 3, "medium": 2, "significant": 2, "standard": 1, "low": 1}


@dataclass(frozen=True, slots=True)
class LinkedPerson:
    """Someone linked to the person through shared incidents."""

    person_id: int
    relations: tuple[str, ...]
    incidents: int
    last_together: datetime
    name: str = field(default="", metadata=shown_if(K.IDENTITY, withheld=WITHHELD_NAME))
    age: int | None = field(default=None, metadata=shown_if(K.IDENTITY))
    risk: str | None = field(default=None, metadata=shown_if(K.RISK_SUMMARY))
    restricted: bool = False


def relation(mine: str, theirs: str, my_rel: str | None, their_rel: str | None) -> str:
    """What the other party is to the person, from both roles in the same incident.

    Examples:
        >>> relation("victim", "suspect", "intimate_partner", None)
        'partner (suspect)'
        >>> relation("suspect", "victim", None, "ex_partner")
        'partner (victim)'
        >>> relation("victim", "child_present", None, "child")
        'child'
    """
    if theirs in CHILD_ROLES or their_rel == "child":
        return "child"
    if mine == "victim" and theirs == "suspect":
        return "partner (suspect)" if my_rel in PARTNERS else "suspect"
    if mine == "suspect" and theirs == "victim":
        return "partner (victim)" if their_rel in PARTNERS else "victim"
    if mine in CHILD_ROLES and theirs in ("suspect", "victim"):
        return "parent or carer" if (my_rel in ("child", None)) else theirs
    if their_rel in ("family_member", "parent") or my_rel in ("family_member", "parent"):
        return "family member"
    return "associate"


def _highest(history: PersonHistory, catalogue: Catalogue) -> str | None:
    grades = [r.grade for r in risk_view.current_risk(history, catalogue) if r.grade]
    return max(grades, key=lambda g: _GRADE.get(g, 0), default=None)


def linked_people(
    conn: Connection,
    *,
    actor: Actor,
    history: PersonHistory,
    address: str | None,
    catalogue: Catalogue,
    today: date,
    now: datetime,
) -> list[LinkedPerson]:
    """The people who share incidents with ``history``'s person, closest first (partners and
    children, then by incidents together), each with their own risk, projected for ``actor``."""
    seen: dict[str, tuple[set[str], set[int], datetime]] = {}
    for inv in history.involvements:
        for other in inv.others:
            if other.person_key == history.person_key:
                continue
            rel = relation(
                inv.role, other.role, inv.relationship_to_suspect, other.relationship_to_suspect
            )
            rels, events, last = seen.get(other.person_key, (set(), set(), inv.event.occurred_at))
            rels.add(rel)
            events.add(inv.event.event_id)
            seen[other.person_key] = (rels, events, max(last, inv.event.occurred_at))
    if not seen:
        return []
    ids = {k: key_to_person_id(k) for k in seen}
    keys = [k for k in seen if ids[k] is not None]

    def closeness(k: str) -> tuple[int, int, float]:
        rels, events, last = seen[k]
        close = any(r.startswith("partner") or r == "child" for r in rels)
        return (0 if close else 1, -len(events), -last.timestamp())

    keys.sort(key=closeness)
    keys = keys[:MOST]
    pids = [i for i in (ids[k] for k in keys) if i is not None]
    histories = {h.person_key: h for h in HistoryRepository(conn).of_people(keys, parties=False)}
    addresses = person_records.latest_addresses(conn, pids)
    names = person_records.display_names(conn, pids)
    resources = access.person_access(conn, actor, pids, now)
    out = []
    for k in keys:
        pid = ids[k]
        if pid is None:
            continue
        rels, events, last = seen[k]
        h = histories.get(k)
        age = h.age_at(today) if h else None
        relations = set(rels)
        if address and addresses.get(pid) == address:
            relations.add("household member")
        if (
            age is not None
            and age < 18
            and "child" not in relations
            and "household member" in relations
        ):
            relations.add("child")
        linked = LinkedPerson(
            person_id=pid,
            relations=tuple(sorted(relations)),
            incidents=len(events),
            last_together=last,
            name=names.get(pid, ""),
            age=age,
            risk=_highest(h, catalogue) if h else None,
        )
        resource = resources.get(pid)
        if resource is None:
            out.append(linked)
            continue
        view = sight(actor, resource)
        if view.nothing and not view.reason_needed:
            continue
        out.append(project(replace(linked, restricted=resource.restricted), view))
    return out
