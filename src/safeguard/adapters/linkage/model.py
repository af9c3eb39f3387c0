"""The Splink models: safeguard's domain model for police data, and a generic tutorial model.

The domain model compares normalised features (``features.feature_sql``) with levels police data
needs: nicknames and initials, swapped forename and surname, hyphenated and changed surnames,
day/month swaps and one-digit typos in dates of birth, age-only mentions against dates of birth,
postcode sector and district, address, phone and PNC id. Hard negatives (twins, siblings, father
and son) are refused later, in ``domain.linking.cluster_mentions``.
"""

from __future__ import annotations

import logging
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

logger = logging.getLogger(__name__)

GENERATION_YEARS = 12
GENERATION_M = 0.0005  # share of true matches whose dates of birth are 12+ years apart
SQL = "duckdb"  # custom levels are written in DuckDB SQL and translated for Spark by Splink

SWAPPED = "forename_l = surname_r and surname_l = forename_r and forename_l <> surname_l"


def _forename() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="forename",
        comparison_levels=[
            cll.NullLevel("forename"),
            cll.ExactMatchLevel("forename").configure(label_for_charts="exact"),
            cll.CustomLevel(SWAPPED, "forename and surname swapped", SQL),
            cll.ExactMatchLevel("forename_canon").configure(label_for_charts="nickname"),
            cll.ArrayIntersectLevel("forename_variants", 1).configure(
                label_for_charts="known name variant"
            ),
            cll.JaroWinklerLevel("forename", 0.92),
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
            cll.ElseLevel(),
        ],
    )


def _surname() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname").configure(label_for_charts="exact"),
            cll.CustomLevel(SWAPPED, "forename and surname swapped", SQL),
            cll.CustomLevel(
                "surname_first_l = surname_first_r or surname_first_l = surname_last_r "
                "or surname_last_l = surname_first_r or surname_last_l = surname_last_r",
                "one part of a double-barrelled name",
                SQL,
            ),
            cll.JaroWinklerLevel("surname", 0.92),
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
            cll.CustomLevel(
                "(dob_l is null or dob_r is null) and abs(birth_year_l - birth_year_r) <= 1",
                "age agrees with date of birth",
                SQL,
            ),
            # Father and son with one name at one address agree on everything else, so EM
            # alone learns that dates a generation apart are common among matches. They are not:
            # this level's m is fixed from domain knowledge, not estimated.
            cll.CustomLevel(
                "dob_l is not null and dob_r is not null "
                f"and abs(birth_year_l - birth_year_r) >= {GENERATION_YEARS}",
                "a generation apart",
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
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode"),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="postcode sector"),
            cll.ExactMatchLevel("postcode_district").configure(
                label_for_charts="postcode district"
            ),
            cll.DamerauLevenshteinLevel("postcode", 1),
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
# ``link_one`` looks up candidates with the same keys (``realtime.candidate_sql``).
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
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
SWAP_RULE = "l.forename = r.surname and l.surname = r.forename"


def domain_blocking_rules() -> list[Any]:
    """Splink blocking rules from ``BLOCKING_KEYS`` plus forename/surname swapped."""
    return [block_on(*keys) for keys in BLOCKING_KEYS] + [SWAP_RULE]


IDENTIFIERS = ("pnc_id", "phone")
NAME_DOB_RULES = (block_on("dob"), block_on("forename_canon", "surname"))
MIN_IDENTIFIER_PAIRS = 200


def _em(linker: Linker, rule: Any) -> bool:
    """One EM session; False when Splink cannot train on it (no pairs, or an underflow)."""
    sql = rule.get_blocking_rule("duckdb").blocking_rule_sql
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, fix_probability_two_random_records_match=True
        )
    except EMTrainingException:
        logger.warning("EM session on %s skipped: it found no pairs", sql)
        return False
    except ValueError as exc:
        # Splink refuses an m or u that underflows to 0 (a level never seen in a small set)
        logger.warning("EM session on %s skipped: %s", sql, exc)
        return False
    return True


def identifier_pairs_sql(table: str, column: str) -> str:
    """How many pairs of records share ``column`` (DuckDB and Spark SQL alike)."""
    return (
        f"select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from {table} "
        f"where {column} is not null group by {column}) as t"
    )


def train(
    linker: Linker, *, max_pairs: float = 2e6, identifier_pairs: dict[str, int] | None = None
) -> None:
    """EM training without labels: the prior, u by random sampling, then m by EM.

    Police data is full of households: people who share a surname, an address and a postcode,
    often a forename (father and son) or a date of birth (twins). EM sessions blocked on name or
    date of birth count many of them as matches and learn that different dates of birth or
    forenames are common in one person. Where the data has them, sessions blocked on an
    identifier (PNC id, phone) see almost only true matches, so they train the other fields;
    the date-of-birth session then trains the identifiers themselves. Without identifiers the
    usual name and date-of-birth sessions are used.
    """
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob"), block_on("forename", "surname", "postcode")],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=42)
    pairs = identifier_pairs or {}
    anchored = [
        column
        for column in IDENTIFIERS
        if pairs.get(column, 0) >= MIN_IDENTIFIER_PAIRS and _em(linker, block_on(column))
    ]
    if anchored:
        _em(linker, NAME_DOB_RULES[0])
        return
    for rule in NAME_DOB_RULES:
        _em(linker, rule)


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


def train_generic(linker: Linker, *, max_pairs: float = 2e6) -> None:
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("forename", "surname")
    )
