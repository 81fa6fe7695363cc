"""Settings, read from the environment (prefix ``GIS_``) and an optional ``.env`` file.

Nothing is read at import time: :func:`get_settings` builds a fresh object, and the app
factory takes one as an argument so tests can pass their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "change-me-this-is-the-development-only-secret"  # noqa: S105 (refused in production)


class Settings(BaseSettings):
    """Service settings. Every field can be set as ``GIS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GIS_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of an existing PostGIS database; unset = the embedded cluster.",
    )
    data_dir: Path = Field(default=PROJECT_ROOT / ".gisdata", description="Embedded cluster and files.")
    db_port: int = Field(default=54329, description="Port of the embedded cluster (127.0.0.1 only).")
    db_name: str = "haicheng_gis"
    db_pool_size: int = 5
    db_max_overflow: int = 5
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = DEFAULT_SECRET
    personal_data_key: str | None = Field(
        default=None, description="Key for encrypting ID numbers; required outside development/test.")
    token_ttl_minutes: int = Field(default=480, ge=1, description="Lifetime of API tokens and web sessions.")
    login_free_failures: int = Field(default=3, description="Failed logins allowed before throttling.")
    login_max_delay_seconds: int = Field(default=300, description="Longest wait after repeated failures.")
    page_limit_default: int = 100
    page_limit_max: int = 5000
    extent_margin_deg: float = Field(default=0.05, description="Margin around the Haicheng extent, degrees.")
    # operations: what /api/ready, the logs and /metrics report
    slow_request_ms: int = Field(default=1000, ge=1, description="Requests slower than this are logged.")
    ready_min_free_mb: int = Field(default=500, ge=0, description="Free disk (MB) for uploads /api/ready asks.")
    log_format: Literal["json", "text"] = Field(default="json", description="Server log lines: JSON or text.")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("GIS_SECRET_KEY must be set to a private value outside development")
        if len(self.secret_key) < 32:
            raise ValueError("GIS_SECRET_KEY must be at least 32 characters")
        if self.environment == "production" and not self.personal_data_key:
            raise ValueError("GIS_PERSONAL_DATA_KEY must be set outside development")
        if self.page_limit_default > self.page_limit_max:
            raise ValueError("GIS_PAGE_LIMIT_DEFAULT must not exceed GIS_PAGE_LIMIT_MAX")
        return self

    @property
    def data_key(self) -> str:
        """The personal-data key (derived from the secret key in development and tests)."""
        return self.personal_data_key or f"dev-personal-data:{self.secret_key}"

    @property
    def uses_embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, the embedded cluster's when none is configured."""
        if self.database_url:
            return self.database_url
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.db_port}/{self.db_name}"


def get_settings() -> Settings:
    return Settings()
