"""The registry of partner agencies: add them, list them, and resolve the names that referrals
and accounts use for them to one entry (``safeguard.domain.partners``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.engine import Connection

from safeguard.adapters.db import partners as store
from safeguard.domain.partners import PartnerAgency, check_agency, name_key
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
    if not store.has_agency(conn, agency.code):
        store.insert_agency(conn, agency, at=(now or datetime.now(UTC)).astimezone(UTC))
    for name in (agency.code, agency.display_name, *names):
        key = name_key(name)
        if not key or len(key) > 200:
            raise ValidationFailed("names: each name is 1 to 200 characters")
        taken = store.code_named(conn, key)
        if taken is not None and taken != agency.code:
            raise ValidationFailed(f"names: {name!r} already names agency {taken!r}")
        if taken is None:
            store.add_name(conn, key, agency.code)
    return agency


def list_agencies(conn: Connection) -> list[PartnerAgency]:
    return store.agencies(conn)


def resolve(conn: Connection, name: str | None) -> PartnerAgency | None:
    """The registry entry a code or name (as a referral writes it) stands for, if any."""
    if not name or not name.strip():
        return None
    return store.agency_named(conn, name_key(name))


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
    codes = store.codes_named(conn, wanted.values())
    return {n: codes[k] for n, k in wanted.items() if k in codes}


def display_names(conn: Connection) -> dict[str, str]:
    return store.display_names(conn)
