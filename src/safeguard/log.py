"""Logging set-up; only entrypoints call configure_logging(). Logs carry ids, never names.

``configure_logging(json_lines=True)`` writes one JSON object per line (time, level, logger,
message, and the request id of the request being served, from ``request_id``), for a log
collector; the default is a plain line for people at a terminal.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

logger = logging.getLogger(__name__)

# The id of the HTTP request being served (set by the web app's RequestContext middleware).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record. Extra fields given as ``extra={"fields": {...}}`` are
    added as they are: callers pass ids, codes and numbers only."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            body["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            body.update(fields)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str)


def configure_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    """Attach one stderr handler to the safeguard logger and quieten noisy libraries."""
    root = logging.getLogger("safeguard")
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(
            JsonFormatter()
            if json_lines
            else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    root.setLevel(level)
    for noisy in ("splink", "py4j", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
