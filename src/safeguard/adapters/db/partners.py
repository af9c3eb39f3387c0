"""The registry of partner agencies, and every name a record may use for one of them; and its
repository (the use cases are ``safeguard.services.partners``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime
from safeguard.domain.partners import PartnerAgency, Sector

partner_agencies = sa.Table(
    "partner_agencies",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("sector", sa.String(40), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

# name_key = safeguard.domain.partners.name_key(name): the code, the display name and any other
# name (as referrals write it) all lead to one agency.
partner_agency_names = sa.Table(
    "partner_agency_names",
    metadata,
    sa.Column("name_key", sa.String(200), primary_key=True),
    sa.Column(
        "code", sa.String(64), sa.ForeignKey("partner_agencies.code"), nullable=False, index=True
    ),
)


def has_agency(conn: Connection, code: str) -> bool:
    found = conn.execute(
        sa.select(partner_agencies.c.code).where(partner_agencies.c.code == code)
    ).first()
    return found is not None


def insert_agency(conn: Connection, agency: PartnerAgency, *, at: datetime) -> None:
    conn.execute(
        sa.insert(partner_agencies).values(
            code=agency.code,
            display_name=agency.display_name,
            sector=str(agency.sector),
            created_at=at,
        )
    )


def code_named(conn: Connection, key: str) -> str | None:
    """The code of the agency a name key stands for, if any."""
    code = conn.execute(
        sa.select(partner_agency_names.c.code).where(partner_agency_names.c.name_key == key)
    ).scalar()
    return None if code is None else str(code)


def add_name(conn: Connection, key: str, code: str) -> None:
    """Record that ``key`` names agency ``code`` (kept as it is if a racing writer was first)."""
    values = {"name_key": key, "code": code}
    if conn.dialect.name == "postgresql":
        conn.execute(pg_insert(partner_agency_names).values(values).on_conflict_do_nothing())
    else:
        conn.execute(sqlite_insert(partner_agency_names).values(values).on_conflict_do_nothing())


def _agency(m: sa.RowMapping) -> PartnerAgency:
    return PartnerAgency(str(m["code"]), str(m["display_name"]), Sector(str(m["sector"])))


def agencies(conn: Connection) -> list[PartnerAgency]:
    """Every registered agency, by display name."""
    rows = conn.execute(sa.select(partner_agencies).order_by(partner_agencies.c.display_name))
    return [_agency(r._mapping) for r in rows]


def agency_named(conn: Connection, key: str) -> PartnerAgency | None:
    """The agency a name key stands for, if any."""
    row = conn.execute(
        sa.select(partner_agencies)
        .join(partner_agency_names, partner_agency_names.c.code == partner_agencies.c.code)
        .where(partner_agency_names.c.name_key == key)
    ).first()
    return None if row is None else _agency(row._mapping)


def codes_named(conn: Connection, keys: Iterable[str]) -> dict[str, str]:
    """The code each of ``keys`` names, for those that name one."""
    rows = conn.execute(
        sa.select(partner_agency_names.c.name_key, partner_agency_names.c.code).where(
            partner_agency_names.c.name_key.in_(sorted(set(keys)))
        )
    ).all()
    return {str(k): str(c) for k, c in rows}


def name_keys_of(code: str) -> sa.Select[tuple[str]]:
    """Every name key of an agency, as a subquery: ``lower(x.agency).in_(name_keys_of(code))``."""
    return sa.select(partner_agency_names.c.name_key).where(partner_agency_names.c.code == code)


def display_names(conn: Connection) -> dict[str, str]:
    """Display name of every registered agency, by code."""
    rows = conn.execute(sa.select(partner_agencies.c.code, partner_agencies.c.display_name))
    return {str(c): str(n) for c, n in rows}
