"""Worklists that say what to do next: the rules engine's findings (new high risk, MARAC due,
repeat missing, CSE screening due, overdue procedures) and linking's uncertain links.

The people shown on a worklist are consulted, so showing a list is audited with the list as its
justification.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import person_records
from safeguard.adapters.db.force_counts import ForceCounts
from safeguard.domain.access import Action, Actor, RecordKind, can, sight
from safeguard.domain.audit import AuditCategory
from safeguard.domain.projection import WITHHELD_NAME, project, shown_if
from safeguard.domain.risk.bands import BAND_ORDER
from safeguard.domain.worklists import WORKLIST_KINDS, WorklistKind
from safeguard.errors import NotFound
from safeguard.services import access, risk_model
from safeguard.services.triage import count_open, top_tasks
from safeguard.services.unit_of_work import UnitOfWork

# The worklists shown on the web and the API: the domain's one table, those marked ``on_web``.
WORKLISTS: tuple[WorklistKind, ...] = tuple(w for w in WORKLIST_KINDS if w.on_web)
BY_CODE = {w.code: w for w in WORKLISTS}


@dataclass(frozen=True, slots=True)
class WorkItem:
    person_id: int
    name: str = field(metadata=shown_if(RecordKind.IDENTITY, withheld=WITHHELD_NAME))
    at: datetime = field(default=datetime.min.replace(tzinfo=UTC))
    # A finding's explanation (or a link's probability): free text about the person.
    detail: str = field(default="", metadata=shown_if(RecordKind.FINDINGS, withheld=""))
    record_id: int = 0
    restricted: bool = False
    # The risk model's band (advisory) of the person's latest scored incident, if any.
    risk_band: str = field(default="", metadata=shown_if(RecordKind.RISK_SUMMARY, withheld=""))
    risk_probability: float | None = field(
        default=None, metadata=shown_if(RecordKind.RISK_SUMMARY, withheld=None)
    )


def _names(conn: Connection, person_ids: list[int]) -> dict[int, str]:
    """A display name per person: their lowest-numbered record's name."""
    return person_records.display_names(conn, person_ids)


def _from_findings(conn: Connection, code: str, now: datetime, limit: int) -> list[WorkItem]:
    tasks = top_tasks(conn, code, now, limit)
    names = _names(conn, [t.person_id for t in tasks])
    return [
        WorkItem(
            person_id=t.person_id,
            name=names.get(t.person_id, ""),
            at=t.due_at or now,
            detail=t.title,
            record_id=t.finding_id,
        )
        for t in tasks
    ]


def _rows(conn: Connection, code: str, now: datetime, limit: int) -> list[WorkItem]:
    if code != "uncertain-links":
        return _from_findings(conn, code, now, limit)
    return [
        WorkItem(
            r.person_id,
            r.name,
            r.created_at,
            f"match probability {r.match_probability:.2f}",
            r.review_id,
        )  # fmt: skip
        for r in person_records.open_reviews(conn, limit)
    ]


def _with_bands(conn: Connection, items: list[WorkItem]) -> list[WorkItem]:
    keys = {i.person_id: f"P{i.person_id}" if i.person_id > 0 else f"M{-i.person_id}"
            for i in items if i.person_id}  # fmt: skip
    bands = risk_model.bands_of(conn, list(keys.values()))
    out = []
    for i in items:
        b = bands.get(keys.get(i.person_id, ""))
        out.append(replace(i, risk_band=b["band"], risk_probability=b["probability"]) if b else i)
    return out


def worklist(
    uow: UnitOfWork,
    *,
    code: str,
    now: datetime | None = None,
    limit: int = 50,
    sort: str | None = None,
) -> tuple[WorklistKind, list[WorkItem]]:
    """One worklist's items; the people shown are audited as consulted for that worklist.
    ``sort="band"``: the risk model's highest band (then probability) first."""
    actor = uow.ensure(Action.VIEW_WORKLISTS)
    conn = uow.conn
    if code not in BY_CODE:
        raise NotFound(f"no worklist {code!r}")
    if code == "uncertain-links":
        uow.ensure(Action.REVIEW_LINKS)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    items = shown(conn, actor, _with_bands(conn, _rows(conn, code, now, limit)), now)
    if sort == "band":
        items.sort(key=lambda i: (-BAND_ORDER.get(i.risk_band, -1), -(i.risk_probability or 0)))
    person_ids = list(dict.fromkeys(i.person_id for i in items if not i.restricted))
    if person_ids:
        uow.audit(
            "worklist.view",
            AuditCategory.CONSULTATION,
            "person",
            record_ids=person_ids,
            person_ids=person_ids,
            justification=f"Worklist: {BY_CODE[code].title}",
            detail={"worklist": code},
        )
    return BY_CODE[code], items


def shown(conn: Connection, actor: Actor, items: list[WorkItem], now: datetime) -> list[WorkItem]:
    """The items as ``actor`` may see them: a restricted person before break glass is a
    "restricted record, reason needed" line (and is not consulted); one they may not see at all
    is left out."""
    seen = access.person_access(conn, actor, [i.person_id for i in items if i.person_id], now)
    out = []
    for item in items:
        resource = seen.get(item.person_id)
        if resource is None:  # no person (a review of two unlinked records): nothing to hide
            out.append(item)
            continue
        view = sight(actor, resource)
        if view.nothing and not view.reason_needed:
            continue
        out.append(project(replace(item, restricted=resource.restricted), view))
    return out


def worklist_counts(
    uow: UnitOfWork, *, now: datetime | None = None
) -> list[tuple[WorklistKind, int]]:
    """How many items each worklist has (counts only: nobody is consulted)."""
    actor = uow.ensure(Action.VIEW_WORKLISTS)
    conn = uow.conn
    now = (now or datetime.now(UTC)).astimezone(UTC)
    out = []
    for w in WORKLISTS:
        if w.code == "uncertain-links":
            if can(actor, Action.REVIEW_LINKS):
                out.append((w, open_link_reviews(conn)))
            continue
        out.append((w, count_open(conn, w.code, now)[0]))
    return out


def open_link_reviews(conn: Connection) -> int:
    """How many link reviews are open (exact)."""
    return ForceCounts(conn).open_link_reviews()
