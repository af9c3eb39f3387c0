"""Tables for accounts: users, sign-in sessions, API tokens, break-glass grants, agency sharing."""

from __future__ import annotations

import sqlalchemy as sa

from safeguard.adapters.db.tables import metadata
from safeguard.adapters.db.types import UTCDateTime

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(32), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("agency", sa.String(64), nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_login_at", UTCDateTime(), nullable=True),
)

# A signed-in browser session; the cookie holds a random id, only its SHA-256 is stored.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    sa.Column("ended_at", UTCDateTime(), nullable=True),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
)

# A recorded reason to see a restricted person; valid for a limited time, for one viewer and
# one person. The reason is also in the audit log (action person.break_glass). A supervisor
# reviews each use (review_status: NULL = not yet reviewed, "accepted" or "questioned").
break_glass_grants = sa.Table(
    "break_glass_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("granted_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=True),  # migration 0006; NULL before it
    sa.Column("reference", sa.String(40), nullable=True),
    sa.Column("review_status", sa.String(16), nullable=True),
    sa.Column("reviewed_by", sa.Integer, nullable=True),
    sa.Column("reviewed_at", UTCDateTime(), nullable=True),
    sa.Column("review_note", sa.Text, nullable=True),
    sa.Index("ix_break_glass_grants_user_person", "user_id", "person_id"),
)

# What is shared with which partner agency (a disclosure, audited when made): the agency's
# registry code, the purpose, the record kinds covered (comma-separated) and when it ends.
agency_shares = sa.Table(
    "agency_shares",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.Integer, nullable=False),
    sa.Column("agency", sa.String(64), nullable=False),
    sa.Column("shared_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("shared_at", UTCDateTime(), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.Column("purpose", sa.String(40), nullable=True),  # migration 0006; NULL before it
    sa.Column("reference", sa.String(40), nullable=True),
    sa.Column("record_kinds", sa.Text, nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("revoked_by", sa.Integer, nullable=True),
    sa.Column("revoke_reason", sa.Text, nullable=True),
    sa.Index("ix_agency_shares_agency_person", "agency", "person_id"),
    sa.Index("ix_agency_shares_person_id", "person_id"),  # who may see a person (every view)
)

# Person search by partial name, case-insensitive: a prefix range on one lower(name) drives
# one of these on both SQLite and PostgreSQL, and the other name's word is checked in the same
# index entries (migration 0005).
_mentions = metadata.tables["person_mentions"]
_low_surname = sa.func.lower(_mentions.c.surname)
_low_forenames = sa.func.lower(_mentions.c.forenames)
sa.Index("ix_person_mentions_lower_surname_forenames", _low_surname, _low_forenames)
sa.Index("ix_person_mentions_lower_forenames_surname", _low_forenames, _low_surname)
