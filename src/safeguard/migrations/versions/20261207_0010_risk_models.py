"""risk model: versions (skops bytes, model card, active flag) and scores per incident and
person

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeguard.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "risk_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("trained_by", sa.String(length=64), nullable=False),
        sa.Column("data_end", UTC(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("card_markdown", sa.Text(), nullable=False),
        sa.Column("refusals", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("activated_at", UTC(), nullable=True),
        sa.Column("activated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_models")),
        sa.UniqueConstraint("target", "version", name=op.f("uq_risk_models_target_version")),
    )
    op.create_table(
        "risk_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("subject_key", sa.String(length=100), nullable=False),
        sa.Column("person_key", sa.String(length=32), nullable=False),
        sa.Column("other_key", sa.String(length=32), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTC(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("drivers", sa.JSON(), nullable=False),
        sa.Column("scored_at", UTC(), nullable=False),
        sa.Column("outcome", sa.Boolean(), nullable=True),
        sa.Column("dash_count", sa.Float(), nullable=True),
        sa.Column("officer_grade", sa.String(length=16), nullable=True),
        sa.Column("area", sa.String(length=64), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_id"], ["risk_models.id"], name=op.f("fk_risk_scores_model_id_risk_models")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_scores")),
        sa.UniqueConstraint(
            "model_id", "subject_key", name=op.f("uq_risk_scores_model_id_subject_key")
        ),
    )
    op.create_index(op.f("ix_risk_scores_event_id"), "risk_scores", ["event_id"], unique=False)
    op.create_index(op.f("ix_risk_scores_person_key"), "risk_scores", ["person_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_scores_person_key"), table_name="risk_scores")
    op.drop_index(op.f("ix_risk_scores_event_id"), table_name="risk_scores")
    op.drop_table("risk_scores")
    op.drop_table("risk_models")
