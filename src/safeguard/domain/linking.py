"""Person linking, the pure part: normalising mentions, hard negatives, constraints, stable ids.

Splink (in ``safeguard.adapters.linkage``) scores pairs of mentions; everything here decides what
those scores mean for people: which mentions cannot be linked at all, which merges would join two
different people (twins, father and son), which analyst decisions every run must obey, which
person id a cluster keeps, and which uncertain pair an analyst should look at first.

The adapter computes the same features in SQL for whole tables (``FEATURE_SQL``); an integration
test checks that both give identical results.

About 640 lines on purpose: normalising, hard negatives, analyst constraints, clustering and
stable ids are one model of what scores mean for people. The force's thresholds are already in
``linking_policy``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

# --- normalisation ---------------------------------------------------------------------------

_NOT_LETTERS = re.compile(r"[^a-z \-]")
_SPACES = re.compile(r"\s+")
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_TITLES = frozenset({"mr", "mrs", "miss", "ms", "dr", "mx", "sir", "rev"})
# "Jr" / "Sr" written after a forename or a surname: the generation, not a name.
JUNIOR = frozenset({"jr", "jnr", "junior"})
SENIOR = frozenset({"sr", "snr", "senior"})
GENERATION_WORDS = JUNIOR | SENIOR
# Two birth years this far apart are a generation apart (parent and child): the linking guard
# never joins them, and the link review warns of it.
GENERATION_GAP_YEARS = 14
# Two dates of birth this many birth years apart (and not a typo or swap of each other) are two
# people's, whatever the forenames (guard ``dob_apart``; one year was measured and not taken).
DOB_APART_YEARS = 2


def generation_suffix(*values: str | None) -> str | None:
    """``junior`` or ``senior`` where a name carries Jr / Sr (Junior, Snr...), else None.

    Examples:
        >>> generation_suffix("John Jr", "Smith")
        'junior'
        >>> generation_suffix("John", "Smith Snr.")
        'senior'
    """
    words: set[str] = set()
    for value in values:
        norm = normalise_name(value)
        if norm is not None:
            words.update(re.split(r"[ \-]+", norm))
    if words & JUNIOR:
        return "junior"
    if words & SENIOR:
        return "senior"
    return None


def normalise_name(value: str | None) -> str | None:
    """Lower case, accents and punctuation removed, hyphens kept, single spaces; None if empty.

    Examples:
        >>> normalise_name("  O'Brien-Smith ")
        'obrien-smith'
        >>> normalise_name("Zoë")
        'zoe'
    """
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    text = text.replace("'", "").replace(".", " ")
    text = _NOT_LETTERS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(" -")
    text = re.sub(r"\s*-\s*", "-", text)
    return text or None


def split_forenames(value: str | None) -> tuple[str | None, str | None]:
    """First forename and the remaining forenames (titles dropped)."""
    norm = normalise_name(value)
    if norm is None:
        return None, None
    parts = [
        p
        for p in norm.replace("-", " ").split(" ")
        if p and p not in _TITLES and p not in GENERATION_WORDS
    ]
    if not parts:
        return None, None
    return parts[0], (" ".join(parts[1:]) or None)


def normalise_surname(value: str | None) -> str | None:
    """A normalised surname with its parts joined by single hyphens (``Smith Jones`` and
    ``smith-jones`` are the same).

    Examples:
        >>> normalise_surname("Smith  - Jones")
        'smith-jones'
    """
    norm = normalise_name(value)
    if norm is None:
        return None
    return "-".join(p for p in re.split(r"[ \-]+", norm) if p and p not in GENERATION_WORDS) or None


def surname_parts(surname: str | None) -> tuple[str | None, str | None]:
    """First and last part of a double-barrelled or hyphenated surname (both the name if single).

    Examples:
        >>> surname_parts("smith-jones")
        ('smith', 'jones')
    """
    if surname is None:
        return None, None
    parts = [p for p in re.split(r"[ \-]", surname) if p]
    if not parts:
        return None, None
    return parts[0], parts[-1]


FORMAL_NAME_MIN_NICKNAMES = 3


@lru_cache(maxsize=1)
def nickname_table() -> dict[str, str]:
    """Forename -> its canonical form, from the maintained ``nicknames`` list (Bob -> robert).

    A nickname maps to the formal name with the most nicknames among those it is a nickname of
    (one step only, so names do not chain); names with several nicknames of their own are formal
    and map to themselves.
    """
    from nicknames import NickNamer  # pure-Python data package, imported lazily

    namer = NickNamer()
    nick_of = namer.nickname_lookup
    table: dict[str, str] = {}
    names = set(nick_of) | set(namer.canonical_lookup)
    for name in names:
        if len(nick_of.get(name, ())) >= FORMAL_NAME_MIN_NICKNAMES:
            continue  # a formal name in its own right (john, michael): never rewritten
        options = [c for c in namer.canonicals_of(name) if len(c) >= len(name)]
        if options:
            table[name] = max(options, key=lambda o: (len(nick_of.get(o, ())), _rev(o)))
    return table


def _rev(text: str) -> tuple[int, ...]:
    # Ties go to the alphabetically first name: max() over negated code points.
    return tuple(-ord(c) for c in text)


@lru_cache(maxsize=1)
def forename_variant_table() -> dict[str, tuple[str, ...]]:
    """Forename -> the names it may be recorded as: itself, its nicknames and the formal names it
    is a nickname of (Kay -> catherine, katherine, ...), from the ``nicknames`` package."""
    from nicknames import NickNamer

    namer = NickNamer()
    names = set(namer.nickname_lookup) | set(namer.canonical_lookup)
    return {n: tuple(sorted({n} | namer.nicknames_of(n) | namer.canonicals_of(n))) for n in names}


def forename_variants(first: str | None) -> tuple[str, ...]:
    """Sorted variants of a normalised first forename (just the name if it has none)."""
    if first is None:
        return ()
    return forename_variant_table().get(first, (first,))


def other_name_parts(value: str | None) -> tuple[str | None, str | None]:
    """(first forename, surname) of one recorded other name (an alias, a previous or maiden
    name), normalised as forenames are: the first word is a forename only where the name has two
    or more words; the last word is its surname (one word alone is a previous surname).

    Examples:
        >>> other_name_parts("Raymond  FISHER")
        ('raymond', 'fisher')
        >>> other_name_parts("Ramgate")
        (None, 'ramgate')
    """
    norm = normalise_name(value)
    if norm is None:
        return None, None
    words = [
        p
        for p in norm.replace("-", " ").split(" ")
        if p and p not in _TITLES and p not in GENERATION_WORDS
    ]
    if not words:
        return None, None
    return (words[0] if len(words) > 1 else None), words[-1]


def other_names_features(
    values: Iterable[str] | None,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(canonical other forenames, their forms as written and canonical, other surnames) of a
    mention's recorded other names, each sorted and without repeats."""
    fores: set[str] = set()
    forms: set[str] = set()
    surnames: set[str] = set()
    for value in values or ():
        first, last = other_name_parts(value)
        if first is not None:
            canon = canonical_forename(first) or first
            fores.add(canon)
            forms.update((first, canon))
        if last is not None:
            surnames.add(last)
    return tuple(sorted(fores)), tuple(sorted(forms)), tuple(sorted(surnames))


def canonical_forename(first: str | None) -> str | None:
    """The canonical form of a normalised first forename, e.g. ``bob`` -> ``robert``."""
    if first is None:
        return None
    return nickname_table().get(first, first)


def normalise_postcode(value: str | None) -> tuple[str | None, str | None, str | None]:
    """(postcode, sector, district) for a UK postcode; other formats keep only the code.

    Examples:
        >>> normalise_postcode("ca1 2ab")
        ('CA1 2AB', 'CA1 2', 'CA1')
    """
    if value is None:
        return None, None, None
    compact = re.sub(r"[^A-Z0-9]", "", value.upper())
    if not compact:
        return None, None, None
    match = _UK_POSTCODE.match(compact)
    if match is None:
        return compact, None, None
    outward, inward = match.groups()
    return f"{outward} {inward}", f"{outward} {inward[0]}", outward


def normalise_phone(value: str | None) -> str | None:
    """Digits only, +44 / 0044 written as a leading 0; None if fewer than 6 digits."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", value)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 6 else None


def normalise_address(value: str | None) -> str | None:
    """Lower case, punctuation removed, single spaces."""
    if value is None:
        return None
    text = re.sub(r"[^a-z0-9 ]", " ", value.lower())
    text = _SPACES.sub(" ", text).strip()
    return text or None


def swapped_day_month(dob: date | None) -> str | None:
    """The ISO date with day and month exchanged, where that is a real date and differs."""
    if dob is None or dob.day > 12 or dob.day == dob.month:
        return None
    return date(dob.year, dob.day, dob.month).isoformat()


def _years_before(day: date, years: int) -> date:
    """``day`` so many years earlier (29 February to 28 February, as DuckDB's interval does)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_birth_dates(age: int | None, mention_date: date | None) -> tuple[str | None, str | None]:
    """The first and last date of birth with which a person is ``age`` on ``mention_date``
    (ISO dates), or (None, None) without both."""
    if age is None or mention_date is None or age < 0:
        return None, None
    try:
        last = _years_before(mention_date, age)
        first = _years_before(mention_date, age + 1) + timedelta(days=1)
    except ValueError:  # before year 1
        return None, None
    return first.isoformat(), last.isoformat()


# --- why a mention cannot be linked ---------------------------------------------------------

EARLIEST_BIRTH = date(1900, 1, 1)
# Dates a records system enters for "not known" (1 January 1900, its earliest date): not a date
# of birth, so read as missing (the mention is still linked, on its other fields and its age).
# Read as a date, a placeholder put its person a generation apart from their own other records.
PLACEHOLDER_BIRTH_DATES = (date(1900, 1, 1),)


class UnlinkableReason(StrEnum):
    """Why a mention is kept as its own person and shown to analysts instead of being linked."""

    NO_NAME = "no_name"
    INITIALS_ONLY = "initials_only"
    IMPOSSIBLE_DATE_OF_BIRTH = "impossible_date_of_birth"
    SINGLE_FIELD = "single_field"


UNLINKABLE_DESCRIPTIONS: dict[UnlinkableReason, str] = {
    UnlinkableReason.NO_NAME: "no forename and no surname recorded",
    UnlinkableReason.INITIALS_ONLY: "forename and surname are initials only",
    UnlinkableReason.IMPOSSIBLE_DATE_OF_BIRTH: (
        "date of birth too early (before 1900 by default), in the future or after the record"
    ),
    UnlinkableReason.SINGLE_FIELD: "only one identifying field recorded",
}


def unlinkable_reason(
    *,
    forename: str | None,
    surname: str | None,
    date_of_birth: date | None,
    age: int | None,
    postcode: str | None,
    address: str | None,
    phone: str | None,
    mention_date: date | None,
    today: date,
    earliest_birth: date = EARLIEST_BIRTH,
) -> UnlinkableReason | None:
    """The reason a normalised mention cannot be linked, or None when it can.

    Names are normalised (``normalise_name``/``split_forenames``); checks run in the order of the
    enum, so a mention with no name is reported as such even if its date is also impossible.
    """
    if forename is None and surname is None:
        return UnlinkableReason.NO_NAME
    if len(forename or "") <= 1 and len(surname or "") <= 1:
        return UnlinkableReason.INITIALS_ONLY
    if date_of_birth is not None:
        latest = min(today, mention_date) if mention_date is not None else today
        if date_of_birth < earliest_birth or date_of_birth > latest:
            return UnlinkableReason.IMPOSSIBLE_DATE_OF_BIRTH
    identifying = [forename, surname, date_of_birth, age, postcode, address, phone]
    if sum(v is not None for v in identifying) <= 1:
        return UnlinkableReason.SINGLE_FIELD
    return None


# --- one mention's features ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MentionFeatures:
    """What the linking model compares: one normalised mention."""

    mention_id: int
    forename: str | None
    middle_names: str | None
    forename_canon: str | None
    forename_variants: tuple[str, ...]
    surname: str | None
    surname_first: str | None
    surname_last: str | None
    dob: str | None
    dob_swapped: str | None
    birth_year: int | None
    #: an age only: the first and last date of birth giving that age on the record's date
    born_from: str | None
    born_to: str | None
    sex: str | None
    postcode: str | None
    postcode_sector: str | None
    postcode_district: str | None
    address: str | None
    phone: str | None
    pnc_id: str | None
    unlinkable: UnlinkableReason | None
    generation: str | None = None  # "junior" / "senior" from a Jr / Sr in the name
    #: canonical first forenames of the recorded other names (aliases, known-as names)
    other_forenames: tuple[str, ...] = ()
    #: surnames of the recorded other names (aliases, previous and maiden names)
    other_surnames: tuple[str, ...] = ()
    #: the latest date of birth the record itself allows: whoever it names was born by its date
    #: (``mention_date``); with or without a date of birth or age (the ``generation`` guard)
    born_by: str | None = None


def mention_features(
    raw: Mapping[str, object], *, today: date, earliest_birth: date = EARLIEST_BIRTH
) -> MentionFeatures:
    """Normalise one person mention (storage column names) into ``MentionFeatures``."""

    def text(key: str) -> str | None:
        value = raw.get(key)
        return None if value is None or str(value).strip() == "" else str(value)

    forename, middle = split_forenames(text("forenames"))
    surname = normalise_surname(text("surname"))
    dob = raw.get("date_of_birth")
    dob = dob if isinstance(dob, date) and dob not in PLACEHOLDER_BIRTH_DATES else None
    mention_date = raw.get("mention_date")
    mention_date = mention_date if isinstance(mention_date, date) else None
    age = raw.get("age")
    age = int(age) if isinstance(age, int) else None
    postcode, sector, district = normalise_postcode(text("postcode"))
    address = normalise_address(text("address"))
    phone = normalise_phone(text("phone"))
    reason = unlinkable_reason(
        forename=forename,
        surname=surname,
        date_of_birth=dob,
        age=age,
        postcode=postcode,
        address=address,
        phone=phone,
        mention_date=mention_date,
        today=today,
        earliest_birth=earliest_birth,
    )
    if reason is UnlinkableReason.IMPOSSIBLE_DATE_OF_BIRTH:
        dob = None
    birth_year: int | None = dob.year if dob is not None else None
    if birth_year is None and age is not None and mention_date is not None:
        birth_year = mention_date.year - age
    born_from, born_to = age_birth_dates(age, mention_date) if dob is None else (None, None)
    sex = text("sex")
    first, last = surname_parts(surname)
    pnc = text("pnc_id")
    others = raw.get("other_names")
    if isinstance(others, str):  # a CSV field: names joined with ';'
        others = others.split(";")
    other_fores, other_forms, other_surnames = other_names_features(
        [str(v) for v in others] if isinstance(others, list | tuple) else None
    )
    variants = forename_variants(forename)
    if forename is not None and other_forms:
        variants = tuple(sorted(set(variants) | set(other_forms)))
    return MentionFeatures(
        mention_id=int(raw["id"]),  # type: ignore[call-overload]
        forename=forename,
        middle_names=middle,
        forename_canon=canonical_forename(forename),
        forename_variants=variants,
        surname=surname,
        surname_first=first,
        surname_last=last,
        dob=dob.isoformat() if dob is not None else None,
        dob_swapped=swapped_day_month(dob),
        birth_year=birth_year,
        born_from=born_from,
        born_to=born_to,
        sex=sex if sex in ("male", "female") else None,
        postcode=postcode,
        postcode_sector=sector,
        postcode_district=district,
        address=address,
        phone=phone,
        pnc_id=pnc.upper().replace(" ", "") if pnc else None,
        unlinkable=reason,
        generation=generation_suffix(text("forenames"), text("surname")),
        other_forenames=other_fores,
        other_surnames=other_surnames,
        born_by=mention_date.isoformat() if mention_date is not None else None,
    )


# --- clustering with analysts' constraints and the model's hard negatives -------------------


@dataclass(frozen=True, slots=True)
class Constraints:
    """Pairs of mentions that must, or must not, be one person.

    ``must_link`` and ``cannot_link`` come from analysts' confirm and split decisions. ``different``
    are the model's hard negatives: pairs that look alike (same surname, and the same date of birth
    or forename) yet score as clearly different people, such as twins, siblings at one address, or
    father and son with one name. No chain of other links may join them.
    """

    must_link: frozenset[tuple[int, int]] = frozenset()
    cannot_link: frozenset[tuple[int, int]] = frozenset()
    different: frozenset[tuple[int, int]] = frozenset()

    @staticmethod
    def pair(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True)
class RefusedMerge:
    """A scored pair the clustering would not merge, and why (for the review queue)."""

    left: int
    right: int
    probability: float
    reason: str


@dataclass(frozen=True, slots=True)
class Clustering:
    cluster_of: dict[int, int]
    refused: list[RefusedMerge]


def cluster_mentions(
    nodes: Iterable[int],
    edges: Iterable[tuple[int, int, float]],
    *,
    threshold: float,
    constraints: Constraints = Constraints(),
    isolated: Iterable[int] = (),
    known_person: Mapping[int, int] | None = None,
) -> Clustering:
    """Constrained clustering: the strongest links first, never joining two mentions that an
    analyst split or that the model found to be look-alike different people (a hard negative):
    twins joined through a mention with only an initial, or father and son joined through an
    undated mention, stay apart.

    Must-link pairs are merged first (an analyst has looked, so they override hard negatives but
    not cannot-links). Mentions in ``isolated`` (unlinkable ones) stay on their own unless an
    analyst must-linked them. ``known_person`` (for a delta) pre-forms each known person's
    mentions into one cluster and never merges two known people.

    Returns the cluster id (the smallest mention id in it) of every node, and the refused merges.
    """
    parent: dict[int, int] = {n: n for n in nodes}
    members: dict[int, list[int]] = {n: [n] for n in parent}
    analyst_cannot: dict[int, set[int]] = {}
    model_cannot: dict[int, set[int]] = {}
    for pairs, index in (
        (constraints.cannot_link, analyst_cannot),
        (constraints.different, model_cannot),
    ):
        for a, b in pairs:
            if a in parent and b in parent:
                index.setdefault(a, set()).add(b)
                index.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    # Constraints are kept between roots: ``index[root]`` is the set of roots of clusters that
    # root's cluster may not join, updated at each union, so a check is one set lookup.
    def crosses(index: dict[int, set[int]], ra: int, rb: int) -> bool:
        return rb in index.get(ra, ())

    def union(ra: int, rb: int) -> None:
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
        for index in (analyst_cannot, model_cannot):
            gone = index.pop(rb, None)
            if gone is None:
                continue
            for other in gone:
                others = index[other]
                others.discard(rb)
                others.add(ra)
            index.setdefault(ra, set()).update(gone)

    label: dict[int, int] = {}
    if known_person:
        first: dict[int, int] = {}
        for m in sorted(parent):
            person = known_person.get(m)
            if person is None:
                continue
            if person in first:
                union(find(first[person]), find(m))
            else:
                first[person] = m
            label[find(m)] = person

    def labels_differ(ra: int, rb: int) -> bool:
        la, lb = label.get(ra), label.get(rb)
        return la is not None and lb is not None and la != lb

    def join(ra: int, rb: int) -> None:
        la = label.pop(ra, None)
        lb = label.pop(rb, None)
        union(ra, rb)
        if la is not None or lb is not None:
            label[find(ra)] = la if la is not None else lb  # type: ignore[assignment]

    refused: list[RefusedMerge] = []
    for a, b in sorted(constraints.must_link):
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb and not crosses(analyst_cannot, ra, rb) and not labels_differ(ra, rb):
                join(ra, rb)
    isolated_set = set(isolated)
    for a, b, p in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
        if p < threshold:
            break
        if a not in parent or b not in parent:
            continue
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if a in isolated_set or b in isolated_set:
            refused.append(RefusedMerge(a, b, p, "unlinkable_mention"))
        elif crosses(analyst_cannot, ra, rb):
            refused.append(RefusedMerge(a, b, p, "analyst_split"))
        elif labels_differ(ra, rb):
            refused.append(RefusedMerge(a, b, p, "joins_two_known_people"))
        elif crosses(model_cannot, ra, rb):
            refused.append(RefusedMerge(a, b, p, "joins_look_alike_people"))
        else:
            join(ra, rb)
    cluster_of: dict[int, int] = {}
    for group in members.values():
        smallest = min(group)
        for m in group:
            cluster_of[m] = smallest
    return Clustering(cluster_of, refused)


# --- stable person ids ----------------------------------------------------------------------


def assign_person_ids(
    cluster_of: Mapping[int, Hashable],
    previous_person_of: Mapping[int, int],
    new_person_id: Callable[[], int],
) -> dict[Hashable, int]:
    """Give every cluster a person id, keeping old ids where the people are the same.

    Each cluster takes the previous person it shares the most mentions with (ties: the lower
    person id), each previous person at most once; other clusters get a new id. A re-run on
    unchanged records therefore returns exactly the previous ids.
    """
    overlap: Counter[tuple[Hashable, int]] = Counter()
    for mention, cluster in cluster_of.items():
        person = previous_person_of.get(mention)
        if person is not None:
            overlap[(cluster, person)] += 1
    ranked = sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][1], str(kv[0][0])))
    result: dict[Hashable, int] = {}
    used: set[int] = set()
    for (cluster, person), _n in ranked:
        if cluster in result or person in used:
            continue
        result[cluster] = person
        used.add(person)
    for cluster in sorted(set(cluster_of.values()), key=str):
        if cluster not in result:
            result[cluster] = new_person_id()
    return result


# --- the review queue -----------------------------------------------------------------------

SUSPECT_ROLES = frozenset({"suspect"})
PROTECTED_ROLES = frozenset({"victim", "missing_person", "child_present"})


@dataclass(frozen=True, slots=True)
class ReviewPriority:
    score: float
    reason: str


def review_priority(
    probability: float,
    roles_left: Iterable[str],
    roles_right: Iterable[str],
    *,
    history_left: int = 1,
    history_right: int = 1,
) -> ReviewPriority:
    """How urgently an analyst should decide an uncertain pair: by what the decision changes.

    A link that would join a suspect's history to a victim's (or a missing or present child's)
    comes first, then links touching a protected person, then the rest; within each, the closer
    the model is to 50/50 and the longer the histories joined, the higher.
    """
    left, right = set(roles_left), set(roles_right)
    if (left & SUSPECT_ROLES and right & PROTECTED_ROLES) or (
        right & SUSPECT_ROLES and left & PROTECTED_ROLES
    ):
        weight, reason = 100.0, "joins_suspect_and_victim"
    elif (left | right) & PROTECTED_ROLES:
        weight, reason = 10.0, "involves_protected_person"
    elif (left | right) & SUSPECT_ROLES:
        weight, reason = 5.0, "involves_suspect"
    else:
        weight, reason = 1.0, "uncertain_match"
    uncertainty = 1.0 - min(1.0, abs(probability - 0.5) * 2.0)
    size = math.log1p(history_left + history_right)
    return ReviewPriority(round(weight * (1.0 + uncertainty) * (1.0 + size), 6), reason)


# --- accuracy --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairwiseScores:
    """Cluster-level pairwise precision, recall and F1 (pairs of records placed together)."""

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(
    predicted: Mapping[Hashable, Hashable], truth: Mapping[Hashable, Hashable]
) -> PairwiseScores:
    """Compare a predicted clustering with the true one over the records both cover."""
    keys: Sequence[Hashable] = [k for k in predicted if k in truth]
    pred_sizes = Counter(predicted[k] for k in keys)
    true_sizes = Counter(truth[k] for k in keys)
    both = Counter((predicted[k], truth[k]) for k in keys)
    correct = sum(_pairs(n) for n in both.values())
    pred = sum(_pairs(n) for n in pred_sizes.values())
    true = sum(_pairs(n) for n in true_sizes.values())
    precision = correct / pred if pred else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(precision, recall, f1, true, pred, correct)
