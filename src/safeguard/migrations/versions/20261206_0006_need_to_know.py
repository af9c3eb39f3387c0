"""need to know: partner-agency registry, scoped and expiring shares, break-glass purposes
and their review

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeguard.adapters.db.types.UTCDateTime

SHARE_COLUMNS = (
    ("purpose", sa.String(length=40)),
    ("reference", sa.String(length=40)),
    ("record_kinds", sa.Text()),
    ("expires_at", UTC()),
    ("revoked_by", sa.Integer()),
    ("revoke_reason", sa.Text()),
)
GRANT_COLUMNS = (
    ("purpose", sa.String(length=40)),
    ("reference", sa.String(length=40)),
    ("review_status", sa.String(length=16)),
    ("reviewed_by", sa.Integer()),
    ("reviewed_at", UTC()),
    ("review_note", sa.Text()),
)


def upgrade() -> None:
    op.create_table(
        "partner_agencies",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_partner_agencies")),
    )
    op.create_table(
        "partner_agency_names",
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"],
            ["partner_agencies.code"],
            name=op.f("fk_partner_agency_names_code_partner_agencies"),
        ),
        sa.PrimaryKeyConstraint("name_key", name=op.f("pk_partner_agency_names")),
    )
    op.create_index(
        op.f("ix_partner_agency_names_code"), "partner_agency_names", ["code"], unique=False
    )
    for name, type_ in SHARE_COLUMNS:
        op.add_column("agency_shares", sa.Column(name, type_, nullable=True))
    for name, type_ in GRANT_COLUMNS:
        op.add_column("break_glass_grants", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("break_glass_grants") as batch:
        for name, _ in reversed(GRANT_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("agency_shares") as batch:
        for name, _ in reversed(SHARE_COLUMNS):
            batch.drop_column(name)
    op.drop_index(op.f("ix_partner_agency_names_code"), table_name="partner_agency_names")
    op.drop_table("partner_agency_names")
    op.drop_table("partner_agencies")
