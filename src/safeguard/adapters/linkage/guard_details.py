"""Evidence beyond a pair's two mentions, for the guards (``guards.component_guard_pairs``).

* ``named_apart``: two names seen as two people in one event anywhere in the data
  (``named_apart_table``) stay two people wherever else they are recorded together;
* the own-detail waiver (``own_detail_waiver``, branch ``twinev14``): ``twins``,
  ``undated_sibling`` and ``firm_forenames`` are dropped between two forenames that the
  component records, at one date of birth, with one person's own middle name, mobile or PNC id:
  a person's known-as name, not a twin or sibling recorded once.

What each is worth on the realistic extracts: ``docs/linking.md`` ("Guards").
"""

from __future__ import annotations

from typing import Any

from safeguard.adapters.linkage.model import clearly_different_forenames_sql

NODES = "__guard_nodes"  #: the component's mentions with their features (``guards``)
EVENTS = "mention_events"

# Measurement only (``bench/guards.py --off TWINS_NEED_EVIDENCE=1``): ``twins`` and
# ``undated_sibling`` hold only where ``named_apart``'s evidence names the two forenames as two
# people. Measured and not taken (``docs/linking.md``, "Evidence from events"): fewer than one
# twin pair in ten is ever recorded in one event, so without evidence most twins would merge.
TWINS_NEED_EVIDENCE = False
NAMED_APART = "__named_apart"
# ``twins``, ``undated_sibling`` and ``firm_forenames`` are waived where the component records
# the two forenames (with one surname and date of birth, or ages within a year) with a detail
# of one person's own (``_own_detail_waiver``, branch ``twinev14``): the same full middle name,
# the same UK mobile number (one the component records only for people born within
# ``MOBILE_BIRTH_SPAN`` years of each other; a number recorded for people born further apart is
# a household's phone, a parent's on a child's record), or the same PNC id.
WAIVE_BY_MIDDLE = True
# Off by default: a household's contact mobile is often recorded for each member, and where the
# parent's own records do not carry it the birth-span check cannot tell it from a twin's own
# (tests/linkage_data.py's households: twins of a mother whose number they share merged 8 of 32
# on Spark and DuckDB with it on). Measured on the realistic extracts in docs/benchmarks.md,
# "twinev14" ("without the mobile"): police 100k recall 0.9428 -> 0.9338, twins unchanged.
WAIVE_BY_MOBILE = False
WAIVE_BY_PNC_NAME = True
MOBILE_BIRTH_SPAN = 2
# A child's record carries a parent's number: a mobile is read as the person's own only on
# records made when he was this old or older (by the record's date and his birth year).
MOBILE_MIN_AGE = 14
OWN_DETAIL = "__own_detail_names"
OWN_DETAIL_WAIVABLE = ("twins", "undated_sibling", "firm_forenames")


def no_shared_pnc(l: str, r: str) -> str:  # noqa: E741
    return f"coalesce(damerau_levenshtein({l}.pnc_id, {r}.pnc_id) > 1, true)"


def named_apart_table(con: Any, features: str) -> None:
    """``NAMED_APART``: each (surname, forename, forename, birth years) of two mentions of one
    event with one surname and different canonical forenames, both ways round. Built from every
    event of the data, not only the components': the evidence may be anywhere."""
    con.execute(
        f"""create or replace temp table {NAMED_APART} as
        select distinct x.surname, x.forename_canon as fa, y.forename_canon as fb,
          x.birth_year as ya, y.birth_year as yb
        from {EVENTS} as e1 join {EVENTS} as e2
          on e1.event_id = e2.event_id and e1.mention_id <> e2.mention_id
        join {features} as x on x.unique_id = e1.mention_id
        join {features} as y on y.unique_id = e2.mention_id
        where x.surname = y.surname and x.forename_canon <> y.forename_canon"""
    )


def _named_apart_sql(l: str, r: str) -> str:  # noqa: E741
    """``l`` and ``r``'s names are named as two people in one event (``NAMED_APART``)."""
    return f"""exists (select 1 from {NAMED_APART} as n
        where n.surname = {l}.surname and n.fa = {l}.forename_canon
          and n.fb = {r}.forename_canon
          and coalesce(abs(n.ya - {l}.birth_year) <= 1, true)
          and coalesce(abs(n.yb - {r}.birth_year) <= 1, true))"""


def named_apart_part() -> str:
    """The ``named_apart`` guard pairs among the component nodes."""
    return f"""select l.unique_id as a, r.unique_id as b, 'named_apart' as guard
        from {NODES} as l join {NODES} as r
          on l.component = r.component and l.unique_id < r.unique_id
          and l.surname = r.surname and l.forename_canon <> r.forename_canon
        where {clearly_different_forenames_sql("l", "r")} and {no_shared_pnc("l", "r")}
          and ({_named_apart_sql("l", "r")})"""


def evidence_only(query: str) -> str:
    """``TWINS_NEED_EVIDENCE``: the ``twins`` and ``undated_sibling`` pairs of ``query`` only
    where ``NAMED_APART`` names the two forenames as two people (measurement only)."""
    return f"""with found as ({query})
    select found.* from found
    join {NODES} as l on l.unique_id = found.a join {NODES} as r on r.unique_id = found.b
    where found.guard not in ('twins', 'undated_sibling') or ({_named_apart_sql("l", "r")})"""


def _age_on_record(x: str) -> str:
    """How old ``x``'s person was in the year of the record (null without a birth year)."""
    return f"(cast(substr({x}.born_by, 1, 4) as integer) - {x}.birth_year)"


def own_detail_table(con: Any) -> bool:
    """``OWN_DETAIL``: per component, the pairs of canonical forenames (both ways round) that
    are each recorded, with one surname and the same date of birth (or birth years within one
    where either lacks one), with a detail of one person's own: a full middle name (two letters
    or more), a UK mobile number (07...) that the component records only for birth years
    within ``MOBILE_BIRTH_SPAN`` of each other and on records of people ``MOBILE_MIN_AGE`` or
    older, or a PNC id. False where no detail is
    used (``WAIVE_BY_*`` all off)."""
    same = []
    if WAIVE_BY_MIDDLE:
        same.append("(x.middle_names = y.middle_names and length(x.middle_names) >= 2)")
    if WAIVE_BY_MOBILE:
        same.append(
            f"""(x.phone = y.phone and x.phone like '07%' and x.phone_span <= {MOBILE_BIRTH_SPAN}
            and least({_age_on_record("x")}, {_age_on_record("y")}) >= {MOBILE_MIN_AGE})"""
        )
    if WAIVE_BY_PNC_NAME:
        same.append("(x.pnc_id = y.pnc_id)")
    if not same:
        return False
    con.execute(
        f"""create or replace temp table {OWN_DETAIL} as
        with n as (select *, coalesce(max(birth_year) over w - min(birth_year) over w, 0)
            as phone_span from {NODES} window w as (partition by component, phone))
        select distinct x.component, x.forename_canon as fa, y.forename_canon as fb
        from n as x join n as y
          on x.component = y.component and x.surname = y.surname
          and x.forename_canon <> y.forename_canon
        where ({" or ".join(same)})
          and coalesce(x.dob = y.dob, abs(x.birth_year - y.birth_year) <= 1, true)"""
    )
    return True


def own_detail_waiver(query: str) -> str:
    """The pairs of ``query`` less the ``OWN_DETAIL_WAIVABLE`` ones whose two forenames the
    component records with a detail of one person's own (``OWN_DETAIL``).

    A twin, a sibling or a son is a person of his own: his middle name is his parents' choice
    for him, his mobile and PNC id are his. Where the forename the guard reads as a second
    person is recorded with the other forename's full middle name, mobile number or PNC id, at
    the same date of birth, it is the person's known-as name, not a twin recorded once.
    """
    waivable = ", ".join(f"'{g}'" for g in OWN_DETAIL_WAIVABLE)
    return f"""with found as ({query})
    select found.* from found
    join {NODES} as l on l.unique_id = found.a join {NODES} as r on r.unique_id = found.b
    where found.guard not in ({waivable}) or not exists (select 1 from {OWN_DETAIL} as s
      where s.component = l.component and s.fa = l.forename_canon
        and s.fb = r.forename_canon)"""
