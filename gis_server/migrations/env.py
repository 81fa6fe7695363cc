"""Alembic environment: GeoAlchemy2's helpers in both modes, metadata from the layer models."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import engine_from_config, pool

from gis_server.schema import metadata

config = context.config
target_metadata = metadata()
if "database_roles" not in config.attributes:  # alembic run by hand (gis_server/migrate.py sets them)
    from gis_server.settings import get_settings

    config.attributes["database_roles"] = get_settings().database_roles

COMMON = {
    "target_metadata": target_metadata,
    "include_object": alembic_helpers.include_object,
    "process_revision_directives": alembic_helpers.writer,
    "render_item": alembic_helpers.render_item,
    "compare_type": True,
}


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **COMMON)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **COMMON)
        with context.begin_transaction():
            context.run_migrations()
        return
    section = config.get_section(config.config_ini_section) or {}
    if not section.get("sqlalchemy.url"):  # alembic run by hand: the settings' owner, as ``haicheng-gis migrate``
        from gis_server.settings import get_settings

        section["sqlalchemy.url"] = get_settings().owner_sqlalchemy_url
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, **COMMON)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
