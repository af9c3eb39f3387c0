"""The one choke point for what a person looks like to a viewer: ``project(record, sight)``.

Every shape that carries a person (a search hit, a worklist item, a record card in the link
review, a profile...) marks each of its fields that says something about the person with the
record kind it belongs to::

    @dataclass(frozen=True)
    class WorkItem:
        person_id: int
        name: str = field(metadata=shown_if(RecordKind.IDENTITY, withheld=WITHHELD_NAME))
        detail: str = field(metadata=shown_if(RecordKind.FINDINGS, withheld=""))

and whatever builds such a shape hands it to ``project`` with the viewer's ``Sight`` (from
``safeguard.domain.access.sight``) before it leaves the service. A field of a kind the viewer may
not see is replaced by its ``withheld`` value; a list marked with ``items_shown_if`` keeps only
the items the viewer may see; nested shapes are projected in turn. A restricted person before
break glass is therefore "Restricted record, reason needed" and nothing else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from safeguard.domain.access import EVERYTHING, REASON_NEEDED, RecordKind, Sight

WITHHELD_NAME = "Restricted record, reason needed"
NOT_SHARED_NAME = "Record not shared with you"

_KIND = "safeguard.record_kind"
_WITHHELD = "safeguard.withheld"
_ITEMS = "safeguard.item_kind"

T = TypeVar("T")
ItemTag = tuple[RecordKind, str | None]  # (kind, agency the item is addressed to, if any)


def shown_if(kind: RecordKind, *, withheld: object = None) -> dict[str, object]:
    """Field metadata: the field is of ``kind``; shown as ``withheld`` to a viewer without it.

    ``withheld`` may be a zero-argument callable (e.g. ``list``) for a fresh empty value."""
    return {_KIND: kind, _WITHHELD: withheld}


def items_shown_if(tag: Callable[[Any], ItemTag]) -> dict[str, object]:
    """Field metadata for a list whose items are of different kinds: ``tag(item)`` gives each
    item's kind and the agency it is addressed to (``None`` when it is not addressed)."""
    return {_ITEMS: tag}


def _withheld_value(meta: Any) -> object:
    value = meta.get(_WITHHELD)
    return value() if callable(value) else value


def project(record: T, sight: Sight) -> T:
    """``record`` as a viewer with ``sight`` may see it (the record itself when they see all).

    Args:
        record: a dataclass instance whose person fields carry ``shown_if`` metadata.
        sight: what the viewer may see of the person the record is about.

    Returns:
        A copy with every field of a kind outside ``sight`` withheld, lists filtered item by
        item and nested dataclasses projected.

    Examples:
        >>> from dataclasses import dataclass, field
        >>> @dataclass(frozen=True)
        ... class Hit:
        ...     person_id: int
        ...     name: str = field(metadata=shown_if(RecordKind.IDENTITY, withheld=WITHHELD_NAME))
        >>> project(Hit(7, "Joanne Smith"), REASON_NEEDED)
        Hit(person_id=7, name='Restricted record, reason needed')
        >>> project(Hit(7, "Joanne Smith"), EVERYTHING).name
        'Joanne Smith'
    """
    if sight.everything or not dataclasses.is_dataclass(record) or isinstance(record, type):
        return record
    changes: dict[str, object] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        kind = f.metadata.get(_KIND)
        tag = f.metadata.get(_ITEMS)
        if kind is not None and not sight.covers(kind):
            changes[f.name] = _withheld_value(f.metadata)
        elif tag is not None:
            changes[f.name] = [project(i, sight) for i in value if sight.covers(*tag(i))]
        elif isinstance(value, list | tuple) and value and dataclasses.is_dataclass(value[0]):
            changes[f.name] = type(value)(project(i, sight) for i in value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[f.name] = project(value, sight)
    return dataclasses.replace(record, **changes) if changes else record


def withheld(record: T) -> T:
    """``record`` as anyone sees it before breaking glass: identifying fields all withheld."""
    return project(record, REASON_NEEDED)


def person_fields(cls: type) -> dict[str, RecordKind | None]:
    """The fields of a shape that carry the person, with their kind (``None`` for a list whose
    items carry their own); for the tests that check every such shape is marked."""
    out: dict[str, RecordKind | None] = {}
    for f in dataclasses.fields(cls):
        if _KIND in f.metadata:
            out[f.name] = f.metadata[_KIND]
        elif _ITEMS in f.metadata:
            out[f.name] = None
    return out


__all__ = [
    "EVERYTHING",
    "NOT_SHARED_NAME",
    "WITHHELD_NAME",
    "items_shown_if",
    "person_fields",
    "project",
    "shown_if",
    "withheld",
]
