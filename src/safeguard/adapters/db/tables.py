"""SQLAlchemy tables: one MetaData, the Alembic target.

The source-record tables are derived from the interchange JSON Schema so that storage and the
schema cannot drift apart. Other capabilities add their tables to ``metadata`` in their own
modules (imported at the bottom of this one so Alembic sees everything).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from safeguard.adapters.db.metadata import metadata as metadata  # re-exported: tables register here
from safeguard.adapters.db.types import UTCDateTime
from safeguard.interchange.schema import FieldSpec, RecordSpec, all_specs

LONG_TEXT = 1000


def _column_type(field: FieldSpec) -> sa.types.TypeEngine[Any]:
    match field.kind:
        case "string":
            if field.max_length is None or field.max_length > LONG_TEXT:
                return sa.Text()
            return sa.String(field.max_length)
        case "date":
            return sa.Date()
        case "date-time":
            return UTCDateTime()
        case "integer":
            return sa.Integer()
        case "boolean":
            return sa.Boolean()
        case "array" | "object":
            return sa.JSON()
        case "ref":
            return sa.Integer()
    raise AssertionError(field.kind)


def _record_table(spec: RecordSpec) -> sa.Table:
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_system", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
    ]
    for field in spec.fields:
        args: list[Any] = []
        if field.kind == "ref":
            assert field.ref_target is not None
            target = RECORD_TABLE_NAMES[field.ref_target]
            args.append(sa.ForeignKey(f"{target}.id"))
        columns.append(sa.Column(field.column, _column_type(field), *args, nullable=True))
    columns += [
        sa.Column("recorded_at", UTCDateTime(), nullable=True),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("first_ingested_at", UTCDateTime(), nullable=False),
        sa.Column("last_changed_at", UTCDateTime(), nullable=False),
    ]
    indexes = [sa.Index(None, f"{r.column}") for r in spec.refs]
    return sa.Table(
        spec.table_name,
        metadata,
        *columns,
        sa.UniqueConstraint("source_system", "source_id"),
        *indexes,
    )


SPECS = all_specs()
RECORD_TABLE_NAMES = {s.record_type: s.table_name for s in SPECS}
record_tables: dict[str, sa.Table] = {s.record_type: _record_table(s) for s in SPECS}

locations = record_tables["location"]
person_mentions = record_tables["person_mention"]
objects = record_tables["object"]
events = record_tables["event"]
involvements = record_tables["involvement"]
risk_assessments = record_tables["risk_assessment"]
referrals = record_tables["referral"]
referral_status_changes = record_tables["referral_status"]
missing_episodes = record_tables["missing_episode"]
victim_contacts = record_tables["victim_contact"]
satisfaction_responses = record_tables["satisfaction_response"]

sa.Index("ix_events_type_occurred", events.c.event_type, events.c.occurred_at)
sa.Index("ix_events_occurred_at", events.c.occurred_at)  # the latest event: risk re-scoring
sa.Index("ix_person_mentions_surname", person_mentions.c.surname)
sa.Index("ix_person_mentions_dob", person_mentions.c.date_of_birth)

# Every earlier version of a source record, written by a database trigger on UPDATE and DELETE,
# so that no path (ingest, a console, a bug) can overwrite a record without leaving its past.
record_history = sa.Table(
    "record_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(64), nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("valid_from", UTCDateTime(), nullable=False),
    sa.Column("superseded_at", UTCDateTime(), nullable=False),
    sa.Column("change", sa.String(8), nullable=False),
    sa.Index("ix_record_history_table_record", "table_name", "record_id"),
)

ingest_runs = sa.Table(
    "ingest_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("files", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("quarantined", sa.Integer, nullable=False, server_default="0"),
    sa.Column("flagged", sa.Integer, nullable=False, server_default="0"),
    # The process running it, so a run whose process is gone is found and marked abandoned.
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
)

# A bad row, kept with where it came from and why. Unique per (file content, row, field) so a
# re-run after a crash never doubles an entry.
quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingest_runs.id"), nullable=False),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("record_type", sa.String(32), nullable=True),
    sa.Column("source_system", sa.String(32), nullable=True),
    sa.Column("source_id", sa.String(64), nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=True),
    sa.Column("quarantined_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("file_sha256", "row_number", "field"),
)

# A value that failed a field check and was stored as null, the rest of its record kept: which
# record, which field, the value as the file had it and why. Unique like the quarantine.
data_quality_flags = sa.Table(
    "data_quality_flags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingest_runs.id"), nullable=False),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("record_type", sa.String(32), nullable=False),
    sa.Column("source_system", sa.String(32), nullable=False),
    sa.Column("source_id", sa.String(64), nullable=False),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("flagged_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("file_sha256", "row_number", "field"),
    sa.Index("ix_data_quality_flags_record", "record_type", "source_system", "source_id"),
)

# Tables of other capabilities register on the same MetaData when their modules are imported.
from safeguard.adapters.db import accounts as _accounts  # noqa: E402,F401
from safeguard.adapters.db import assignments as _assignments  # noqa: E402,F401
from safeguard.adapters.db import audit as _audit  # noqa: E402,F401
from safeguard.adapters.db import findings as _findings  # noqa: E402,F401
from safeguard.adapters.db import linkage as _linkage  # noqa: E402,F401
from safeguard.adapters.db import mash as _mash  # noqa: E402,F401
from safeguard.adapters.db import partners as _partners  # noqa: E402,F401
from safeguard.adapters.db import people as _people  # noqa: E402,F401
from safeguard.adapters.db import retention as _retention  # noqa: E402,F401
from safeguard.adapters.db import risk_models as _risk_models  # noqa: E402,F401
