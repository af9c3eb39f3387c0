"""Guards: what the domain knows about two mentions being two people, in DuckDB SQL.

The model scores pairs; a chain of strong links can still join two people whose own pair it never
scored, or scored weakly (a child joined to a parent through an undated mention). So guards are
applied where the clustering decides, inside each connected component of the links above the
threshold: every pair of mentions in one component that a guard says are two people becomes a
cannot-link for ``domain.linking.cluster_mentions`` (which refuses any merge that would put them
into one person). Components without a guard pair are one person each and never reach the
Python clustering.

Each guard has a name (``domain.linking_policy.GUARD_NAMES``); the force's settings
(``linking.guards_off``) or ``safeguard link --guard-off`` turn guards off by name (the benchmark
measures what each one is worth, see ``docs/linking.md``):

* ``one_event``: two people involved in one event are two people;
* ``generation``: birth years (from dates of birth or ages) 14 or more years apart, the dates not
  a one-digit typo or a day/month swap of each other, and no shared PNC id; or one of the two
  was born after the other's record was made (``_born_after_record``): whoever a record names
  was born by its date (``born_by``), with or without a date of birth or age on it;
* ``firm_dob``: two dates of birth each recorded on at least two mentions of the component
  (firm), not a typo or swap of each other, no shared PNC id: the component holds two people;
* ``named_apart`` (branch ``twinev14``): the same surname and clearly different forenames, and
  somewhere in the data two mentions of one event carry that surname and those two forenames
  (birth years within one of the pair's, where both are known), no shared PNC id: two people
  named in one event are two people, so the two names are two people's wherever else they are
  recorded together with that surname and age. ``one_event`` for the pair's names, not only for
  the two mentions of the event;
* ``junior_senior``: one mention says Jr, the other Sr;
* ``twins``: the same surname and date of birth, but forenames with different initials (not a
  nickname, variant or middle name), or different recorded sex with a different forename;
* ``household_member``: clearly different full forenames (not a nickname, variant, typo or
  middle name of each other) and also different dates of birth (not a typo or swap) or a
  different recorded sex, no shared PNC id: a partner, a sibling, a parent. Two of the three
  fields that say who someone is disagree; a household's surname, address and phone cannot
  outweigh that;
* ``age_apart``: clearly different full forenames, one of the two recorded with an age only,
  and birth years ``AGE_APART_YEARS`` or more apart (an age is an estimate, often a year or two
  off), no shared PNC id: ``household_member`` for mentions without a date of birth;
* ``dob_apart``: both have a date of birth, the birth years ``DOB_APART_YEARS`` or more apart,
  not a typo or swap of each other, no shared PNC id: two people whatever the forenames say
  (brothers of one forename; ``household_member`` needs different forenames too); only where
  the data's own anchor pairs rarely carry dates years apart (measured at training,
  ``model.dob_guard``);
* ``undated_sibling`` (on by default since branch ``linkacc14``): the same surname and address
  or postcode, one of the two without a date of birth, ages within a year (or unknown), clearly
  different forenames, at least one of the two forenames recorded once in the component
  (``UNDATED_SIBLING_LONE_ONLY``; two forenames each recorded again and again are
  ``firm_forenames``'s), no shared PNC id: the ``siblings`` guard where ``twins`` cannot reach,
  whatever the anchor pairs measure. A shared phone does not exempt the pair: a phone is the
  household's (both twins' and their parents' records carry it), so it cannot say which member
  a record is;
* ``firm_forenames``: the same surname, and two clearly different forenames each recorded on at
  least two mentions of the component (firm), no shared PNC id: twins or siblings joined through
  their household. A known-as name or alias recorded once is left to the model;
* ``undated_namesake``: one of the two has no date of birth and no age, the other has one, both
  have the same forename and surname, and the component holds two mentions of that name a
  generation apart (a father and son of one name): the undated mention could be either, so it
  joins neither (its merges go to review), unless it shares a PNC id;
* ``siblings``: the same surname and date of birth, address or postcode, clearly different full
  forenames, no shared PNC id or phone; only where the data's forenames are reliable (measured
  at training, ``model.forename_guard``);
* ``look_alike``: the same surname and date of birth or forename, yet the model scored the pair
  itself under ``HARD_NEGATIVE_BELOW`` (father and son with one name and other details apart);
* ``twins``, ``undated_sibling`` and ``firm_forenames`` are waived between two forenames that
  the component records, at one date of birth, with one person's own middle name, mobile or
  PNC id (``guard_details.own_detail_waiver``): a known-as name, not a twin recorded once;
* not a pair guard, and off by default (``LinkConfig.hold_ambiguous``, in ``clustering``): a
  mention whose link to a person the guards keep apart from its own is at least as strong as its
  best link into its own is held on its own and queued for review, not given to whichever link
  came first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from safeguard.adapters.linkage import guard_details as details
from safeguard.adapters.linkage.guard_details import EVENTS as EVENTS
from safeguard.adapters.linkage.guard_details import NODES as NODES
from safeguard.adapters.linkage.guard_details import no_shared_pnc as _no_shared_pnc
from safeguard.adapters.linkage.model import clearly_different_forenames_sql
from safeguard.domain.linking import DOB_APART_YEARS, GENERATION_GAP_YEARS
from safeguard.domain.linking_policy import GUARD_NAMES

GUARDS = GUARD_NAMES  # the names are domain policy (a force turns guards off in its settings)
GUARD_LABELS = {
    "one_event": "both involved in one event: two people",
    "generation": "dates of birth or ages a generation apart, or born after the other's record",
    "firm_dob": "two dates of birth, each recorded more than once",
    "named_apart": "the two names are named as two people in one event elsewhere",
    "junior_senior": "one is Jr, the other Sr",
    "twins": "same surname and date of birth, different forename initial or sex",
    "household_member": "clearly different forenames and a different date of birth or sex",
    "age_apart": "clearly different forenames, and ages years apart",
    "dob_apart": "two dates of birth years apart, not a typo or swap of each other",
    "undated_sibling": "an undated mention at one address, same surname and age, other forename",
    "firm_forenames": "two clearly different forenames, each recorded more than once",
    "undated_namesake": "undated, and two people of this name a generation apart are here",
    "siblings": "same surname and date of birth or address, clearly different forenames",
    "look_alike": "look alike, yet the model scores the pair as two people",
}
FIRM_DOB_MENTIONS = 2
FIRM_FORENAME_MENTIONS = 2
# ``undated_sibling`` fires only where at least one of the two forenames is recorded once in the
# component (False: wherever the forenames differ). Two forenames each recorded again and again
# are ``firm_forenames``'s to judge; on the realistic extracts they are mostly one person's
# habitual known-as name beside the usual one (``docs/linking.md``, guard ``undated_sibling``).
UNDATED_SIBLING_LONE_ONLY = True
# An age-only mention's birth year is an estimate (a command-and-control log's ages are often
# one or two years off): birth years this many or more apart are different people's.
AGE_APART_YEARS = 3
HARD_NEGATIVE_BELOW = 0.01

COMPONENTS = "__guard_components"
WEAK = "weak_pairs"

IntArray = np.ndarray[Any, np.dtype[np.int64]]


def _near_dob(l: str, r: str) -> str:  # noqa: E741
    """Two dates one typo or a day/month swap apart (false where either is missing)."""
    return (
        f"coalesce(damerau_levenshtein({l}.dob, {r}.dob) <= 1 "
        f"or {l}.dob_swapped = {r}.dob or {r}.dob_swapped = {l}.dob, false)"
    )


def _ages_apart(l: str, r: str) -> str:  # noqa: E741
    """One of the two gives an age only, and the birth years are ``AGE_APART_YEARS`` apart."""
    return (
        f"(({l}.dob is null or {r}.dob is null) and {l}.birth_year is not null "
        f"and {r}.birth_year is not null "
        f"and abs({l}.birth_year - {r}.birth_year) >= {AGE_APART_YEARS})"
    )


def _born_after_record(l: str, r: str) -> str:  # noqa: E741
    """``r`` was born in a later year than ``l``'s record was made (``l.born_by``, its date), by
    ``r``'s date of birth, or by its age with ``AGE_APART_YEARS`` of slack (an age is an
    estimate). A whole calendar year, so a day or month typo in ``r``'s date cannot fire it."""
    made = f"cast(substr({l}.born_by, 1, 4) as integer)"
    return f"""coalesce(({r}.dob is not null and {r}.birth_year > {made})
        or ({r}.dob is null and {r}.birth_year - {made} >= {AGE_APART_YEARS}), false)"""


def _lone_forename(l: str, r: str) -> str:  # noqa: E741
    """At least one of the two forenames is recorded once in the component (``forename_n``),
    where ``UNDATED_SIBLING_LONE_ONLY`` asks for it (else true)."""
    if not UNDATED_SIBLING_LONE_ONLY:
        return "true"
    return f"least({l}.forename_n, {r}.forename_n) = 1"


def _initials_differ(l: str, r: str) -> str:  # noqa: E741
    """Full or initial forenames whose first letters differ, and not by a nickname, a variant,
    a middle name or a forename/surname swap."""
    return f"""({l}.forename is not null and {r}.forename is not null
        and substr({l}.forename, 1, 1) <> substr({r}.forename, 1, 1)
        and substr({l}.forename_canon, 1, 1) <> substr({r}.forename_canon, 1, 1)
        and len(list_intersect({l}.forename_variants, {r}.forename_variants)) = 0
        and coalesce(substr({l}.middle_names, 1, 1) <> substr({r}.forename, 1, 1), true)
        and coalesce(substr({r}.middle_names, 1, 1) <> substr({l}.forename, 1, 1), true)
        and coalesce({l}.forename <> {r}.surname, true))"""


def pair_guard_sql(l: str, r: str, *, enabled: Iterable[str]) -> list[tuple[str, str]]:  # noqa: E741
    """(guard, DuckDB condition) for the feature-only guards over aliases ``l`` and ``r`` (rows of
    the features with ``dob_n``: how many mentions of the pair's component carry that date)."""
    on = set(enabled)
    rules = {
        "generation": f"""((({l}.birth_year is not null and {r}.birth_year is not null
              and abs({l}.birth_year - {r}.birth_year) >= {GENERATION_GAP_YEARS}
              and not {_near_dob(l, r)})
             or {_born_after_record(l, r)} or {_born_after_record(r, l)})
            and {_no_shared_pnc(l, r)})""",
        "junior_senior": f"coalesce({l}.generation <> {r}.generation, false)",
        "firm_dob": f"""({l}.dob is not null and {r}.dob is not null and {l}.dob <> {r}.dob
            and {l}.dob_n >= {FIRM_DOB_MENTIONS} and {r}.dob_n >= {FIRM_DOB_MENTIONS}
            and not {_near_dob(l, r)} and {_no_shared_pnc(l, r)})""",
        "twins": f"""({l}.surname = {r}.surname and {l}.dob = {r}.dob and {_no_shared_pnc(l, r)}
            and ({_initials_differ(l, r)}
                 or ({l}.sex <> {r}.sex and {l}.forename_canon <> {r}.forename_canon)))""",
        "household_member": f"""({clearly_different_forenames_sql(l, r)}
            and (({l}.dob is not null and {r}.dob is not null and {l}.dob <> {r}.dob
                  and not {_near_dob(l, r)})
                 or {l}.sex <> {r}.sex)
            and {_no_shared_pnc(l, r)})""",
        "age_apart": f"""({clearly_different_forenames_sql(l, r)} and {_ages_apart(l, r)}
            and {_no_shared_pnc(l, r)})""",
        "dob_apart": f"""({l}.dob is not null and {r}.dob is not null
            and abs({l}.birth_year - {r}.birth_year) >= {DOB_APART_YEARS}
            and not {_near_dob(l, r)} and {_no_shared_pnc(l, r)})""",
        "undated_sibling": f"""({l}.surname = {r}.surname
            and ({l}.dob is null or {r}.dob is null)
            and coalesce(abs({l}.birth_year - {r}.birth_year) <= 1, true)
            and ({l}.address = {r}.address or {l}.postcode = {r}.postcode)
            and {_lone_forename(l, r)}
            and {clearly_different_forenames_sql(l, r)} and {_no_shared_pnc(l, r)})""",
        "firm_forenames": f"""({l}.surname = {r}.surname
            and {l}.forename_n >= {FIRM_FORENAME_MENTIONS}
            and {r}.forename_n >= {FIRM_FORENAME_MENTIONS}
            and {clearly_different_forenames_sql(l, r)} and {_no_shared_pnc(l, r)})""",
        "undated_namesake": f"""({l}.namesakes_apart and {r}.namesakes_apart
            and ({l}.birth_year is null) <> ({r}.birth_year is null)
            and {l}.forename_canon = {r}.forename_canon and {l}.surname = {r}.surname
            and {_no_shared_pnc(l, r)})""",
        "siblings": f"""({l}.surname = {r}.surname
            and ({l}.dob = {r}.dob or {l}.address = {r}.address or {l}.postcode = {r}.postcode)
            and {clearly_different_forenames_sql(l, r)}
            and {_no_shared_pnc(l, r)}
            and coalesce(damerau_levenshtein({l}.phone, {r}.phone) > 1, true))""",
    }
    return [(name, sql) for name, sql in rules.items() if name in on]


def _case(rules: list[tuple[str, str]]) -> tuple[str, str]:
    when = " ".join(f"when {sql} then '{name}'" for name, sql in rules)
    return f"case {when} end", " or ".join(sql for _, sql in rules)


# A guard pair is waived when the PNC id one of the two shares with another mention names the
# other (``_waived_by_pnc_group``); ``bench/link_train.py --pnc-waiver 0`` measures it off.
WAIVE_BY_PNC_GROUP = True
# Guards a PNC group can waive: the feature-only pair guards. Two people in one event, a pair
# the model itself scored as two people, and Jr/Sr stay whatever the PNC ids say.
PNC_WAIVABLE = (
    "named_apart",
    "generation",
    "firm_dob",
    "twins",
    "undated_namesake",
    "household_member",
    "age_apart",
    "dob_apart",
    "undated_sibling",
    "firm_forenames",
    "siblings",
)


def _same_person_as(x: str, b: str) -> str:
    """Mention ``x`` is written as ``b`` is: forename (canonical), surname, and the date of birth
    (or, where one gives an age only, the birth year within one)."""
    return f"""({x}.forename_canon = {b}.forename_canon and {x}.surname = {b}.surname
        and coalesce({x}.dob = {b}.dob,
                     abs({x}.birth_year - {b}.birth_year) <= 1, false))"""


def _waived_by_pnc_group(query: str) -> str:
    """The guard pairs of ``query`` less those a PNC id contradicts.

    A PNC id is one person's own number, so mentions sharing one are one person. A guard between
    ``a`` and ``b`` (a known-as name with a date of birth against the person's usual name, say)
    is then waived where ``a`` shares its PNC id with another mention ``x`` of the component that
    is written as ``b`` is (same forename, surname and date of birth, see ``_same_person_as``) and
    that no guard keeps apart from ``b``: ``b`` is the person ``x`` is, and ``x`` is ``a``'s
    person. (Or the same with ``a`` and ``b`` the other way round.) A twin, a sibling or a
    same-named son is never written with the other's date of birth, so the PNC group of one
    cannot waive a guard against the other.
    """
    waivable = ", ".join(f"'{g}'" for g in PNC_WAIVABLE)

    def side(own: str, other: str, own_id: str, other_id: str) -> str:
        # x shares the PNC id of ``own`` and is written as ``other``, with no guard between them
        return f"""select g.a, g.b from found as g
          join {NODES} as {own} on {own}.unique_id = g.{own_id}
          join {NODES} as {other} on {other}.unique_id = g.{other_id}
          join {NODES} as x on x.component = {own}.component and x.pnc_id = {own}.pnc_id
            and x.unique_id <> g.a and x.unique_id <> g.b
          where g.guard in ({waivable}) and {_same_person_as("x", other)}
            and not exists (select 1 from pairs as p
              where p.a = least(x.unique_id, g.{other_id})
                and p.b = greatest(x.unique_id, g.{other_id}))"""

    return f"""with found as ({query}),
    pairs as (select distinct a, b from found),
    waived as ({side("l", "r", "a", "b")} union {side("r", "l", "b", "a")})
    select found.* from found
    where found.guard not in ({waivable})
       or not exists (select 1 from waived as w where w.a = found.a and w.b = found.b)"""


def component_guard_pairs(
    con: Any,
    features: str,
    ids: IntArray,
    component: IntArray,
    *,
    enabled: Iterable[str],
) -> tuple[IntArray, IntArray, list[str]]:
    """Pairs of mentions inside one component that a guard keeps apart: (left, right, guard).

    ``ids`` and ``component`` give each mention of a component of two or more mentions; the
    mention features are in DuckDB table or view ``features`` (and, for ``one_event`` and
    ``look_alike``, tables ``mention_events`` and ``weak_pairs`` where present).
    """
    on = set(enabled)
    con.register("__guard_arrow", pa.table({"unique_id": ids, "component": component}))
    con.execute(f"create or replace temp table {COMPONENTS} as select * from __guard_arrow")
    con.unregister("__guard_arrow")
    con.execute(
        f"""create or replace temp table {NODES} as
        select f.*, c.component,
          count(f.dob) over (partition by c.component, f.dob) as dob_n,
          count(f.forename_canon) over (partition by c.component, f.forename_canon)
            as forename_n
        from {COMPONENTS} as c join {features} as f on f.unique_id = c.unique_id"""
    )
    con.execute(
        f"""create or replace temp table {NODES} as
        with apart as (
          select distinct l.component, l.forename_canon, l.surname from {NODES} as l
          join {NODES} as r on l.component = r.component and l.unique_id < r.unique_id
            and l.forename_canon = r.forename_canon and l.surname = r.surname
          where abs(l.birth_year - r.birth_year) >= {GENERATION_GAP_YEARS}
            and not {_near_dob("l", "r")} and {_no_shared_pnc("l", "r")})
        select n.*, coalesce(a.component is not null, false) as namesakes_apart
        from {NODES} as n left join apart as a on a.component = n.component
          and a.forename_canon = n.forename_canon and a.surname = n.surname"""
    )
    parts: list[str] = []
    rules = pair_guard_sql("l", "r", enabled=on)
    if rules:
        label, where = _case(rules)
        parts.append(
            f"""select l.unique_id as a, r.unique_id as b, {label} as guard
            from {NODES} as l join {NODES} as r
              on l.component = r.component and l.unique_id < r.unique_id
            where {where}"""
        )
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    evidence = EVENTS in tables and ("named_apart" in on or details.TWINS_NEED_EVIDENCE)
    if evidence:
        details.named_apart_table(con, features)
    if "named_apart" in on and evidence:
        parts.append(details.named_apart_part())
    if "one_event" in on and EVENTS in tables:
        parts.append(
            f"""select distinct e1.mention_id as a, e2.mention_id as b, 'one_event' as guard
            from {EVENTS} as e1 join {EVENTS} as e2
              on e1.event_id = e2.event_id and e1.mention_id < e2.mention_id
            join {COMPONENTS} as c1 on c1.unique_id = e1.mention_id
            join {COMPONENTS} as c2 on c2.unique_id = e2.mention_id
            where c1.component = c2.component"""
        )
    if "look_alike" in on and WEAK in tables:
        parts.append(
            f"""select w.a, w.b, 'look_alike' as guard
            from {WEAK} as w join {NODES} as l on l.unique_id = w.a
            join {NODES} as r on r.unique_id = w.b
            where l.component = r.component and l.surname = r.surname
              and (l.dob = r.dob or l.forename_canon = r.forename_canon)"""
        )
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    query = " union all ".join(f"({p})" for p in parts)
    if details.TWINS_NEED_EVIDENCE and evidence:
        query = details.evidence_only(query)
    if details.own_detail_table(con):
        query = details.own_detail_waiver(query)
    if WAIVE_BY_PNC_GROUP:
        query = _waived_by_pnc_group(query)
    found = con.execute(query).fetchnumpy()
    return (
        found["a"].astype(np.int64),
        found["b"].astype(np.int64),
        [str(g) for g in found["guard"].tolist()],
    )


def guards_between(con: Any, features: str, left: int, right: int) -> list[str]:
    """Every guard that keeps mentions ``left`` and ``right`` apart, taken as a component of two
    (for the "why" view): firm dates of birth need more mentions and are not judged here."""
    rules = pair_guard_sql(
        "l", "r", enabled=set(GUARDS) - {"firm_dob", "firm_forenames", "undated_namesake"}
    )
    left, right = min(left, right), max(left, right)
    found: list[str] = []
    for name, sql in rules:
        hit = con.execute(
            f"select count(*) from (select *, 1 as dob_n, 1 as forename_n from {features}) as l, "
            f"(select *, 1 as dob_n, 1 as forename_n from {features}) as r "
            f"where l.unique_id = ? and r.unique_id = ? and {sql}",
            [left, right],
        ).fetchall()[0][0]
        if hit:
            found.append(name)
    return found
