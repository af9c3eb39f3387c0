"""Partner agencies and what is shared with them: the registry's entries, the names a record may
use for an agency, and the rules of a share (which record kinds, for how long).

A referral names its recipient as the records system wrote it ("Cumbria Children's Services");
a partner's account names its agency by code (``childrens-services``). Both resolve to one
registry entry, through the entry's code, display name and any other names it is known by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from safeguard.domain.access import SHAREABLE, RecordKind
from safeguard.errors import ValidationFailed

CODE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
MAX_SHARE = timedelta(days=366)
MIN_SHARE = timedelta(hours=1)


class Sector(StrEnum):
    CHILDRENS_SOCIAL_CARE = "children's social care"
    ADULT_SOCIAL_CARE = "adult social care"
    HEALTH = "health"
    EDUCATION = "education"
    VICTIM_SERVICES = "victim services"
    MULTI_AGENCY = "multi-agency"
    HOUSING = "housing"
    PROBATION = "probation"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PartnerAgency:
    code: str
    display_name: str
    sector: Sector


def name_key(name: str) -> str:
    """How names are compared: case, outer spaces, runs of spaces and curly quotes ignored."""
    return " ".join(name.replace("\u2019", "'").split()).lower()


def check_agency(code: str, display_name: str, sector: str) -> PartnerAgency:
    """A registry entry, checked. Raises ValidationFailed naming the field."""
    if not CODE_RE.fullmatch(code):
        raise ValidationFailed(
            "code: 2-64 lower-case letters, digits, '_' or '-', starting with a letter"
        )
    if not display_name.strip() or len(display_name) > 200:
        raise ValidationFailed("display_name: 1 to 200 characters")
    try:
        chosen = Sector(sector)
    except ValueError:
        known = ", ".join(s.value for s in Sector)
        raise ValidationFailed(f"sector: {sector[:40]!r} is not one of {known}") from None
    return PartnerAgency(code, display_name.strip(), chosen)


def check_share_kinds(kinds: Iterable[str]) -> frozenset[RecordKind]:
    """The record kinds a share covers: at least one, each shareable (identity and the referrals
    made to the agency always are; the police record itself never is)."""
    chosen: set[RecordKind] = set()
    for k in kinds:
        try:
            kind = RecordKind(k)
        except ValueError:
            known = ", ".join(sorted(SHAREABLE))
            raise ValidationFailed(f"record_kinds: {k[:40]!r} is not one of {known}") from None
        if kind not in SHAREABLE:
            known = ", ".join(sorted(SHAREABLE))
            raise ValidationFailed(
                f"record_kinds: {kind} is always shared or never shareable; choose from {known}"
            )
        chosen.add(kind)
    if not chosen:
        raise ValidationFailed("record_kinds: choose at least one kind of record to share")
    return frozenset(chosen)


def check_share_expiry(expires_at: datetime, *, now: datetime) -> datetime:
    """A share ends between an hour and a year from now."""
    if expires_at - now < MIN_SHARE:
        raise ValidationFailed("expires: a share must last at least an hour from now")
    if expires_at - now > MAX_SHARE:
        raise ValidationFailed("expires: a share may last at most a year; share again after")
    return expires_at


def share_active(
    *, revoked_at: datetime | None, expires_at: datetime | None, now: datetime
) -> bool:
    return revoked_at is None and (expires_at is None or expires_at > now)
