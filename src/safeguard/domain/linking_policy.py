"""The force's linking policy: thresholds and guards, from the ``linking:`` section of its settings.

A force sets these in the same YAML file as its rule thresholds (``SAFEGUARD_RULES_CONFIG``)::

    linking:
      match_threshold: 0.95     # pairs at or above this probability are one person
      review_from: 0.5          # uncertain pairs from this probability up are queued for review
      review_limit: 5000        # at most this many open review items per run
      guards_off: []            # guards turned off by name (GUARD_NAMES)
      hold_ambiguous: false     # hold a mention linking equally to two kept-apart people
      earliest_birth: 1900-01-01  # dates of birth before this are impossible

Every key is optional (the defaults are those of ``LinkingPolicy``); an unknown key, a value of
the wrong type or out of range refuses the whole file, naming the file and the key, so the
settings in force stay as they were. The guards themselves are in ``adapters.linkage.guards``
(and ``docs/linking.md``, with what each is worth); their names are defined here, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from safeguard.domain.linking import EARLIEST_BIRTH
from safeguard.errors import ValidationFailed

GUARD_NAMES = (
    "one_event",
    "named_apart",
    "generation",
    "firm_dob",
    "junior_senior",
    "twins",
    "household_member",
    "age_apart",
    "dob_apart",
    "undated_sibling",
    "firm_forenames",
    "undated_namesake",
    "siblings",
    "look_alike",
)
# Every guard is on by default (since branch ``twinev14``; ``firm_forenames`` was off before):
# with a known-as name waived where it is recorded with the person's own middle name, mobile or
# PNC id (``adapters.linkage.guard_details.own_detail_waiver``), ``firm_forenames`` costs 0.4
# points of recall on the realistic police extracts (1.4 before) for 2.2 points of twins
# (docs/linking.md, guard ``firm_forenames``). ``undated_sibling`` is on since branch
# ``linkacc14``: a child given a sibling's or a parent's history is the error the product can
# least afford. A force that would rather have the recall sets ``guards_off: [firm_forenames]``.
DEFAULT_GUARDS_OFF: frozenset[str] = frozenset()
# An earliest birth later than this would make living adults unlinkable; earlier than the first
# bound is no check at all.
EARLIEST_BIRTH_RANGE = (date(1800, 1, 1), date(1950, 1, 1))
MAX_REVIEW_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class LinkingPolicy:
    """How strongly two mentions must match to be one person, what goes to review, which guards
    apply. Valid by construction: ``ValidationFailed`` names the field that is not."""

    match_threshold: float = 0.95
    review_from: float = 0.5
    review_limit: int = 5000
    guards_off: frozenset[str] = DEFAULT_GUARDS_OFF
    hold_ambiguous: bool = False
    earliest_birth: date = EARLIEST_BIRTH

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem is not None:
            field, message = problem
            raise ValidationFailed(f"linking.{field}: {message}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _problem(p: LinkingPolicy) -> tuple[str, str] | None:
    """The first field that breaks the policy's rules, and why (None when valid)."""
    for name in ("match_threshold", "review_from"):
        if not _is_number(getattr(p, name)):
            return name, f"must be a number, got {getattr(p, name)!r}"
    if not 0 < p.match_threshold <= 1:
        return "match_threshold", f"must be above 0 and at most 1, got {p.match_threshold}"
    if not 0 < p.review_from < p.match_threshold:
        return (
            "review_from",
            f"must be above 0 and below match_threshold ({p.match_threshold}), got {p.review_from}",
        )
    if not isinstance(p.review_limit, int) or isinstance(p.review_limit, bool):
        return "review_limit", f"must be a whole number, got {p.review_limit!r}"
    if not 0 <= p.review_limit <= MAX_REVIEW_LIMIT:
        return "review_limit", f"must be 0 to {MAX_REVIEW_LIMIT:,}, got {p.review_limit}"
    if not isinstance(p.guards_off, frozenset) or not all(isinstance(g, str) for g in p.guards_off):
        return "guards_off", f"must be a list of guard names, got {p.guards_off!r}"
    unknown = sorted(p.guards_off - set(GUARD_NAMES))
    if unknown:
        return (
            "guards_off",
            f"unknown guard {', '.join(unknown)}; guards: {', '.join(GUARD_NAMES)}",
        )
    if not isinstance(p.hold_ambiguous, bool):
        return "hold_ambiguous", f"must be true or false, got {p.hold_ambiguous!r}"
    low, high = EARLIEST_BIRTH_RANGE
    if not isinstance(p.earliest_birth, date) or not low <= p.earliest_birth <= high:
        return (
            "earliest_birth",
            f"must be a date from {low} to {high}, got {p.earliest_birth!r}",
        )
    return None


def _date(value: object) -> object:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # refused by the range check, naming the value
    return value


def parse_linking_policy(section: object, origin: str) -> LinkingPolicy:
    """The policy from a settings file's ``linking:`` mapping (None or empty: the defaults).

    Raises:
        ValidationFailed: ``<origin>: linking.<key>: ...`` for an unknown key or a bad value.
    """
    if section is None:
        return LinkingPolicy()
    if not isinstance(section, Mapping):
        raise ValidationFailed(f"{origin}: linking must be a mapping of linking settings")
    known = {f.name for f in fields(LinkingPolicy)}
    unknown = sorted(str(k) for k in section if k not in known)
    if unknown:
        raise ValidationFailed(
            f"{origin}: linking.{unknown[0]} is not a linking setting "
            f"(settings: {', '.join(sorted(known))})"
        )
    values: dict[str, Any] = dict(section)
    if "guards_off" in values:
        guards = values["guards_off"]
        if guards is None:
            guards = []
        if not isinstance(guards, list | tuple):
            raise ValidationFailed(
                f"{origin}: linking.guards_off must be a list of guard names, got {guards!r}"
            )
        values["guards_off"] = (
            frozenset(guards) if all(isinstance(g, str) for g in guards) else guards
        )
    if "earliest_birth" in values:
        values["earliest_birth"] = _date(values["earliest_birth"])
    try:
        return LinkingPolicy(**values)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{origin}: {exc}") from None
