"""The ASGI app factory for server processes: ``uvicorn --factory safeguard.web.main:build``."""

from __future__ import annotations

from fastapi import FastAPI

from safeguard.config import get_settings
from safeguard.log import configure_logging
from safeguard.web.app import create_app


def build() -> FastAPI:
    """Settings from the environment, validated; logging to stderr."""
    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    return create_app(settings)
