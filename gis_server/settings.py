"""Settings, read from the environment (prefix ``GIS_``) and an optional ``.env`` file.

Nothing is read at import time: :func:`get_settings` builds a fresh object, and the app
factory takes one as an argument so tests can pass their own.

The signing secret is never a constant of the source: outside development it must be configured;
in development :func:`get_settings` uses the one stored in the data folder (``secret_file``); a
``Settings`` built directly without one (tests, benches) draws a random one of its own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL

from gis_server import secret_file
from gis_server.db_roles import DEFAULT_APP_ROLE, DEFAULT_OWNER_ROLE, ROLE_NAME_PATTERN, DatabaseRoles

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_PREFIX = "change-me"  # the example .env's placeholder: never a key, in any environment


def default_pool_size() -> int:
    """Twice the cores, at least 4: statements running at once beyond what the cores run only wait
    for a core in the middle of their work. With 16 on this 2-core machine (issue 21), a feature page
    at 8 clients had a p95 2.2× its p50, the slowest waiting for the scheduler with the database half
    done; with 4, 1.5×, throughput within 5 %; requests beyond the pool wait their turn in order.
    """
    return max(4, 2 * (os.cpu_count() or 1))


class Settings(BaseSettings):
    """Service settings. Every field can be set as ``GIS_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GIS_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL the service connects with (the app role); unset = the embedded cluster.",
    )
    database_read_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of a streaming replica (the app role) for read-only work; writes, reveals "
                    "and a user's reads right after their own writes go to the primary.")
    read_after_write_seconds: float = Field(
        default=5.0, ge=0, description="After writing, a user reads from the primary this long (replica lag).")
    database_owner_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the role owning the schema, for migrations and demo loads; "
                    "unset = GIS_DATABASE_URL, or the embedded cluster's owner.",
    )
    db_owner_role: str = Field(default=DEFAULT_OWNER_ROLE, pattern=ROLE_NAME_PATTERN,
                               description="Role that owns the schema (embedded cluster, grants of migration 0013).")
    db_app_role: str = Field(default=DEFAULT_APP_ROLE, pattern=ROLE_NAME_PATTERN,
                             description="Login role of the service: DML only, owns nothing.")
    data_dir: Path = Field(default=PROJECT_ROOT / ".gisdata", description="Embedded cluster and files.")
    db_port: int = Field(default=54329, description="Port of the embedded cluster (127.0.0.1 only).")
    db_name: str = "haicheng_gis"
    # Each request runs in a worker thread holding at most one connection: as many threads as pooled
    # connections, so no request waits for the pool or opens a connection of its own. Opening one cost
    # the tiles' tail (issue 21: p95 7–20× p50 at 8 clients with 5 connections): connections beyond the
    # pool are closed when handed back, and a new backend loads PostGIS and PROJ on its first query.
    db_pool_size: int = Field(default_factory=default_pool_size, ge=1,
                              description="Connections kept open; also the number of worker threads serving "
                              "requests (default: twice the machine's cores, at least 4).")
    db_max_overflow: int = Field(default=4, ge=0, description="Extra connections for the rare request that "
                                 "holds two (closed when handed back).")
    tile_cache_mb: int = Field(default=64, ge=0, description="Memory for rendered vector tiles per process "
                               "(0 = render every tile); a write to a layer retires its tiles at once.")
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(48),
        description="Signs tokens, session cookies and CSRF tokens; ≥ 32 characters, required outside "
                    "development (where it is kept in <data_dir>/secret_key).")
    personal_data_key: str | None = Field(
        default=None, description="Key for encrypting ID numbers; required outside development/test.")
    token_ttl_minutes: int = Field(default=480, ge=1, description="Lifetime of API tokens and web sessions.")
    login_free_failures: int = Field(default=3, ge=1, description="Failed logins per account before throttling.")
    login_address_free_failures: int = Field(
        default=30, ge=1, description="Failed logins per client address (any account) before throttling.")
    login_max_delay_seconds: int = Field(default=300, ge=1, description="Longest wait after repeated failures.")
    login_forget_after_seconds: int = Field(
        default=3600, ge=1, description="A count of failed logins starts afresh this long after its last failure.")
    # local parameters (no rule fixes them): honest editing hits a duplicate now and then (a form sent
    # twice); ten within an hour is probing whether values (ID numbers) are registered
    duplicate_hits_max: int = Field(default=10, ge=1, description="Uniqueness-check hits per account and window "
                                    "before writes that reach the check get 429.")
    duplicate_hits_window_seconds: int = Field(default=3600, ge=60, description="The window of duplicate_hits_max.")
    page_limit_default: int = 100
    page_limit_max: int = 5000
    extent_margin_deg: float = Field(default=0.05, description="Margin around the Haicheng extent, degrees.")
    # Uploads (local parameters, issue 13): what one import request may make the server read and do.
    # 20,000 rows is ~3× the county's ~6k place names (DESIGN.md "Scale"); checking place-name rows
    # costs 3–13 ms each (measured on the 2-core test machine), so a request also stops after 30 s.
    upload_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024,
                                  description="Largest place-name import or field-results file, bytes.")
    import_max_rows: int = Field(default=20_000, ge=1, description="Most data rows one import or preview reads.")
    import_max_seconds: float = Field(default=30.0, gt=0, description="Longest a place-name import checks rows.")
    # operations: what /api/ready, the logs and /metrics report
    slow_request_ms: int = Field(default=1000, ge=1, description="Requests slower than this are logged.")
    job_workers: int = Field(default=1, ge=1, le=8, description="Threads running background jobs per process.")
    job_keep_days: int = Field(default=7, ge=1, description="Days a finished job's status and file are kept.")
    ready_min_free_mb: int = Field(default=500, ge=0, description="Free disk (MB) for uploads /api/ready asks.")
    log_format: Literal["json", "text"] = Field(default="json", description="Server log lines: JSON or text.")
    # personal data life cycle (《个人信息保护法》 Art. 19, 47): how long the personal fields of a retired
    # record are kept before `haicheng-gis privacy purge` erases them. A local parameter: the default of
    # 3 years follows the ≥ 3-year keeping of processing records (Art. 55/56), no rule fixes this period.
    personal_data_retention_days: int = Field(
        default=1095, ge=0, description="Days a retired record keeps its personal fields (privacy purge).")

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.environment == "production" and "secret_key" not in self.model_fields_set:
            raise ValueError("GIS_SECRET_KEY must be set to a private value outside development")
        if self.secret_key.startswith(PLACEHOLDER_PREFIX):
            raise ValueError("GIS_SECRET_KEY is the example placeholder: set a private value (or, in "
                             "development, leave it unset to use the one kept in the data folder)")
        if len(self.secret_key) < secret_file.MIN_LENGTH:
            raise ValueError(f"GIS_SECRET_KEY must be at least {secret_file.MIN_LENGTH} characters")
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
    def database_roles(self) -> DatabaseRoles:
        return DatabaseRoles(owner=self.db_owner_role, app=self.db_app_role)

    @property
    def db_passwords_file(self) -> Path:
        """Where the embedded cluster keeps its generated role passwords (mode 0600)."""
        return self.data_dir / "db-passwords.json"

    @property
    def sqlalchemy_url(self) -> str:
        """The service's database URL (the app role), the embedded cluster's when none is configured."""
        if self.database_url:
            return self.database_url
        return self._embedded_url(self.db_app_role)

    @property
    def owner_sqlalchemy_url(self) -> str:
        """The schema owner's URL (migrations, demo loads); a configured GIS_DATABASE_URL alone serves both."""
        if self.database_owner_url:
            return self.database_owner_url
        if self.database_url:
            return self.database_url
        return self._embedded_url(self.db_owner_role)

    def _embedded_url(self, role: str) -> str:
        from gis_server.cluster import read_passwords  # the cluster module writes the file

        password = read_passwords(self.db_passwords_file).get(role)  # none before the first ``db up``
        return URL.create("postgresql+psycopg", username=role, password=password, host="127.0.0.1",
                          port=self.db_port, database=self.db_name).render_as_string(hide_password=False)


def get_settings() -> Settings:
    """The settings of this process; in development without GIS_SECRET_KEY, the stored secret."""
    return with_stored_secret(Settings())


def with_stored_secret(settings: Settings) -> Settings:
    """``settings`` signing with the secret kept in its data folder, when development has none set."""
    if settings.environment != "development" or "secret_key" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"secret_key": secret_file.load_or_create(settings.data_dir)})
