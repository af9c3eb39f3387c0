"""Person mentions into Arrow and DuckDB, normalised in SQL the way ``domain.linking`` does it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from safeguard.adapters.db.people import person_links
from safeguard.adapters.db.tables import involvements, person_mentions
from safeguard.domain.linking import (
    EARLIEST_BIRTH,
    PLACEHOLDER_BIRTH_DATES,
    forename_variant_table,
    nickname_table,
)

logger = logging.getLogger(__name__)

RAW_COLUMNS = (
    "id",
    "forenames",
    "surname",
    "date_of_birth",
    "age",
    "sex",
    "address",
    "postcode",
    "phone",
    "pnc_id",
    "mention_date",
    "other_names",
)

RAW_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("forenames", pa.string()),
        ("surname", pa.string()),
        ("date_of_birth", pa.date32()),
        ("age", pa.int32()),
        ("sex", pa.string()),
        ("address", pa.string()),
        ("postcode", pa.string()),
        ("phone", pa.string()),
        ("pnc_id", pa.string()),
        ("mention_date", pa.date32()),
        ("other_names", pa.list_(pa.string())),
    ]
)

# The columns the Splink model compares (see ``domain.linking.MentionFeatures``).
FEATURE_COLUMNS = (
    "unique_id",
    "forename",
    "middle_names",
    "forename_canon",
    "forename_variants",
    "surname",
    "surname_first",
    "surname_last",
    "dob",
    "dob_swapped",
    "birth_year",
    "born_from",
    "born_to",
    "born_by",
    "sex",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address",
    "phone",
    "pnc_id",
    "unlinkable",
    "generation",
    "other_forenames",
    "other_surnames",
)

_TITLES = "('mr','mrs','miss','ms','dr','mx','sir','rev')"
_GENERATION = "('jr','jnr','junior','sr','snr','senior')"


def _name_words_sql(column: str) -> str:
    """A forename field's words as ``domain.linking.split_forenames`` splits them (hyphens split,
    titles and Jr/Sr dropped)."""
    return f"""list_filter(string_split(trim(regexp_replace(regexp_replace(regexp_replace(
      replace(replace(lower(strip_accents(coalesce({column}, ''))), '''', ''), '.', ' '),
      '[^a-z ]', ' ', 'g'), '\\s+', ' ', 'g'), '^ | $', '', 'g')), ' '),
      lambda x: x <> '' and x not in {_TITLES} and x not in {_GENERATION})"""


def _words_sql(column: str) -> str:
    """A name's words as ``domain.linking.generation_suffix`` splits them."""
    return (
        "string_split(regexp_replace(replace(replace(lower(strip_accents("
        f"coalesce({column}, ''))), '''', ''), '.', ' '), '[^a-z]+', ' ', 'g'), ' ')"
    )


_PLACEHOLDERS = ", ".join(f"DATE '{d.isoformat()}'" for d in PLACEHOLDER_BIRTH_DATES)


def feature_sql(raw_table: str, today: date, earliest_birth: date = EARLIEST_BIRTH) -> str:
    """DuckDB SQL turning raw mention columns into model features; mirrors ``mention_features``."""
    earliest = earliest_birth.isoformat()
    return f"""
with o as (
  select id, unnest(other_names) as entry from {raw_table} where len(other_names) > 0
), ow as (
  select id, {_name_words_sql("entry")} as w from o
), op as (
  select ow.id, case when len(w) > 1 then w[1] end as fore,
    case when len(w) > 1 then coalesce(onk.canon, w[1]) end as canon, w[-1] as sur
  from ow left join __safeguard_nicknames as onk on onk.name = w[1]
  where len(w) > 0
), oa as (
  select id,
    list_sort(list_distinct(list(canon))) as other_forenames,
    list_sort(list_distinct(list(fore) || list(canon))) as other_forms,
    list_sort(list_distinct(list(sur))) as other_surnames
  from op group by id
), n as (
  select
    id,
    {_name_words_sql("forenames")} as fparts,
    list_filter(regexp_split_to_array(regexp_replace(
      replace(replace(lower(strip_accents(coalesce(surname, ''))), '''', ''), '.', ' '),
      '[^a-z \\-]', ' ', 'g'), '[ \\-]+'), lambda x: x <> '' and x not in {_GENERATION})
      as sparts,
    case when list_has_any({_words_sql("forenames")} || {_words_sql("surname")},
                           ['jr', 'jnr', 'junior']) then 'junior'
         when list_has_any({_words_sql("forenames")} || {_words_sql("surname")},
                           ['sr', 'snr', 'senior']) then 'senior' end as generation,
    case when date_of_birth not in ({_PLACEHOLDERS}) then date_of_birth end as date_of_birth,
    age, mention_date,
    case when sex in ('male', 'female') then sex end as sex,
    nullif(regexp_replace(upper(coalesce(postcode, '')), '[^A-Z0-9]', '', 'g'), '') as pc,
    nullif(trim(regexp_replace(regexp_replace(lower(coalesce(address, '')), '[^a-z0-9 ]', ' ',
      'g'), '\\s+', ' ', 'g')), '') as address,
    regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') as digits,
    nullif(upper(replace(coalesce(pnc_id, ''), ' ', '')), '') as pnc_id
  from {raw_table}
), f as (
  select
    id as unique_id,
    fparts[1] as forename,
    nullif(array_to_string(fparts[2:], ' '), '') as middle_names,
    nullif(array_to_string(sparts, '-'), '') as surname,
    sparts[1] as surname_first,
    sparts[-1] as surname_last,
    date_of_birth, age, mention_date, sex, address, pnc_id, generation,
    case when regexp_matches(pc, '^[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}$')
         then left(pc, length(pc) - 3) || ' ' || right(pc, 3) else pc end as postcode,
    case when regexp_matches(pc, '^[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}$')
         then left(pc, length(pc) - 3) || ' ' || left(right(pc, 3), 1) end as postcode_sector,
    case when regexp_matches(pc, '^[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}$')
         then left(pc, length(pc) - 3) end as postcode_district,
    case
      when digits like '0044%' then '0' || substr(digits, 5)
      when digits like '44%' and length(digits) = 12 then '0' || substr(digits, 3)
      else digits end as phone0
  from n
), r as (
  select f.*,
    case
      when forename is null and surname is null then 'no_name'
      when coalesce(length(forename), 0) <= 1 and coalesce(length(surname), 0) <= 1
        then 'initials_only'
      when date_of_birth is not null and (date_of_birth < DATE '{earliest}'
        or date_of_birth > least(DATE '{today.isoformat()}',
                                 coalesce(mention_date, DATE '{today.isoformat()}')))
        then 'impossible_date_of_birth'
      when (forename is not null)::int + (surname is not null)::int
        + (date_of_birth is not null)::int + (age is not null)::int
        + (postcode is not null)::int + (address is not null)::int
        + (length(phone0) >= 6)::int <= 1 then 'single_field'
    end as unlinkable
  from f
), b as (
select
  unique_id, forename, middle_names,
  coalesce(nk.canon, forename) as forename_canon,
  case when forename is null then []::varchar[]
       else coalesce(nv.variants, [forename]) end as forename_variants,
  coalesce(oa.other_forenames, []::varchar[]) as other_forenames,
  coalesce(oa.other_forms, []::varchar[]) as other_forms,
  coalesce(oa.other_surnames, []::varchar[]) as other_surnames,
  surname, surname_first, surname_last,
  case when unlinkable = 'impossible_date_of_birth' then null
       else strftime(date_of_birth, '%Y-%m-%d') end as dob,
  case when unlinkable = 'impossible_date_of_birth' or day(date_of_birth) > 12
         or day(date_of_birth) = month(date_of_birth) then null
       else strftime(make_date(year(date_of_birth), day(date_of_birth),
                               month(date_of_birth)), '%Y-%m-%d') end as dob_swapped,
  coalesce(
    case when unlinkable = 'impossible_date_of_birth' then null else year(date_of_birth) end,
    year(mention_date) - age)::integer as birth_year,
  -- an age only: the dates of birth that give that age on the record's date
  case when (date_of_birth is null or unlinkable = 'impossible_date_of_birth')
    and age >= 0 and mention_date is not null then
    strftime(mention_date - to_years(age + 1) + interval 1 day, '%Y-%m-%d') end as born_from,
  case when (date_of_birth is null or unlinkable = 'impossible_date_of_birth')
    and age >= 0 and mention_date is not null then
    strftime(mention_date - to_years(age), '%Y-%m-%d') end as born_to,
  -- whoever a record names was born by the record's date (the guards' bound, not an age)
  strftime(mention_date, '%Y-%m-%d') as born_by,
  sex, postcode, postcode_sector, postcode_district, address,
  case when length(phone0) >= 6 then phone0 end as phone,
  pnc_id, unlinkable, generation
from r left join __safeguard_nicknames as nk on nk.name = r.forename
left join __safeguard_name_variants as nv on nv.name = r.forename
left join oa on oa.id = r.unique_id
), pool as (
  -- the other names of every mention written alike (forename, surname and date of birth)
  select forename_canon, surname, dob,
    list_sort(list_distinct(flatten(list(other_forenames)))) as other_forenames,
    list_sort(list_distinct(flatten(list(other_forms)))) as other_forms,
    list_sort(list_distinct(flatten(list(other_surnames)))) as other_surnames
  from b
  where forename_canon is not null and surname is not null and dob is not null
    and len(other_forms) + len(other_surnames) > 0
  group by forename_canon, surname, dob
), pooled as (
  select b.* exclude (other_forenames, other_forms, other_surnames),
    coalesce(p.other_forenames, b.other_forenames) as other_forenames,
    coalesce(p.other_forms, b.other_forms) as other_forms,
    coalesce(p.other_surnames, b.other_surnames) as other_surnames
  from b left join pool as p on p.forename_canon = b.forename_canon
    and p.surname = b.surname and p.dob = b.dob
)
select * exclude (forename_variants, other_forms),
  case when forename is null or len(other_forms) = 0 then forename_variants
       else list_sort(list_distinct(forename_variants || other_forms)) end as forename_variants
from pooled
"""


def register_nicknames(con: duckdb.DuckDBPyConnection) -> None:
    """The nickname table (``domain.linking.nickname_table``) as a DuckDB table."""
    table = nickname_table()
    arrow = pa.table({"name": list(table), "canon": list(table.values())})
    con.register("__safeguard_nicknames_arrow", arrow)
    con.execute(
        "create or replace table __safeguard_nicknames as select * from __safeguard_nicknames_arrow"
    )
    con.unregister("__safeguard_nicknames_arrow")
    variants = forename_variant_table()
    arrow = pa.table(
        {"name": list(variants), "variants": [list(v) for v in variants.values()]},
        schema=pa.schema([("name", pa.string()), ("variants", pa.list_(pa.string()))]),
    )
    con.register("__safeguard_variants_arrow", arrow)
    con.execute(
        "create or replace table __safeguard_name_variants as "
        "select * from __safeguard_variants_arrow"
    )
    con.unregister("__safeguard_variants_arrow")


def build_features(
    con: duckdb.DuckDBPyConnection,
    raw: pa.Table,
    *,
    table: str,
    today: date,
    earliest_birth: date = EARLIEST_BIRTH,
) -> int:
    """Normalise ``raw`` mentions into DuckDB table ``table``; returns its row count."""
    register_nicknames(con)
    con.register("__safeguard_raw", raw)
    sql = feature_sql("__safeguard_raw", today, earliest_birth)
    con.execute(f"create or replace table {table} as {sql}")
    con.unregister("__safeguard_raw")
    return int(con.execute(f"select count(*) from {table}").fetchall()[0][0])


def _other_names(value: object) -> list[str] | None:
    """A stored ``other_names`` value (a JSON list of names) as a list of strings."""
    if value is None:
        return None
    if isinstance(value, str):  # names as text, joined with ';' as in a CSV extract
        return value.split(";")
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    return [str(value)]


# Columns SQLite keeps as text that SQLAlchemy would turn into Python objects row by row (its
# date processing was most of the read at 1M): read as text, parsed by Arrow (ISO dates) or
# ``json`` (the other names' JSON list). Other databases' drivers give dates and JSON parsed.
_TEXT_ON_SQLITE = frozenset({"date_of_birth", "mention_date", "other_names"})


def _select_mentions(*, as_text: bool = False) -> sa.Select[Any]:
    return sa.select(
        *(
            sa.type_coerce(person_mentions.c[c], sa.Text).label(c)
            if as_text and c in _TEXT_ON_SQLITE
            else person_mentions.c[c]
            for c in RAW_COLUMNS
        )
    )


def _column_array(name: str, values: list[Any], *, as_text: bool) -> pa.Array:
    """One raw column as Arrow: text dates cast by Arrow, JSON text loaded, the rest as given."""
    kind = RAW_SCHEMA.field(name).type
    if name == "other_names":
        if as_text:
            values = [None if v is None else json.loads(v) for v in values]
        return pa.array([_other_names(v) for v in values], type=kind)
    if as_text and name in _TEXT_ON_SQLITE:
        # SQLite's dates are ISO text ("2019-08-26"); Arrow parses them in C
        return pa.array(values, type=pa.string()).cast(kind)
    return pa.array(values, type=kind)


def iter_mention_batches(
    engine: Engine, *, only_unlinked: bool = False, batch_rows: int = 100_000
) -> Iterator[pa.RecordBatch]:
    """Stored mentions as Arrow record batches (keyset-paged by id, so memory stays flat)."""
    as_text = engine.dialect.name == "sqlite"
    last = 0
    while True:
        query = _select_mentions(as_text=as_text).where(person_mentions.c.id > last)
        if only_unlinked:
            query = query.where(
                ~sa.exists().where(person_links.c.mention_id == person_mentions.c.id)
            )
        query = query.order_by(person_mentions.c.id).limit(batch_rows)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        columns = list(zip(*rows, strict=True))
        yield pa.RecordBatch.from_arrays(
            [
                _column_array(name, list(col), as_text=as_text)
                for name, col in zip(RAW_COLUMNS, columns, strict=True)
            ],
            schema=RAW_SCHEMA,
        )
        last = int(rows[-1][0])


def load_mentions(engine: Engine, *, only_unlinked: bool = False) -> pa.Table:
    """All (or only the not yet linked) stored mentions as one Arrow table."""
    batches = list(iter_mention_batches(engine, only_unlinked=only_unlinked))
    return pa.Table.from_batches(batches, schema=RAW_SCHEMA)


def load_mention_events(engine: Engine, batch_rows: int = 200_000) -> pa.Table:
    """Which mention is involved in which event (``mention_id``, ``event_id``), keyset-paged."""
    schema = pa.schema([("id", pa.int64()), ("mention_id", pa.int64()), ("event_id", pa.int64())])
    batches: list[pa.RecordBatch] = []
    last = 0
    while True:
        query = (
            sa.select(involvements.c.id, involvements.c.mention_id, involvements.c.event_id)
            .where(involvements.c.id > last)
            .order_by(involvements.c.id)
            .limit(batch_rows)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            break
        columns = list(zip(*rows, strict=True))
        batches.append(
            pa.RecordBatch.from_arrays(
                [pa.array(list(c), type=pa.int64()) for c in columns], schema=schema
            )
        )
        last = int(rows[-1][0])
    return pa.Table.from_batches(batches, schema=schema).select(["mention_id", "event_id"])


def raw_from_records(records: list[dict[str, Any]]) -> pa.Table:
    """Mentions given as dicts (storage column names) as an Arrow table of ``RAW_SCHEMA``."""
    return pa.Table.from_pylist(
        [
            {c: _other_names(r.get(c)) if c == "other_names" else r.get(c) for c in RAW_COLUMNS}
            for r in records
        ],
        schema=RAW_SCHEMA,
    )
