"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import text

from gis_server.schema import metadata
from layers.catalog import registry
from layers.triggers import statement_trigger_names


def test_autogenerate_finds_no_difference(conn):
    context = MigrationContext.configure(conn, opts={"include_object": alembic_helpers.include_object,
                                                      "compare_type": True})
    assert compare_metadata(context, metadata()) == []


def test_every_layer_table_has_srid_4490_gist_index_and_history_triggers(conn):
    for spec in registry():
        table = spec.table.name
        srid = conn.execute(text("SELECT Find_SRID('public', :t, 'geom')"), {"t": table}).scalar_one()
        assert srid == 4490, table
        gist = conn.execute(text("SELECT count(*) FROM pg_indexes WHERE tablename = :t "
                                 "AND indexdef ILIKE '%USING gist (geom)%'"), {"t": table}).scalar_one()
        assert gist == 1, table
        triggers = set(conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                                         "AND NOT tgisinternal"), {"t": table}).scalars())
        # version (before, per row) + history and audit (after, per statement); a layer may add triggers of its own
        assert {f"{table}_before_write", *statement_trigger_names(table, "history"),
                *statement_trigger_names(table, "audit")} <= triggers, table


def test_place_names_have_a_trigram_index(conn):
    indexdef = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_place_names_name_trgm'")
                            ).scalar_one()
    assert "gin_trgm_ops" in indexdef


def test_extensions_and_jit_off(conn):
    extensions = set(conn.execute(text("SELECT extname FROM pg_extension")).scalars())
    assert {"postgis", "pg_trgm"} <= extensions
    assert conn.execute(text("SHOW jit")).scalar_one() == "off"
