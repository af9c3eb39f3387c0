"""The Splink models: safeguard's domain model for police data, and a generic tutorial model.

The domain model compares normalised features (``features.feature_sql``) with levels police data
needs: nicknames and initials, swapped forename and surname, hyphenated and changed surnames,
day/month swaps and one-digit typos in dates of birth, age-only mentions against dates of birth,
postcode sector and district, address, phone and PNC id. Hard negatives (twins, siblings, father
and son) are refused later, in ``domain.linking.cluster_mentions``.

About 740 lines: the domain model's comparisons, its training (anchor m, u from value
frequencies, EM sessions) and the generic comparison model share the feature names of
``features.feature_sql`` and the level names that the guards and the why view read. Training is
the next part to move.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.exceptions import EMTrainingException

from safeguard.adapters.linkage import frequencies
from safeguard.domain.linking import DOB_APART_YEARS, GENERATION_GAP_YEARS

logger = logging.getLogger(__name__)

# Dates of birth ``GENERATION_GAP_YEARS`` (the domain's one definition, also used by the guards
# and the Spark hard negatives) or more apart are "a generation apart".
GENERATION_M = 0.0005  # share of true matches whose dates of birth are a generation apart
GENERATION_LABEL = "a generation apart"
SQL = "duckdb"  # custom levels are written in DuckDB SQL and translated for Spark by Splink

# Forename and surname fields swapped: one's forename is the other's surname and one's surname
# (its first part) the other's forename. The first part, because a swapped record puts the
# forenames box, middle names and all, in the surname ("SMITH, JOHN MICHAEL": surname
# john-michael), and a double-barrelled surname in the forenames (forename smith, middle jones).
SWAPPED = (
    "forename_l <> surname_l and ("
    "(forename_l = surname_r and surname_first_l = forename_r) "
    "or (forename_r = surname_l and surname_first_r = forename_l))"
)
# Swapped, one of the two names also mistyped (Levenshtein, a native function on DuckDB and Spark).
SWAPPED_TYPO = (
    "forename_l <> surname_l and forename_r <> surname_r and ("
    "(forename_l = surname_r and levenshtein(surname_l, forename_r) <= 2) "
    "or (surname_l = forename_r and levenshtein(forename_l, surname_r) <= 2))"
)
# One name recorded in the other's place (the forename given as the surname, the other name
# replaced): counted once, in the forename comparison, so the one agreement is not doubled.
NAME_CROSSED = "(forename_l = surname_r or forename_r = surname_l) and forename_l <> surname_l"


# One of the two gives an age only (its birth year estimated from the age): the birth years agree
# within one. A level for two years off (a command-and-control log's estimates) was measured and
# dropped: police 100k recall +0.15 points, siblings merged 1.1% -> 2.7% (docs/benchmarks.md).
AGE_AGREES = "(dob_l is null or dob_r is null) and abs(birth_year_l - birth_year_r) <= 1"
# The age is exactly right on the record's date: the other's date of birth lies among the dates
# of birth that give that age then (``born_from``-``born_to``, a year wide), or two ages' ranges
# overlap. A birth year from an age is ambiguous by one (the birthday may or may not have come),
# so "within one" spans four birth years; this level is one year wide and weighs more.
AGE_EXACT_LABEL = "age exact on the record's date"
AGE_EXACT = (
    "(dob_l is null and dob_r between born_from_l and born_to_l) "
    "or (dob_r is null and dob_l between born_from_r and born_to_r) "
    "or (born_from_l <= born_to_r and born_from_r <= born_to_l)"
)

# One's forename is among the other's recorded other names (an alias or known-as name given on
# a record of the person, or on another record written as that one is: ``features.feature_sql``
# pools the other names of mentions with one forename, surname and date of birth).
OTHER_FORENAME_LABEL = "recorded other name"
OTHER_FORENAME = (
    "list_contains(other_forenames_l, forename_canon_r) "
    "or list_contains(other_forenames_r, forename_canon_l)"
)
# One's surname (or a part of a double-barrelled one) is among the other's recorded other names
# (a maiden or previous surname, an alias's surname).
OTHER_SURNAME_LABEL = "recorded other surname"
OTHER_SURNAME = " or ".join(
    f"list_contains(other_surnames_{a}, {part}_{b})"
    for a, b in (("l", "r"), ("r", "l"))
    for part in ("surname", "surname_first", "surname_last")
)  # list_contains, not list_has_any: Splink translates it for Spark


# The exact name levels are frequency-adjusted, downwards only (``frequencies``: a common name
# in one naming tradition says less than the average name; the counts are saved with the model).
TERM_FREQUENCIES = True


def _forename() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="forename",
        comparison_levels=[
            cll.NullLevel("forename"),
            cll.ExactMatchLevel("forename", TERM_FREQUENCIES).configure(label_for_charts="exact"),
            cll.CustomLevel(SWAPPED, "forename and surname swapped", SQL),
            cll.ExactMatchLevel("forename_canon").configure(label_for_charts="nickname"),
            cll.CustomLevel(OTHER_FORENAME, OTHER_FORENAME_LABEL, SQL),
            cll.ArrayIntersectLevel("forename_variants", 1).configure(
                label_for_charts="known name variant"
            ),
            cll.JaroWinklerLevel("forename", 0.92),
            cll.CustomLevel(SWAPPED_TYPO, "swapped, one name mistyped", SQL),
            cll.CustomLevel(
                "(length(forename_l) = 1 or length(forename_r) = 1) "
                "and substr(forename_l, 1, 1) = substr(forename_r, 1, 1)",
                "initial matches",
                SQL,
            ),
            cll.CustomLevel(
                "forename_l = middle_names_r or forename_r = middle_names_l",
                "known by a middle name",
                SQL,
            ),
            cll.CustomLevel(NAME_CROSSED, "one's forename is the other's surname", SQL),
            cll.ElseLevel(),
        ],
    )


def _counted_in_forename(level: cll.CustomLevel) -> ComparisonLevelCreator:
    """A swap level of the surname comparison, weightless (m = u, both fixed): one crosswise
    agreement of both names is one piece of evidence, weighed once by the forename comparison's
    level of the same condition (whose u is the chance of exactly that joint agreement). Counting
    it in both would let two unrelated people called Jack Ryan and Ryan Jack link on names alone.
    The level stays so that a swapped pair does not fall to "else" and count as disagreeing."""
    return level.configure(
        m_probability=0.5, u_probability=0.5, fix_m_probability=True, fix_u_probability=True
    )


def _surname() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname", TERM_FREQUENCIES).configure(label_for_charts="exact"),
            _counted_in_forename(cll.CustomLevel(SWAPPED, "forename and surname swapped", SQL)),
            cll.CustomLevel(OTHER_SURNAME, OTHER_SURNAME_LABEL, SQL),
            cll.CustomLevel(
                "surname_first_l = surname_first_r or surname_first_l = surname_last_r "
                "or surname_last_l = surname_first_r or surname_last_l = surname_last_r",
                "one part of a double-barrelled name",
                SQL,
            ),
            cll.JaroWinklerLevel("surname", 0.92),
            _counted_in_forename(cll.CustomLevel(SWAPPED_TYPO, "swapped, one name mistyped", SQL)),
            cll.JaroWinklerLevel("surname", 0.8),
            cll.ElseLevel(),
        ],
    )


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.CustomLevel(
                "(dob_l is null or dob_r is null) "
                "and (birth_year_l is null or birth_year_r is null)",
                "null",
                SQL,
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("dob").configure(label_for_charts="exact"),
            cll.CustomLevel("dob_swapped_l = dob_r", "day and month swapped", SQL),
            # one mistyped digit, or two adjacent digits swapped (1985 / 1958): year typos too
            cll.DamerauLevenshteinLevel("dob", 1),
            cll.CustomLevel(AGE_EXACT, AGE_EXACT_LABEL, SQL),
            cll.CustomLevel(AGE_AGREES, "age agrees with date of birth", SQL),
            # Father and son with one name at one address agree on everything else, so EM
            # alone learns that dates a generation apart are common among matches. They are not:
            # this level's m is fixed from domain knowledge, not estimated.
            cll.CustomLevel(
                "dob_l is not null and dob_r is not null "
                f"and abs(birth_year_l - birth_year_r) >= {GENERATION_GAP_YEARS}",
                GENERATION_LABEL,
                SQL,
            ).configure(m_probability=GENERATION_M, fix_m_probability=True),
            cll.ElseLevel(),
        ],
    )


def _address() -> cl.CustomComparison:
    """Where the person lives, as one comparison: postcode and address are not independent
    evidence (one address has one postcode), so counting both would double a household's weight.
    """
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel(
                "(address_l is null or address_r is null) "
                "and (postcode_l is null or postcode_r is null)",
                "null",
                SQL,
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "address_l = address_r and coalesce(postcode_l = postcode_r, true)",
                "same address",
                SQL,
            ),
            cll.And(
                cll.JaroWinklerLevel("address", 0.9),
                cll.CustomLevel("coalesce(postcode_l = postcode_r, true)", None, SQL),
            ).configure(label_for_charts="same address, spelt differently"),
            # a postcode mistyped on the same street address says more than a near postcode alone
            cll.And(
                cll.JaroWinklerLevel("address", 0.9),
                cll.DamerauLevenshteinLevel("postcode", 1),
            ).configure(label_for_charts="same address, postcode mistyped"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode"),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="postcode sector"),
            cll.ExactMatchLevel("postcode_district").configure(
                label_for_charts="postcode district"
            ),
            cll.DamerauLevenshteinLevel("postcode", 1),
            # Where "address" is a place rather than a street (a birth place, a town), records of
            # one person share it with different postcodes; EM learns how much that says here.
            cll.ExactMatchLevel("address").configure(
                label_for_charts="same address, different postcode"
            ),
            cll.ElseLevel(),
        ],
    )


def _identifier(column: str) -> cl.CustomComparison:
    """Phone numbers and PNC ids: exact, or one mistyped or transposed character."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.DamerauLevenshteinLevel(column, 1),
            cll.ElseLevel(),
        ],
    )


def domain_settings() -> SettingsCreator:
    """Settings of safeguard's model (untrained: EM fills in m and u)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _forename(),
            _surname(),
            _dob(),
            _address(),
            _identifier("phone"),
            _identifier("pnc_id"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=domain_blocking_rules(),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


# Candidate pairs: wide enough for typos, swaps and missing dates, tight enough for 1M mentions.
# Two rules of the past (date of birth with postcode, forename with postcode) are left out of the
# batch prediction: every pair they find, the postcode alone finds (each rule's join is made and
# its pairs thrown away again as pairs of an earlier rule, measured at 1M in docs/benchmarks.md,
# "linkspeed14"); ``link_one`` still looks records up by them (``REALTIME_KEYS``).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("forename_canon", "surname"),
    ("surname", "dob"),
    ("forename_canon", "dob"),
    ("postcode",),
    ("surname", "birth_year", "postcode_district"),
    ("address",),
    ("phone",),
    ("pnc_id",),
)
# The look-alike guard reads the pairs scored as clearly two people that agree on the surname and
# on the date of birth or the forename: exactly the pairs of these two rules, which lead
# ``BLOCKING_KEYS`` so that Splink gives every such pair one of their match keys.
LOOK_ALIKE_KEYS: tuple[tuple[str, ...], ...] = (("forename_canon", "surname"), ("surname", "dob"))
SWAP_RULE = "l.forename = r.surname and l.surname = r.forename"
# A mention written under a name another mention records as the person's other name (an alias
# with its own surname shares neither forename nor surname with the person's usual records).
OTHER_NAME_RULE = (
    "l.dob = r.dob and (list_contains(l.other_forenames, r.forename_canon) "
    "or list_contains(r.other_forenames, l.forename_canon))"
)
# ``link_one`` looks a record up by every key but postcode alone: a whole postcode's mentions
# would be scored for each lookup; date of birth or forename with the postcode find the person.
REALTIME_KEYS: tuple[tuple[str, ...], ...] = (
    ("forename_canon", "surname"),
    ("surname", "dob"),
    ("forename_canon", "dob"),
    ("dob", "postcode"),
    ("forename_canon", "postcode"),
    ("surname", "birth_year", "postcode_district"),
    ("address",),
    ("phone",),
    ("pnc_id",),
)


def look_alike_match_keys(model_json: dict[str, Any]) -> tuple[str, ...] | None:
    """Splink's match keys of the pairs the look-alike guard can use (``LOOK_ALIKE_KEYS``), in
    a model's own blocking rules (a saved model keeps the rules it was trained with); None when
    the model's rules do not begin with those two, and every weak pair is to be kept."""
    rules = [
        r.get("blocking_rule") if isinstance(r, dict) else r
        for r in model_json.get("blocking_rules_to_generate_predictions", [])
    ]
    wanted = [block_on(*keys).get_blocking_rule(SQL).blocking_rule_sql for keys in LOOK_ALIKE_KEYS]
    if rules[: len(wanted)] != wanted:
        return None
    return tuple(str(i) for i in range(len(wanted)))


def domain_blocking_rules() -> list[Any]:
    """Splink blocking rules from ``BLOCKING_KEYS`` plus forename/surname swapped and a recorded
    other name (``OTHER_NAME_RULE``)."""
    other_name = CustomRule(OTHER_NAME_RULE, sql_dialect=SQL)  # translated for Spark
    return [block_on(*keys) for keys in BLOCKING_KEYS] + [SWAP_RULE, other_name]


IDENTIFIERS = ("pnc_id", "phone")
# A phone is often a household's (a landline, a parent's mobile given for a child), so pairs
# sharing one are not one person for sure: as an anchor it is taken with the date of birth
# (measuring forenames: twins remain, so only a forename recorded once counts) or with the
# forename (training: the other fields among pairs very nearly one person).
HOUSEHOLD_IDENTIFIERS = ("phone",)
ANCHOR_KEYS: dict[str, tuple[str, ...]] = {"pnc_id": ("pnc_id",), "phone": ("phone", "dob")}
EM_ANCHORS: dict[str, tuple[str, ...]] = {
    "pnc_id": ("pnc_id",),
    "phone": ("phone", "forename_canon"),
}
GUARDS_KEY = "safeguard_guards"  # safeguard's own part of a saved model (Splink never sees it)
# The twin/sibling guard (``engine.hard_negative_sql``) is used only where forenames are reliable:
# where under this share of anchor pairs (one person for sure, or nearly) have clearly different
# forenames. Measured: a simulated force 2.9% (PNC id and phone anchors; 1.6% on the surname,
# date of birth and postcode anchor), the linkage tests' households 0%; sets that replace
# forenames wholesale between records of one person measure 5.2% (historical_50k, no
# identifiers) and 15% (FEBRL4, its social security number as the identifier).
MAX_FORENAME_DIFFER_RATE = 0.04
ANCHOR_SAMPLE_PAIRS = 500_000  # the rate is estimated on at most about this many anchor pairs
NAME_DOB_PLACE = ("surname", "dob", "postcode")


def clearly_different_forenames_sql(left: str, right: str) -> str:
    """Two full forenames that are not a variant, nickname, typo or middle name of each other
    (DuckDB SQL; ``spark.py`` translates the two function names)."""
    l, r = left, right  # noqa: E741
    return f"""(length({l}.forename) > 1 and length({r}.forename) > 1
        and {l}.forename_canon <> {r}.forename_canon
        and len(list_intersect({l}.forename_variants, {r}.forename_variants)) = 0
        and jaro_winkler_similarity({l}.forename, {r}.forename) < {TWIN_FORENAME_SIMILARITY_BELOW}
        and coalesce({l}.forename <> {r}.middle_names, true)
        and coalesce({r}.forename <> {l}.middle_names, true))"""


TWIN_FORENAME_SIMILARITY_BELOW = 0.8


def anchor_rate_sql(table: str, keys: tuple[str, ...], pairs: int, *, lone: bool = False) -> str:
    """(pairs, pairs with clearly different forenames) among pairs agreeing on every one of
    ``keys``; keys are hash-sampled so about ``ANCHOR_SAMPLE_PAIRS`` pairs are compared.

    With ``lone``, a pair counts as differing only where one of the two forenames is recorded
    once among the records agreeing on ``keys``: twins each recorded more than once under their
    own name are then not counted, a name recorded once in place of the usual one is.
    """
    every = max(1, pairs // ANCHOR_SAMPLE_PAIRS)
    on = " and ".join(f"l.{k} = r.{k}" for k in keys)
    present = " and ".join(f"{k} is not null" for k in keys)
    sample = f" and hash({keys[0]}) % {every} = 0" if every > 1 else ""
    differ = clearly_different_forenames_sql("l", "r")
    if lone:
        differ += " and (l.same_name = 1 or r.same_name = 1)"
    return (
        f"with a as (select *, count(*) over (partition by {', '.join(keys)}, forename_canon) "
        f"as same_name from {table} where {present}{sample}) "
        f"select count(*), coalesce(sum(case when {differ} then 1 else 0 end), 0) "
        f"from a as l join a as r on l.unique_id < r.unique_id and {on}"
    )


def guards_of(model_json: dict[str, Any]) -> dict[str, Any]:
    """safeguard's guard settings saved with a model (models saved before them: all guards on)."""
    return dict(model_json.get(GUARDS_KEY) or {"sibling_guard": True})


def splink_model(model_json: dict[str, Any]) -> dict[str, Any]:
    """The model as Splink reads it (without safeguard's own keys)."""
    return {k: v for k, v in model_json.items() if k not in (GUARDS_KEY, frequencies.TF_KEY)}


NAME_DOB_RULES = (block_on("dob"), block_on("forename_canon", "surname"))
MIN_IDENTIFIER_PAIRS = 200


# EM sessions train on at most about this many blocked pairs, sampled by Splink: a sample keeps
# the share of true matches among the pairs, so m converges to the same values, while a million
# mentions' date-of-birth block (about 15 million pairs) would take a minute per session.
EM_MAX_PAIRS = 1e6


def _em(linker: Linker, rule: Any, max_pairs: float | None = EM_MAX_PAIRS) -> bool:
    """One EM session; False when Splink cannot train on it (no pairs, or an underflow)."""
    sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, fix_probability_two_random_records_match=True, max_pairs=max_pairs
        )
    except EMTrainingException:
        logger.warning("EM session on %s skipped: it found no pairs", sql)
        return False
    except ValueError as exc:
        # Splink refuses an m or u that underflows to 0 (a level never seen in a small set)
        logger.warning("EM session on %s skipped: %s", sql, exc)
        return False
    return True


def identifier_pairs_sql(table: str, column: str | tuple[str, ...]) -> str:
    """How many pairs of records share ``column`` (or every one of several columns; DuckDB and
    Spark SQL alike)."""
    keys = (column,) if isinstance(column, str) else column
    present = " and ".join(f"{k} is not null" for k in keys)
    return (
        f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from {table} "
        f"where {present} group by {', '.join(keys)}) as t"
    )


def forename_guard(
    run: Callable[[str], tuple[Any, ...]], table: str, identifier_pairs: dict[str, int]
) -> dict[str, Any]:
    """Measure on the data itself whether forenames are reliable enough for the sibling guard.

    Anchor pairs are nearly always one person: pairs sharing a PNC id or phone number where the
    data has enough of them, else pairs agreeing on surname, date of birth and postcode (twins
    are among those, so the measured share is if anything too high). The share of anchor pairs
    whose forenames clearly differ is how often one person's forename is recorded as a different
    name. Where it is low (police records) a clearly different forename among look-alikes means
    twins or siblings; where it is high, the forename says little and the guard is left off.
    ``run`` executes one SQL query and returns its first row.
    """
    anchors: list[tuple[tuple[str, ...], bool]] = [
        (ANCHOR_KEYS[c], c in HOUSEHOLD_IDENTIFIERS)
        for c in IDENTIFIERS
        if identifier_pairs.get(c, 0) >= MIN_IDENTIFIER_PAIRS
    ]
    if not anchors:
        anchors = [(NAME_DOB_PLACE, True)]
    pairs = differ = 0
    for keys, lone in anchors:
        total = int(run(identifier_pairs_sql(table, keys))[0] or 0)
        n, d = run(anchor_rate_sql(table, keys, total, lone=lone))
        pairs, differ = pairs + int(n or 0), differ + int(d or 0)
    rate = differ / pairs if pairs else 0.0
    guard = pairs < MIN_IDENTIFIER_PAIRS or rate < MAX_FORENAME_DIFFER_RATE
    anchor = "+".join("/".join(k) for k, _ in anchors)
    logger.info(
        "forenames differ in %.4f of %d anchor pairs (%s): sibling guard %s",
        rate,
        pairs,
        anchor,
        "on" if guard else "off",
    )
    return {
        "sibling_guard": guard,
        "forename_differ_rate": round(rate, 4),
        "anchor_pairs": pairs,
        "anchor": anchor,
    } | dob_guard(run, table, identifier_pairs)


# ``dob_apart`` holds where one person's dates of birth are rarely recorded years apart (beyond a
# typo or a day/month swap). Measured on pairs sharing a PNC id where there are enough, else on
# pairs with one forename, surname and postcode (a same-named father and son, a generation
# apart, are left out of the count); over this share the guard is left off.
MAX_DOB_APART_RATE = 0.004
DOB_FALLBACK_ANCHOR = ("forename_canon", "surname", "postcode")


def dob_guard(
    run: Callable[[str], tuple[Any, ...]], table: str, identifier_pairs: dict[str, int]
) -> dict[str, Any]:
    """Measure on the data itself whether one person's dates of birth are recorded years apart
    (historical records, a generator that replaces whole dates) and so whether ``dob_apart``
    applies. ``run`` executes one SQL query and returns its first row."""
    pnc = identifier_pairs.get("pnc_id", 0) >= MIN_IDENTIFIER_PAIRS
    keys = ("pnc_id",) if pnc else DOB_FALLBACK_ANCHOR
    total = int(run(identifier_pairs_sql(table, keys))[0] or 0)
    every = max(1, total // ANCHOR_SAMPLE_PAIRS)
    present = " and ".join(f"{k} is not null" for k in (*keys, "dob"))
    sample = f" and hash({keys[0]}) % {every} = 0" if every > 1 else ""
    on = " and ".join(f"l.{k} = r.{k}" for k in keys)
    gap = "abs(l.birth_year - r.birth_year)"
    apart = (
        f"{gap} >= {DOB_APART_YEARS} and {gap} < {GENERATION_GAP_YEARS} "
        "and damerau_levenshtein(l.dob, r.dob) > 1 "
        "and coalesce(l.dob_swapped <> r.dob and r.dob_swapped <> l.dob, true)"
    )
    n, d = run(
        f"with a as (select * from {table} where {present}{sample}) "
        f"select count(*), coalesce(sum(case when {apart} then 1 else 0 end), 0) "
        f"from a as l join a as r on l.unique_id < r.unique_id and {on}"
    )
    pairs, differ = int(n or 0), int(d or 0)
    rate = differ / pairs if pairs else 0.0
    guard = pairs < MIN_IDENTIFIER_PAIRS or rate <= MAX_DOB_APART_RATE
    logger.info(
        "dates of birth years apart in %.4f of %d anchor pairs (%s): dob_apart %s",
        rate,
        pairs,
        "/".join(keys),
        "on" if guard else "off",
    )
    return {"dob_guard": guard, "dob_apart_rate": round(rate, 4), "dob_anchor_pairs": pairs}


# A PNC id is one person's own number (a phone may be a household's): where enough pairs share
# one, how often one person's records carry dates of birth a generation apart is measured on them.
PERSONAL_IDENTIFIERS = ("pnc_id",)


def generation_share_sql(table: str, column: str, pairs: int) -> str:
    """(dated pairs, pairs a generation apart) among pairs sharing ``column``, hash-sampled to
    about ``ANCHOR_SAMPLE_PAIRS`` pairs (DuckDB and Spark SQL alike)."""
    every = max(1, pairs // ANCHOR_SAMPLE_PAIRS)
    sample = f" and hash(l.{column}) % {every} = 0" if every > 1 else ""
    apart = f"abs(l.birth_year - r.birth_year) >= {GENERATION_GAP_YEARS}"
    return (
        f"select count(*), coalesce(sum(case when {apart} then 1 else 0 end), 0) "
        f"from {table} as l join {table} as r on l.unique_id < r.unique_id "
        f"and l.{column} = r.{column} "
        f"where l.dob is not null and r.dob is not null{sample}"
    )


def generation_m(run: Callable[[str], tuple[Any, ...]], table: str, pairs: dict[str, int]) -> float:
    """m of the "a generation apart" date-of-birth level: the domain figure (``GENERATION_M``),
    or more where the data's own anchor pairs (records sharing a PNC id: one person, never father
    and son) show that one person's dates of birth are often recorded wholly wrong. EM cannot
    learn it from name or date-of-birth sessions (father and son would teach it), but anchor pairs
    say it directly; in police data they measure about 0 and the domain figure stands."""
    share = 0.0
    for column in PERSONAL_IDENTIFIERS:
        total = pairs.get(column, 0)
        if total < MIN_IDENTIFIER_PAIRS:
            continue
        dated, apart = run(generation_share_sql(table, column, total))
        if int(dated or 0) >= MIN_IDENTIFIER_PAIRS:
            share = max(share, int(apart or 0) / int(dated))
    return max(GENERATION_M, share)


def _set_generation_m(linker: Linker, m: float) -> None:
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level._label_for_charts == GENERATION_LABEL:
                level.m_probability = m


def _run_on_input(linker: Linker) -> tuple[Callable[[str], tuple[Any, ...]], str]:
    """A function running one SQL query on the linker's backend (first row), and the name of
    the linker's input table there."""
    table = str(next(iter(linker._input_tables_dict.values())).physical_name)

    def run(sql: str) -> tuple[Any, ...]:
        frame = linker.misc.query_sql(sql, output_type="pandas")  # type: ignore[no-untyped-call]
        return tuple(frame.iloc[0].tolist())

    return run, table


def discount_matches_from_u(linker: Linker, *, max_pairs: float) -> None:
    """Take the true matches out of u. Random sampling counts every sampled pair as a non-match,
    but a share of them (the prior, lambda) are one person, and they agree on the telling levels
    (same PNC id, same date of birth) at rate m. Where people have many records each (small or
    heavily duplicated sets) that inflates u of exactly those levels and understates their
    weight. So u := (u - lambda * m) / (1 - lambda), never below one pair in the sample (the
    sample cannot tell less). In a large police extract lambda is tiny and u barely moves."""
    settings = linker._settings_obj
    share = float(settings._probability_two_random_records_match)
    floor = 1.0 / max_pairs
    for comparison in settings.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level:
                continue
            # the raw values: the properties give defaults for levels never observed
            u, m = level._u_probability, level._m_probability
            if not isinstance(u, float) or not isinstance(m, float) or level._fix_u_probability:
                continue
            level.u_probability = min(u, max(floor, (u - share * m) / (1.0 - share)))


def floor_unobserved_u(linker: Linker, *, max_pairs: float) -> list[str]:
    """u of a level the random sample never saw, where EM trained its m: one pair in the sample.

    Splink samples every pair for a comparison one of whose levels is rare, so a level not seen
    among ``max_pairs`` random pairs has u under about ``1 / max_pairs`` (the floor
    ``discount_matches_from_u`` uses). Left unset, Splink scores it with a default u of about
    0.01, hundreds of times too high: "swapped, one name mistyped" weighed -2 bits, below a
    clearly different forename's "else", on a police extract whose sample held no such pair.
    Returns the levels set ("comparison: label")."""
    floor = 1.0 / max_pairs
    done = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if level.is_null_level or level._fix_u_probability:
                continue
            if isinstance(level._m_probability, float) and not isinstance(
                level._u_probability, float
            ):
                level.u_probability = floor
                done.append(f"{comparison.output_column_name}: {level._label_for_charts}")
    if done:
        logger.info("u of levels the sample never saw set to 1/%d: %s", int(max_pairs), done)
    return done


def no_level_below_else(linker: Linker) -> list[str]:
    """No agreement level weighs less than its comparison's "else" (a clear disagreement).

    The levels run from most to least alike, so a partial agreement (the postcode sector, a
    postcode one character off, one part of a double-barrelled surname) is never evidence
    against one person beside no agreement at all. EM drives a level's m to nearly 0 where the
    training pairs hold no true match at it: on the realistic extracts "postcode sector" weighed
    -17 bits and "postcode one character wrong" -34, against -2.3 for a different address, so a
    person who moved within the sector or whose postcode was mistyped was counted as someone
    else by 15-30 bits. Such a level's m is raised so that its weight is the "else" level's.
    Levels with a fixed m or u (a generation apart, the weightless swap levels) keep their
    value: they are set from domain knowledge on purpose. Returns the levels raised."""
    raised = []
    for comparison in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comparison.comparison_levels if not lvl.is_null_level]
        if not levels or not levels[-1]._is_else_level:
            continue
        last = levels[-1]
        m_else, u_else = last._m_probability, last._u_probability
        if not isinstance(m_else, float) or not isinstance(u_else, float) or u_else <= 0:
            continue
        for level in levels[:-1]:
            m, u = level._m_probability, level._u_probability
            if level._fix_m_probability or level._fix_u_probability:
                continue
            if not isinstance(m, float) or not isinstance(u, float) or u <= 0:
                continue
            if m / u < m_else / u_else:
                level.m_probability = u * m_else / u_else
                raised.append(f"{comparison.output_column_name}: {level._label_for_charts}")
    if raised:
        logger.info("levels raised to their comparison's else weight: %s", raised)
    return raised


# u of the exact levels of these comparisons comes from the value frequencies of the whole table
# (``frequency_u``), not from the random sample: a sample of 500,000 pairs is drawn from about a
# thousand mentions, and whether two records of one heavily recorded person or household are
# among them decided how much a shared phone or PNC id weighed (docs/benchmarks.md, "linking: u
# sampling and the generation gap"). Each is (comparison, its exact level's label).
FREQUENCY_U_LEVELS: dict[str, str] = {
    "forename": "exact",
    "surname": "exact",
    "dob": "exact",
    "address": "same address",
    "postcode": "same postcode",  # a level of the address comparison
    "phone": "Exact match on phone",
    "pnc_id": "Exact match on pnc_id",
}


def _pairs(n: str) -> str:
    return f"({n}) * ({n} - 1) / 2"


ADDRESS_ALIKE = 0.9  # the address comparison's "spelt differently" threshold


def agreeing_pairs_sql(
    table: str, column: str, *, jaro_winkler: str = "jaro_winkler_similarity"
) -> str:
    """(pairs agreeing on the comparison's exact level, distinct values) over the whole table,
    one GROUP BY (DuckDB and Spark SQL alike; Spark names the similarity ``jaro_winkler``)."""
    if column == "postcode":
        # "same postcode": the address levels before it take the pairs whose addresses are alike;
        # pairs inside one postcode are few (a street), so they are compared one by one
        return (
            f"select count(*), (select count(distinct postcode) from {table}) "
            f"from {table} as l join {table} as r "
            f"on l.postcode = r.postcode and l.unique_id < r.unique_id "
            f"where not coalesce({jaro_winkler}(l.address, r.address) >= {ADDRESS_ALIKE}, false)"
        )
    if column == "address":
        # "same address": the same address and postcode, or the postcode missing on one of them
        return (
            f"with g as (select address, postcode, count(*) as n from {table} "
            f"where address is not null group by address, postcode), "
            f"a as (select sum(case when postcode is null then n else 0 end) as z, "
            f"sum(n) as tot, sum(case when postcode is not null then {_pairs('n')} else 0 end) "
            f"as same, count(*) as places from g group by address) "
            f"select coalesce(sum(same + {_pairs('z')} + z * (tot - z)), 0), "
            f"coalesce(sum(places), 0) from a"
        )
    return (
        f"select coalesce(sum({_pairs('n')}), 0), count(*) from "
        f"(select count(*) as n from {table} where {column} is not null group by {column}) as t"
    )


# The recorded-other-name levels are rare among random pairs (a sample of 500,000 pairs may hold
# none), so their u comes from the whole table too: (comparison, level, names column, column).
OTHER_NAME_U_LEVELS = (
    ("forename", OTHER_FORENAME_LABEL, "other_forenames", "forename_canon"),
    ("surname", OTHER_SURNAME_LABEL, "other_surnames", "surname"),
)


def other_name_pairs_sql(table: str, names: str, column: str, *, spark: bool = False) -> str:
    """(pairs where one's ``column`` is among the other's ``names``, distinct ``column`` values)
    over the whole table; a pair agreeing both ways counts twice (DuckDB, or Spark SQL)."""
    explode, size = ("explode", "size") if spark else ("unnest", "len")
    return (
        f"with o as (select unique_id, {explode}({names}) as name from {table} "
        f"where {size}({names}) > 0) "
        f"select count(*), (select count(distinct {column}) from {table}) "
        f"from o join {table} as t on t.{column} = o.name and t.unique_id <> o.unique_id"
    )


def comparable_pairs_sql(table: str, column: str) -> str:
    """Counts of records by which of the comparison's fields they carry, from which
    ``comparable_pairs`` gives the pairs outside its null level (Splink's u is a share of those).
    """
    if column in ("address", "postcode"):
        both = "address is not null and postcode is not null"
        return (
            f"select sum(case when {both} then 1 else 0 end), "
            f"sum(case when address is not null and postcode is null then 1 else 0 end), "
            f"sum(case when address is null and postcode is not null then 1 else 0 end), "
            f"sum(case when address is null and postcode is null then 1 else 0 end) from {table}"
        )
    # a date of birth compares with an age too: the null level lacks both on one side
    present = "birth_year" if column == "dob" else column
    return f"select count({present}) from {table}"


def comparable_pairs(column: str, counts: tuple[Any, ...]) -> int:
    """Pairs outside the null level, from ``comparable_pairs_sql``'s row."""
    n = [int(c or 0) for c in counts]
    if column not in ("address", "postcode"):
        return n[0] * (n[0] - 1) // 2
    # cells: (address and postcode, address only, postcode only, neither); a pair is at the
    # null level when one lacks the address and one lacks the postcode
    has_address, has_postcode = (True, True, False, False), (True, False, True, False)
    total = 0
    for i in range(4):
        for j in range(i, 4):
            null = not (has_address[i] and has_address[j]) and not (
                has_postcode[i] and has_postcode[j]
            )
            if null:
                continue
            total += n[i] * (n[i] - 1) // 2 if i == j else n[i] * n[j]
    return total


def frequency_u(agreeing: int, comparable: int, distinct: int, *, prior: float, m: float) -> float:
    """u of an exact level from the whole table: the share of comparable pairs agreeing, less the
    true matches among them (``prior * m``, as in ``discount_matches_from_u``), never below one
    over the distinct values (two people drawing the same value if values were spread evenly):
    the same figures give the same u, whatever a sample would have drawn."""
    if comparable <= 0 or distinct <= 0:
        raise ValueError("no comparable pairs")
    share = agreeing / comparable
    return min(1.0, max(1.0 / distinct, (share - prior * m) / (1.0 - prior)))


def set_frequency_u(linker: Linker) -> dict[str, float]:
    """Replace u of the ``FREQUENCY_U_LEVELS`` with ``frequency_u`` (after EM: m and the prior
    are the trained ones). Returns the u set, by comparison; a comparison with no comparable
    pairs keeps its sampled u."""
    run, table = _run_on_input(linker)
    settings = linker._settings_obj
    prior = float(settings._probability_two_random_records_match)
    done: dict[str, float] = {}
    spark = linker._sql_dialect_str == "spark"
    jaro_winkler = "jaro_winkler" if spark else "jaro_winkler_similarity"
    levels = {
        (comparison.output_column_name, level._label_for_charts): level
        for comparison in settings.comparisons
        for level in comparison.comparison_levels
    }
    for column, label in FREQUENCY_U_LEVELS.items():
        comparison_name = "address" if column == "postcode" else column
        level = levels.get((comparison_name, label))
        if level is None or level._fix_u_probability:
            continue
        m = level._m_probability
        sql = agreeing_pairs_sql(table, column, jaro_winkler=jaro_winkler)
        agreeing, distinct = (int(v or 0) for v in run(sql))
        comparable = comparable_pairs(column, run(comparable_pairs_sql(table, column)))
        if comparable == 0 or distinct == 0:
            continue
        u = frequency_u(
            agreeing, comparable, distinct, prior=prior, m=m if isinstance(m, float) else 0.0
        )
        level.u_probability = u
        done[column] = u
    for comparison_name, label, names, column in OTHER_NAME_U_LEVELS:
        level = levels.get((comparison_name, label))
        if level is None or level._fix_u_probability:
            continue
        agreeing, distinct = (
            int(v or 0) for v in run(other_name_pairs_sql(table, names, column, spark=spark))
        )
        comparable = comparable_pairs(column, run(comparable_pairs_sql(table, column)))
        if agreeing == 0 or comparable == 0 or distinct == 0:
            continue  # no other names recorded: the level stays as sampled (or unobserved)
        m = level._m_probability
        level.u_probability = frequency_u(
            agreeing, comparable, distinct, prior=prior, m=m if isinstance(m, float) else 0.0
        )
        done[names] = level.u_probability
    logger.info("u of exact levels from value frequencies: %s", done)
    return done


# Random pairs sampled for u (Splink's ``estimate_u_using_random_sampling``). Splink stops a
# comparison early once each of its levels is seen 100 times, but a comparison with a rare level
# (the same PNC id, the same phone) samples all of them: the cost is about linear in this.
# 2e6 until 2026-12-07; 5e5 measured as accurate on the realistic extracts at 100k and 1M, in a
# third of the time (docs/benchmarks.md, "linking: u sampling and the generation gap").
U_MAX_PAIRS = 5e5
GENERIC_U_MAX_PAIRS = 2e6  # the generic comparison model keeps Splink's tutorial-size sample
FREQUENCY_U = True  # u of the exact levels from the whole table's value frequencies
U_SEED = 42  # the sample is repeatable: one data set trains one model

PRIOR_RULE = ("forename", "surname", "dob")
ASSUMED_RECALL = 0.7  # Splink's tutorial figure, used before the m probabilities are known
MIN_RECALL, MAX_RECALL = 0.05, 0.95


def present_sql(table: str) -> str:
    """Share of records with each field of ``PRIOR_RULE`` present (DuckDB and Spark SQL)."""
    shares = ", ".join(f"avg(case when {c} is null then 0.0 else 1.0 end)" for c in PRIOR_RULE)
    return f"select {shares} from {table}"


def prior_rule_recall(model_json: dict[str, Any], present: dict[str, float]) -> float | None:
    """How many true matches agree exactly on forename, surname and date of birth, from the
    trained model itself: for each field, the share of pairs with it present on both sides times
    its exact level's m probability (fields taken as independent given a match). None when a
    field has no trained m."""
    recall = 1.0
    for comparison in model_json["comparisons"]:
        column = comparison["output_column_name"]
        if column not in PRIOR_RULE:
            continue
        exact = [
            level.get("m_probability")
            for level in comparison["comparison_levels"]
            if level.get("label_for_charts") == "exact"
        ]
        if not exact or exact[0] is None:
            return None
        recall *= present.get(column, 1.0) ** 2 * float(exact[0])
    return min(MAX_RECALL, max(MIN_RECALL, recall))


def train(
    linker: Linker,
    *,
    max_pairs: float | None = None,
    identifier_pairs: dict[str, int] | None = None,
    present: dict[str, float] | None = None,
) -> float | None:
    """EM training without labels: the prior, u by random sampling, then m by EM.

    Police data is full of households: people who share a surname, an address and a postcode,
    often a forename (father and son) or a date of birth (twins). EM sessions blocked on name or
    date of birth count many of them as matches and learn that different dates of birth or
    forenames are common in one person. Where the data has them, sessions blocked on an
    identifier (PNC id, phone) see almost only true matches, so they train the other fields;
    the date-of-birth session then trains the identifiers themselves. Without identifiers the
    usual name and date-of-birth sessions are used.

    The prior (how likely two random records are one person) is first estimated from exact
    forename, surname and date-of-birth agreement with Splink's usual assumed recall, then
    re-estimated after EM with the recall the trained model itself implies for that rule
    (``prior_rule_recall``): messy data (swapped, missing or replaced fields) has fewer exact
    matches among one person's records, so the fixed figure would underestimate the prior and
    every match probability with it. Returns the recall used (None: the assumed one).

    ``max_pairs``: the random pairs sampled for u (``U_MAX_PAIRS`` unless given).
    """
    max_pairs = U_MAX_PAIRS if max_pairs is None else max_pairs
    if frequencies.tf_levels(linker):
        # counted once here, registered so that no later step counts the data in hand
        tables = frequencies.count(linker, _run_on_input(linker)[1])
        frequencies.register(linker, tables)
    rule = block_on(*PRIOR_RULE)
    linker.training.estimate_probability_two_random_records_match([rule], recall=ASSUMED_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=U_SEED)
    pairs = identifier_pairs or {}
    if any(pairs.get(c, 0) >= MIN_IDENTIFIER_PAIRS for c in PERSONAL_IDENTIFIERS):
        run, table = _run_on_input(linker)
        m = generation_m(run, table, pairs)
        _set_generation_m(linker, m)
        logger.info("m of dates of birth a generation apart: %.4f (from anchor pairs)", m)
    anchored = [
        column
        for column in IDENTIFIERS
        if pairs.get(column, 0) >= MIN_IDENTIFIER_PAIRS
        and _em(linker, block_on(*EM_ANCHORS[column]))
    ]
    if anchored:
        _em(linker, NAME_DOB_RULES[0])
    else:
        for session in NAME_DOB_RULES:
            _em(linker, session)
    recall = prior_rule_recall(dict(linker.misc.save_model_to_json()), present or {})
    if recall is not None:
        linker.training.estimate_probability_two_random_records_match([rule], recall=recall)
        logger.info("prior re-estimated with the model's own recall %.3f of %s", recall, PRIOR_RULE)
    discount_matches_from_u(linker, max_pairs=max_pairs)
    floor_unobserved_u(linker, max_pairs=max_pairs)
    if FREQUENCY_U:
        set_frequency_u(linker)
    no_level_below_else(linker)
    frequencies.only_lower(linker)
    return recall


# --- the generic model, for comparison in benchmarks ------------------------------------------


def generic_settings() -> SettingsCreator:
    """A tutorial-style Splink model on the raw columns (names, dob, postcode, address)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.PostcodeComparison("postcode"),
            cl.LevenshteinAtThresholds("address", [2, 5]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("forename", "surname"),
            block_on("surname", "dob"),
            block_on("forename", "dob"),
            block_on("postcode"),
        ],
    )


def train_generic(linker: Linker, *, max_pairs: float | None = None) -> None:
    max_pairs = GENERIC_U_MAX_PAIRS if max_pairs is None else max_pairs
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("forename", "surname")
    )
