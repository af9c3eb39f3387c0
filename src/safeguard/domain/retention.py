"""MoPI review, retention and disposal: which retention group a person's records fall in, and
when they are next due for review (Code of Practice on the Management of Police Information,
2005, and the APP on retention, review and disposal; see docs/retention.md).

Pure: the force's retention settings come in as a ``RetentionPolicy``; a person's history as
``RecordFacts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from safeguard.errors import ValidationFailed


class Decision(StrEnum):
    RETAIN = "retain"
    DISPOSE = "dispose"


@dataclass(frozen=True, slots=True)
class RetentionGroup:
    """One MoPI group.

    Args:
        code: ``group_1`` .. ``group_3``.
        label: what it covers, in the APP's words.
        review_years: years from the latest record (or the last review) to the next review.
        retain_until_age: never disposed of before the subject is this old (None: no floor).
        verified: whether the period was checked against the published APP (DOMAIN.md G2 marks
            the group periods unverified).
    """

    code: str
    label: str
    review_years: int
    retain_until_age: int | None
    verified: bool


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """The force's retention settings: the groups, the minimum period, and which offence
    groups of a person's suspected offences put them in which retention group."""

    groups: Mapping[str, RetentionGroup]
    minimum_years: int
    suspect_offence_groups: Mapping[str, str]  # offence group (sexual, violent...) -> group code
    default_group: str


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What retention needs of a person's history (ids and dates only)."""

    person_id: int
    latest_record: date | None
    first_record: date | None
    suspected_offence_groups: frozenset[str]
    date_of_birth: date | None
    last_review: date | None = None
    next_review_set: date | None = None  # set by the last "retain" decision


@dataclass(frozen=True, slots=True)
class ReviewDue:
    person_id: int
    group: str
    review_on: date
    earliest_disposal: date
    reason: str


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def group_of(facts: RecordFacts, policy: RetentionPolicy) -> RetentionGroup:
    """The most serious group any of the person's suspected offences puts them in (group 1
    before group 2 before group 3); victims and witnesses only: the default group."""
    codes = {policy.suspect_offence_groups[g] for g in facts.suspected_offence_groups if g in
             policy.suspect_offence_groups}  # fmt: skip
    codes.add(policy.default_group)
    return policy.groups[min(codes)]


def review_due(facts: RecordFacts, policy: RetentionPolicy) -> ReviewDue:
    """When the person's records are next due for review, and the earliest they may go.

    The review falls ``review_years`` after the latest record or the last review, whichever is
    later, or on the date a "retain" decision set; never before ``minimum_years`` after the
    first record; and for a group with an age floor, never disposed of before that age.
    """
    group = group_of(facts, policy)
    anchor = max(d for d in (facts.latest_record, facts.last_review, date(1900, 1, 1)) if d)
    review = _add_years(anchor, group.review_years)
    reason = f"{group.review_years} years after the latest record or review ({group.code})"
    if facts.next_review_set is not None:
        review, reason = facts.next_review_set, "the date set by the last retain decision"
    earliest = _add_years(facts.first_record or anchor, policy.minimum_years)
    if group.retain_until_age is not None and facts.date_of_birth is not None:
        earliest = max(earliest, _add_years(facts.date_of_birth, group.retain_until_age))
    if review < earliest and facts.next_review_set is None:
        review, reason = earliest, "the earliest the records may be disposed of"
    return ReviewDue(facts.person_id, group.code, review, earliest, reason)


def check_decision(
    decision: Decision,
    *,
    due: ReviewDue,
    today: date,
    rationale: str,
    next_review: date | None,
    on_hold: bool,
) -> None:
    """Whether a review decision may be recorded; ValueError naming the field if not.

    Every decision carries a rationale (the APP: "all reviews that result in a decision to
    retain records must be recorded"); a retain sets the next review; a disposal needs the
    records past their earliest disposal date and no legal hold.
    """
    if len(rationale.strip()) < 10:
        raise ValueError("rationale: say why, in at least 10 characters")
    if decision is Decision.RETAIN:
        if next_review is None or next_review <= today:
            raise ValueError("next_review: a retain decision sets a review date after today")
        return
    if on_hold:
        raise ValueError("person_id: the records are under a legal hold and cannot be disposed of")
    if today < due.earliest_disposal:
        raise ValueError(
            f"person_id: the records may not be disposed of before {due.earliest_disposal} "
            f"({due.group})"
        )


def worklist(dues: Iterable[ReviewDue], today: date, *, horizon_days: int = 0) -> list[ReviewDue]:
    """Reviews due by ``today`` (plus ``horizon_days``), the most overdue first."""
    cutoff = date.fromordinal(today.toordinal() + horizon_days)
    return sorted(
        (d for d in dues if d.review_on <= cutoff), key=lambda d: (d.review_on, d.person_id)
    )


def parse_policy(
    raw: object, origin: str, base: Mapping[str, object] | None = None
) -> RetentionPolicy:
    """Build the policy from settings (a force file overlaid on the package defaults).

    Raises:
        ValidationFailed: naming the file and the field that is wrong.
    """

    def fail(field: str, problem: str) -> ValidationFailed:
        return ValidationFailed(f"{origin}: {field}: {problem}")

    if not isinstance(raw, Mapping):
        raise fail("(top)", "must be a mapping of settings")
    merged: dict[str, object] = dict(base or {})
    for key, value in raw.items():
        current = merged.get(key)
        if key in ("groups", "suspect_offence_groups") and isinstance(current, Mapping):
            inner: dict[object, object] = dict(current)
            if not isinstance(value, Mapping):
                raise fail(str(key), "must be a mapping")
            for k, v in value.items():
                old = inner.get(k)
                inner[k] = (
                    {**old, **v} if isinstance(v, Mapping) and isinstance(old, Mapping) else v
                )
            merged[key] = inner
        elif key in ("minimum_years", "default_group", "groups", "suspect_offence_groups"):
            merged[key] = value
        else:
            raise fail(str(key), "unknown setting")

    def years(field: str, value: object, floor: int = 1) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not floor <= value <= 150:
            raise fail(field, f"must be a whole number of years from {floor} to 150")
        return value

    minimum = years("minimum_years", merged.get("minimum_years"))
    groups_raw = merged.get("groups")
    if not isinstance(groups_raw, Mapping) or not groups_raw:
        raise fail("groups", "must name at least one group")
    groups: dict[str, RetentionGroup] = {}
    for code, g in groups_raw.items():
        where = f"groups.{code}"
        if not isinstance(g, Mapping):
            raise fail(where, "must be a mapping")
        unknown = set(g) - {"label", "review_years", "retain_until_age", "verified"}
        if unknown:
            raise fail(f"{where}.{sorted(unknown)[0]}", "unknown setting")
        age = g.get("retain_until_age")
        groups[str(code)] = RetentionGroup(
            code=str(code),
            label=str(g.get("label") or code),
            review_years=years(f"{where}.review_years", g.get("review_years")),
            retain_until_age=None if age is None else years(f"{where}.retain_until_age", age),
            verified=bool(g.get("verified", False)),
        )
    default = merged.get("default_group")
    if default not in groups:
        raise fail("default_group", f"must be one of {', '.join(sorted(groups))}")
    mapping_raw = merged.get("suspect_offence_groups") or {}
    if not isinstance(mapping_raw, Mapping):
        raise fail("suspect_offence_groups", "must be a mapping")
    mapping: dict[str, str] = {}
    for offence_group, code in mapping_raw.items():
        if code not in groups:
            raise fail(f"suspect_offence_groups.{offence_group}", f"unknown group {code!r}")
        mapping[str(offence_group)] = str(code)
    return RetentionPolicy(groups, minimum, mapping, str(default))
