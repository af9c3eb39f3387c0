"""The registry of partner agencies: add them, list them, and resolve the names that referrals
and accounts use for them to one entry (``safeguard.domain.partners``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from safeguard.adapters.db.partners import partner_agencies, partner_agency_names
from safeguard.domain.partners import PartnerAgency, Sector, check_agency, name_key
from safeguard.errors import ValidationFailed

logger = logging.getLogger(__name__)


def register_agency(
    conn: Connection,
    *,
    code: str,
    display_name: str,
    sector: str,
    names: Iterable[str] = (),
    now: datetime | None = None,
) -> PartnerAgency:
    """Add an agency to the registry (or keep the one there) and every name it is known by.

    Raises:
        ValidationFailed: a bad code, name or sector, or a name already taken by another agency.
    """
    agency = check_agency(code, display_name, sector)
    exists = conn.execute(
        sa.select(partner_agencies.c.code).where(partner_agencies.c.code == agency.code)
    ).first()
    if exists is None:
        conn.execute(
            sa.insert(partner_agencies).values(
                code=agency.code,
                display_name=agency.display_name,
                sector=str(agency.sector),
                created_at=(now or datetime.now(UTC)).astimezone(UTC),
            )
        )
    for name in (agency.code, agency.display_name, *names):
        key = name_key(name)
        if not key or len(key) > 200:
            raise ValidationFailed("names: each name is 1 to 200 characters")
        taken = conn.execute(
            sa.select(partner_agency_names.c.code).where(partner_agency_names.c.name_key == key)
        ).scalar()
        if taken is not None and taken != agency.code:
            raise ValidationFailed(f"names: {name!r} already names agency {taken!r}")
        if taken is None:
            conn.execute(_insert_name(conn, key, agency.code))
    return agency


def _insert_name(conn: Connection, key: str, code: str) -> sa.Executable:
    values = {"name_key": key, "code": code}
    if conn.dialect.name == "postgresql":
        return pg_insert(partner_agency_names).values(values).on_conflict_do_nothing()
    return sqlite_insert(partner_agency_names).values(values).on_conflict_do_nothing()


def _agency(row: sa.Row[tuple[object, ...]]) -> PartnerAgency:
    return PartnerAgency(str(row.code), str(row.display_name), Sector(str(row.sector)))


def list_agencies(conn: Connection) -> list[PartnerAgency]:
    rows = conn.execute(sa.select(partner_agencies).order_by(partner_agencies.c.display_name))
    return [_agency(r) for r in rows]


def resolve(conn: Connection, name: str | None) -> PartnerAgency | None:
    """The registry entry a code or name (as a referral writes it) stands for, if any."""
    if not name or not name.strip():
        return None
    row = conn.execute(
        sa.select(partner_agencies)
        .join(partner_agency_names, partner_agency_names.c.code == partner_agencies.c.code)
        .where(partner_agency_names.c.name_key == name_key(name))
    ).first()
    return None if row is None else _agency(row)


def require(conn: Connection, name: str, field: str = "agency") -> PartnerAgency:
    """``resolve`` that refuses an unknown agency with a message naming the known ones."""
    found = resolve(conn, name)
    if found is None:
        known = ", ".join(a.code for a in list_agencies(conn)) or "none registered yet"
        raise ValidationFailed(
            f"{field}: {name[:64]!r} is not a registered partner agency (known: {known})"
        )
    return found


def resolve_many(conn: Connection, names: Iterable[str | None]) -> dict[str, str]:
    """Registry code for each of ``names`` that resolves (keyed by the name as given)."""
    wanted = {n: name_key(n) for n in names if n and n.strip()}
    if not wanted:
        return {}
    rows = conn.execute(
        sa.select(partner_agency_names.c.name_key, partner_agency_names.c.code).where(
            partner_agency_names.c.name_key.in_(sorted(set(wanted.values())))
        )
    ).all()
    codes = {str(k): str(c) for k, c in rows}
    return {n: codes[k] for n, k in wanted.items() if k in codes}


def names_of(code: str) -> sa.Select[tuple[str]]:
    """Every name key of an agency: ``lower(referrals.agency).in_(names_of(code))``."""
    return sa.select(partner_agency_names.c.name_key).where(partner_agency_names.c.code == code)


def display_names(conn: Connection) -> dict[str, str]:
    rows = conn.execute(sa.select(partner_agencies.c.code, partner_agencies.c.display_name))
    return {str(c): str(n) for c, n in rows}
