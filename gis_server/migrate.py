"""Run the Alembic migrations that ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from gis_server.db_roles import DatabaseRoles

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None,
                   roles: DatabaseRoles | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes["database_roles"] = roles or DatabaseRoles()  # whom migration 0013 grants to
    return config


def upgrade(url: str, revision: str = "heads", roles: DatabaseRoles | None = None) -> None:
    """Migrate as ``url``'s role, which should be the schema owner (``GIS_DATABASE_OWNER_URL``)."""
    command.upgrade(alembic_config(url, roles=roles), revision)


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def script_heads() -> list[str]:
    """The newest revision(s) this code ships: what a migrated database's ``alembic_version`` holds."""
    from alembic.script import ScriptDirectory

    return sorted(ScriptDirectory.from_config(alembic_config()).get_heads())
