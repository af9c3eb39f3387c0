"""Logging set-up; only entrypoints call configure_logging(). Logs carry ids, never names."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def configure_logging(level: str = "INFO") -> None:
    """Attach one stderr handler to the safeguard logger and quieten noisy libraries."""
    root = logging.getLogger("safeguard")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("splink", "py4j", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
