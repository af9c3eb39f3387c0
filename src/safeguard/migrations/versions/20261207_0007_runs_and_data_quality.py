"""runs end cleanly (process of each run, one link run at a time, assessment run status) and
data-quality flags (a bad field stored as null, the record kept)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = safeguard.adapters.db.types.UTCDateTime
RUN_TABLES = ("ingest_runs", "link_runs", "assessment_runs")


def upgrade() -> None:
    for name in RUN_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
    with op.batch_alter_table("ingest_runs") as batch:
        batch.add_column(sa.Column("flagged", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("assessment_runs") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="done")
        )
    # Runs left "running" before this revision have no process to check: they are over.
    for name in RUN_TABLES:
        op.execute(
            sa.text(
                f"UPDATE {name} SET status = 'abandoned' WHERE status = 'running'"
                if name != "assessment_runs"
                else f"UPDATE {name} SET status = 'abandoned' WHERE finished_at IS NULL"
            )
        )
    op.create_index(
        "uq_link_runs_one_running",
        "link_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_table(
        "data_quality_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_data_quality_flags_run_id_ingest_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_quality_flags")),
        sa.UniqueConstraint(
            "file_sha256",
            "row_number",
            "field",
            name=op.f("uq_data_quality_flags_file_sha256_row_number_field"),
        ),
    )
    op.create_index(
        "ix_data_quality_flags_record",
        "data_quality_flags",
        ["record_type", "source_system", "source_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_data_quality_flags_record", table_name="data_quality_flags")
    op.drop_table("data_quality_flags")
    op.drop_index("uq_link_runs_one_running", table_name="link_runs")
    with op.batch_alter_table("assessment_runs") as batch:
        batch.drop_column("status")
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("flagged")
    for name in RUN_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("host")
            batch.drop_column("pid")
