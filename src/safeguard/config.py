"""Settings, validated at start-up; no I/O at import time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from safeguard.errors import ConfigError

DEV_SECRET = "dev-only-not-secret-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    """Every setting comes from the environment (SAFEGUARD_*) or a .env file."""

    model_config = SettingsConfigDict(env_prefix="SAFEGUARD_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///safeguard.db"
    secret_key: str = DEV_SECRET
    data_dir: Path = Path("safeguard-data")
    ingest_batch_rows: int = Field(default=50_000, ge=100, le=1_000_000)
    future_tolerance_minutes: int = Field(default=60, ge=0)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1, le=24)
    # Failed sign-ins before the first wait; the waits then grow (domain.accounts.throttle_policy).
    max_failed_logins: int = Field(default=5, ge=1)
    # Where throttling counters live (the limits library): memory:// is one process;
    # redis://host:6379 shares them between workers (needs the redis package).
    throttle_storage: str = "memory://"
    break_glass_minutes: int = Field(default=60, ge=5, le=720)
    web_assets_dir: Path = Path("web-assets/node_modules")
    max_body_bytes: int = Field(default=65_536, ge=1024, le=10_000_000)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # An append-only JSON-lines file outside the database: the audit head is written there
    # after every ingest, link and assessment run (services.audit_anchor).
    audit_anchor: Path | None = None
    # The account the command line acts as (its username; ``safeguard --as USERNAME``): link
    # decisions, finding changes and reads are checked against its role and audited under it.
    actor: str | None = None
    # Where pg_dump / pg_restore of the server's major version are, if not found by version
    # under /usr/lib/postgresql/<major>/bin or on PATH.
    pg_bin_dir: Path | None = None
    # The force's MoPI retention settings (groups, review periods), overlaid on the defaults.
    retention_file: Path | None = None
    # Logs as JSON lines (one object per line, with the request id) for a log collector.
    log_json: bool = False
    # /metrics (Prometheus) answers only a scraper sending `Authorization: Bearer <token>`;
    # unset, /metrics is not served at all (404).
    metrics_token: str | None = Field(default=None, min_length=16)

    @model_validator(mode="after")
    def _enforce_non_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ConfigError(
                    "SAFEGUARD_SECRET_KEY must be set to a random value of at least 32 "
                    "characters outside development"
                )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own Settings instead."""
    return Settings()
