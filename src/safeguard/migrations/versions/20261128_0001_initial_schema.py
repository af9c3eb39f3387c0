"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 19:11:29.011540
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguard.adapters.db.types
from safeguard.adapters.db.history import (
    append_only_ddl,
    drop_append_only_ddl,
    drop_history_trigger_ddl,
    history_trigger_ddl,
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_TABLES = (
    "locations",
    "person_mentions",
    "objects",
    "events",
    "involvements",
    "risk_assessments",
    "referrals",
    "referral_status_changes",
    "missing_episodes",
    "victim_contacts",
    "satisfaction_responses",
)


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_ids", sa.Text(), nullable=False),
        sa.Column("person_ids", sa.Text(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("files", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("inserted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("quarantined", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("location_kind", sa.Text(), nullable=True),
        sa.Column("area", sa.String(length=64), nullable=True),
        sa.Column("beat", sa.String(length=64), nullable=True),
        sa.Column("easting", sa.Integer(), nullable=True),
        sa.Column("northing", sa.Integer(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_locations_source_system_source_id")
        ),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("restricted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("restriction_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_table(
        "person_mentions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("forenames", sa.String(length=100), nullable=True),
        sa.Column("surname", sa.String(length=100), nullable=True),
        sa.Column("other_names", sa.JSON(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("ethnicity", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("pnc_id", sa.String(length=20), nullable=True),
        sa.Column("mention_date", sa.Date(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_mentions")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_person_mentions_source_system_source_id")
        ),
    )
    with op.batch_alter_table("person_mentions", schema=None) as batch_op:
        batch_op.create_index("ix_person_mentions_dob", ["date_of_birth"], unique=False)
        batch_op.create_index("ix_person_mentions_surname", ["surname"], unique=False)

    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("valid_from", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("superseded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
    )
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_history_table_record", ["table_name", "record_id"], unique=False
        )

    op.create_table(
        "audit_person_index",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["audit_log.seq"], name=op.f("fk_audit_person_index_seq_audit_log")
        ),
        sa.PrimaryKeyConstraint("person_id", "seq", name=op.f("pk_audit_person_index")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("domestic_abuse_related", sa.Boolean(), nullable=True),
        sa.Column("hate_crime_strands", sa.JSON(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("injury_level", sa.Text(), nullable=True),
        sa.Column("offence_code", sa.String(length=16), nullable=True),
        sa.Column("occurred_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("reported_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(length=64), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("officer_id", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_events_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_events_source_system_source_id")
        ),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_location_id"), ["location_id"], unique=False)
        batch_op.create_index(
            "ix_events_type_occurred", ["event_type", "occurred_at"], unique=False
        )

    op.create_table(
        "person_links",
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("linked_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["person_mentions.id"],
            name=op.f("fk_person_links_mention_id_person_mentions"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_links_person_id_people")
        ),
        sa.PrimaryKeyConstraint("mention_id", name=op.f("pk_person_links")),
    )
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_links_person_id"), ["person_id"], unique=False)

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=True),
        sa.Column("source_system", sa.String(length=32), nullable=True),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column("quarantined_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_quarantine_run_id_ingest_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint(
            "file_sha256",
            "row_number",
            "field",
            name=op.f("uq_quarantine_file_sha256_row_number_field"),
        ),
    )
    op.create_table(
        "involvements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("relationship_to_suspect", sa.Text(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_involvements_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["person_mentions.id"],
            name=op.f("fk_involvements_mention_id_person_mentions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_involvements")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_involvements_source_system_source_id")
        ),
    )
    with op.batch_alter_table("involvements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_involvements_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_involvements_mention_id"), ["mention_id"], unique=False
        )

    op.create_table(
        "missing_episodes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("reported_missing_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("found_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("risk_grade", sa.Text(), nullable=True),
        sa.Column("in_care", sa.Boolean(), nullable=True),
        sa.Column("exploitation_flag", sa.Boolean(), nullable=True),
        sa.Column("rhi_offered_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("rhi_completed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("rhi_declined", sa.Boolean(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_missing_episodes_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["person_mentions.id"],
            name=op.f("fk_missing_episodes_mention_id_person_mentions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_episodes")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_missing_episodes_source_system_source_id")
        ),
    )
    with op.batch_alter_table("missing_episodes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_missing_episodes_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_missing_episodes_mention_id"), ["mention_id"], unique=False
        )

    op.create_table(
        "objects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("object_kind", sa.Text(), nullable=True),
        sa.Column("identifier", sa.String(length=100), nullable=True),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_objects_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objects")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_objects_source_system_source_id")
        ),
    )
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objects_event_id"), ["event_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("referral_type", sa.Text(), nullable=True),
        sa.Column("route", sa.Text(), nullable=True),
        sa.Column("rag", sa.Text(), nullable=True),
        sa.Column("agency", sa.String(length=100), nullable=True),
        sa.Column("made_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("made_by", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_referrals_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["person_mentions.id"],
            name=op.f("fk_referrals_subject_id_person_mentions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_referrals_source_system_source_id")
        ),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("instrument_id", sa.String(length=64), nullable=True),
        sa.Column("instrument_version", sa.String(length=32), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("officer_grade", sa.String(length=32), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("assessor_id", sa.String(length=32), nullable=True),
        sa.Column("assessor_team", sa.String(length=64), nullable=True),
        sa.Column("completed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("reviewed_grade", sa.String(length=32), nullable=True),
        sa.Column("reviewed_by", sa.String(length=32), nullable=True),
        sa.Column("reviewed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_risk_assessments_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["person_mentions.id"],
            name=op.f("fk_risk_assessments_subject_id_person_mentions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_risk_assessments_source_system_source_id")
        ),
    )
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_assessments_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessments_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "satisfaction_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("surveyed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("overall", sa.Text(), nullable=True),
        sa.Column("ease_of_contact", sa.Text(), nullable=True),
        sa.Column("actions_taken", sa.Text(), nullable=True),
        sa.Column("kept_informed", sa.Text(), nullable=True),
        sa.Column("treatment", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_satisfaction_responses_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["person_mentions.id"],
            name=op.f("fk_satisfaction_responses_mention_id_person_mentions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_responses")),
        sa.UniqueConstraint(
            "source_system",
            "source_id",
            name=op.f("uq_satisfaction_responses_source_system_source_id"),
        ),
    )
    with op.batch_alter_table("satisfaction_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_satisfaction_responses_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_satisfaction_responses_mention_id"), ["mention_id"], unique=False
        )

    op.create_table(
        "victim_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.Text(), nullable=True),
        sa.Column("trigger_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("contacted_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_victim_contacts_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["mention_id"],
            ["person_mentions.id"],
            name=op.f("fk_victim_contacts_mention_id_person_mentions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_contacts")),
        sa.UniqueConstraint(
            "source_system", "source_id", name=op.f("uq_victim_contacts_source_system_source_id")
        ),
    )
    with op.batch_alter_table("victim_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_contacts_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_victim_contacts_mention_id"), ["mention_id"], unique=False
        )

    op.create_table(
        "referral_status_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("changed_by", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", safeguard.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_ingested_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", safeguard.adapters.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_status_changes_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_status_changes")),
        sa.UniqueConstraint(
            "source_system",
            "source_id",
            name=op.f("uq_referral_status_changes_source_system_source_id"),
        ),
    )
    with op.batch_alter_table("referral_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_status_changes_referral_id"), ["referral_id"], unique=False
        )
    # History triggers are built from the tables as they stand at this revision (reflected),
    # so a later migration that adds columns recreates them without editing this one.
    bind = op.get_bind()
    for name in RECORD_TABLES:
        table = sa.Table(name, sa.MetaData(), autoload_with=bind)
        for ddl in history_trigger_ddl(table, bind.dialect.name):
            op.execute(ddl)
    for ddl in append_only_ddl("audit_log", bind.dialect.name):
        op.execute(ddl)


def downgrade() -> None:
    bind = op.get_bind()
    for ddl in drop_append_only_ddl("audit_log", bind.dialect.name):
        op.execute(ddl)
    for name in RECORD_TABLES:
        table = sa.Table(name, sa.MetaData())
        for ddl in drop_history_trigger_ddl(table, bind.dialect.name):
            op.execute(ddl)
    with op.batch_alter_table("referral_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_status_changes_referral_id"))

    op.drop_table("referral_status_changes")
    with op.batch_alter_table("victim_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_victim_contacts_mention_id"))
        batch_op.drop_index(batch_op.f("ix_victim_contacts_event_id"))

    op.drop_table("victim_contacts")
    with op.batch_alter_table("satisfaction_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_satisfaction_responses_mention_id"))
        batch_op.drop_index(batch_op.f("ix_satisfaction_responses_event_id"))

    op.drop_table("satisfaction_responses")
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessments_subject_id"))
        batch_op.drop_index(batch_op.f("ix_risk_assessments_event_id"))

    op.drop_table("risk_assessments")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_subject_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_event_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objects_event_id"))

    op.drop_table("objects")
    with op.batch_alter_table("missing_episodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_missing_episodes_mention_id"))
        batch_op.drop_index(batch_op.f("ix_missing_episodes_event_id"))

    op.drop_table("missing_episodes")
    with op.batch_alter_table("involvements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_involvements_mention_id"))
        batch_op.drop_index(batch_op.f("ix_involvements_event_id"))

    op.drop_table("involvements")
    op.drop_table("quarantine")
    with op.batch_alter_table("person_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_links_person_id"))

    op.drop_table("person_links")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_occurred")
        batch_op.drop_index(batch_op.f("ix_events_location_id"))

    op.drop_table("events")
    op.drop_table("audit_person_index")
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.drop_index("ix_record_history_table_record")

    op.drop_table("record_history")
    with op.batch_alter_table("person_mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_person_mentions_surname")
        batch_op.drop_index("ix_person_mentions_dob")

    op.drop_table("person_mentions")
    op.drop_table("people")
    op.drop_table("locations")
    op.drop_table("ingest_runs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))

    op.drop_table("audit_log")
    op.drop_table("audit_head")
