"""The registry of partner agencies, and every name a record may use for one of them."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

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
