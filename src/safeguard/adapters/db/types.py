"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


def as_utc(value: object) -> datetime | None:
    """A stored timestamp (naive UTC text from SQLite, a naive datetime from PostgreSQL) as an
    aware UTC datetime. Used by the column type and by bulk reads that skip type processing."""
    if value is None:
        return None
    if isinstance(value, str):
        # Parsing with the offset is cheaper than parsing and then replace().
        return datetime.fromisoformat(value if value.endswith("+00:00") else value + "+00:00")
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores UTC as a naive timestamp; always returns timezone-aware UTC datetimes.

    Naive values are refused on the way in: every datetime in safeguard is aware.
    """

    impl = sa.DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; safeguard stores only aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value)
