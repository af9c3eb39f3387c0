"""An offence's group (violent, sexual, acquisitive, other) from its Home Office offence code.

The classification is data, not code: ``offence_classification.csv`` beside this module holds
one row per ``offence_code`` (the Home Office offence classification as police recorded crime
uses it, e.g. ``8N`` assault with injury, ``105A`` assault without injury, ``19C`` rape of a
female aged 16 and over), with its title, its Home Office headline category, its group and
whether it is the breach of a protective order. ``docs/offences.md`` gives the source of each
column and how the groups follow the Home Office categories.

A code the file does not hold is never an error: it counts as ``other`` and the result carries
a data-quality note naming the code, so one unusual code cannot stop an ingest or a model.

Examples:
    >>> offences = default_classification()
    >>> offences.classify("8n").group
    <OffenceGroup.VIOLENT: 'violent'>
    >>> offences.classify("X99").note
    "offence code 'X99' is not in the Home Office classification held; counted as other"
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from safeguard.errors import ValidationFailed

COLUMNS = ("offence_code", "title", "ho_category", "group", "breach_of_order", "checked")
_FLAGS = {"yes": True, "no": False}
#: Home Office class/subclass codes are written ``008/31``, ``8/31`` or ``00831``.
_CLASS_SUBCLASS = re.compile(r"^(\d{1,3})/(\d{1,2})$")
_FIVE_DIGITS = re.compile(r"^\d{5}$")


class OffenceGroup(StrEnum):
    """The four groups a person's offending history is counted in."""

    VIOLENT = "violent"
    SEXUAL = "sexual"
    ACQUISITIVE = "acquisitive"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Offence:
    """One row of the classification."""

    code: str
    title: str
    ho_category: str
    group: OffenceGroup
    breach_of_order: bool
    checked: bool


@dataclass(frozen=True, slots=True)
class Classified:
    """What a code means: its group, the row it matched (if any) and a data-quality note."""

    code: str
    group: OffenceGroup
    offence: Offence | None
    note: str | None

    @property
    def breach_of_order(self) -> bool:
        return self.offence is not None and self.offence.breach_of_order


def normalise_code(code: str) -> str:
    """The form codes are held in: trimmed, upper case, class/subclass as ``008/31``.

    Examples:
        >>> normalise_code(" 105a "), normalise_code("8/31"), normalise_code("06639")
        ('105A', '008/31', '066/39')
    """
    text = "".join(code.split()).upper()
    match = _CLASS_SUBCLASS.match(text)
    if match:
        return f"{int(match.group(1)):03d}/{int(match.group(2)):02d}"
    if _FIVE_DIGITS.match(text):
        return f"{text[:3]}/{text[3:]}"
    return text


class OffenceClassification:
    """Offence codes to groups; ``classify`` never fails on an unknown code."""

    def __init__(self, offences: Iterable[Offence], origin: str) -> None:
        self.origin = origin
        self._by_code: dict[str, Offence] = {}
        for offence in offences:
            if offence.code in self._by_code:
                raise ValidationFailed(f"{origin}: offence_code {offence.code!r} appears twice")
            self._by_code[offence.code] = offence

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Offence]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalise_code(code) in self._by_code

    def classify(self, code: str) -> Classified:
        """The group of ``code``; an unknown or empty code is ``other`` with a note saying so."""
        key = normalise_code(code)
        offence = self._by_code.get(key)
        if offence is not None:
            return Classified(key, offence.group, offence, None)
        note = (
            f"offence code {code!r} is not in the Home Office classification held; counted as other"
        )
        return Classified(key, OffenceGroup.OTHER, None, note)

    def group(self, code: str) -> OffenceGroup:
        return self.classify(code).group


def parse_classification(
    rows: Iterable[Mapping[str, str | None]], origin: str
) -> OffenceClassification:
    """Validate classification rows (as ``csv.DictReader`` gives them) into a classification.

    Raises:
        ValidationFailed: naming ``origin``, the row number (the header is row 1) and the field.
    """
    offences = []
    for n, row in enumerate(rows, start=2):
        where = f"{origin} row {n}"
        values: dict[str, str] = {}
        for column in COLUMNS:
            value = (row.get(column) or "").strip()
            if not value:
                raise ValidationFailed(f"{where}: {column} is empty")
            values[column] = value
        try:
            group = OffenceGroup(values["group"])
        except ValueError:
            allowed = ", ".join(g.value for g in OffenceGroup)
            raise ValidationFailed(
                f"{where}: group {values['group']!r} is not one of {allowed}"
            ) from None
        flags = {}
        for column in ("breach_of_order", "checked"):
            if values[column] not in _FLAGS:
                raise ValidationFailed(
                    f"{where}: {column} must be yes or no, got {values[column]!r}"
                )
            flags[column] = _FLAGS[values[column]]
        offences.append(
            Offence(
                code=normalise_code(values["offence_code"]),
                title=values["title"],
                ho_category=values["ho_category"],
                group=group,
                breach_of_order=flags["breach_of_order"],
                checked=flags["checked"],
            )
        )
    return OffenceClassification(offences, origin)


def read_classification(text: str, origin: str) -> OffenceClassification:
    """Parse classification CSV text; the header must name exactly :data:`COLUMNS`."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValidationFailed(
            f"{origin}: header must be {','.join(COLUMNS)}, got {','.join(reader.fieldnames or ())}"
        )
    return parse_classification(reader, origin)


@lru_cache(maxsize=1)
def default_classification() -> OffenceClassification:
    """The classification shipped with the package (read once)."""
    name = "offence_classification.csv"
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return read_classification(text, name)
