"""Records created in the app itself (an assessment, a referral status change) stored like
ingested ones: source system ``safeguard-web``, a fresh source id, a content hash.

A service names the kind of record (``referral``, ``referral_status``, ``risk_assessment``: the
record types of ``domain.records``), never the table."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safeguard.adapters.db.tables import record_tables

WEB_SOURCE = "safeguard-web"


def insert_record(conn: Connection, record_type: str, values: dict[str, Any], now: datetime) -> int:
    """Insert one source record of ``record_type`` made in the app; returns its id."""
    table = record_tables[record_type]
    body = json.dumps(values, sort_keys=True, default=str)
    row = {
        **values,
        "source_system": WEB_SOURCE,
        "source_id": uuid.uuid4().hex,
        "recorded_at": now,
        "content_hash": hashlib.blake2b(body.encode(), digest_size=16).hexdigest(),
        "first_ingested_at": now,
        "last_changed_at": now,
    }
    return int(conn.execute(sa.insert(table).values(**row).returning(table.c.id)).scalar_one())
