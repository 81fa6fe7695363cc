"""History, audit and listed texts by statement-level triggers with transition tables (issue 15).

A row-level AFTER trigger ran three plpgsql functions and three single-row INSERTs per written row:
30,000 imported households were 90,000 trigger calls, and even COPY of them ran at ~600 rows/s. Each
layer table now has, per event (INSERT, UPDATE, DELETE), one history, one audit and one listed-text
trigger that writes all of the statement's rows with one INSERT … SELECT from its transition tables —
the same history rows, audit rows and listed texts as before. The BEFORE trigger (version, stamps) stays
row-level: only a row trigger can set the row's own values.

Every table with the row-level history or audit trigger is converted; the listed-text functions are
generated from the models by ``layers.listed`` (as ``install_layer`` does).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 08:40:00
"""
from alembic import op
import sqlalchemy as sa

from gis_server.migrations.layer_install import ROW_TRIGGERS, STATEMENT_FUNCTIONS_SQL, history_statements
from layers import listed
from layers.catalog import registry
from layers.features import feature_sql
from layers.masks import output_masks
from layers.triggers import statement_trigger_names

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

ROW_TABLES = """
SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgfoid IN ('gis_after_write()'::regprocedure, 'gis_audit_write()'::regprocedure)
ORDER BY 1
"""
STATEMENT_TABLES = """
SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgfoid = 'gis_history_rows()'::regprocedure ORDER BY 1
"""


def _existing_specs() -> list:
    bind = op.get_bind()
    return [spec for spec in registry()
            if bind.execute(sa.text("SELECT to_regclass(:t)"), {"t": spec.table.name}).scalar() is not None]


def upgrade() -> None:
    op.execute(STATEMENT_FUNCTIONS_SQL)
    for table in op.get_bind().execute(sa.text(ROW_TABLES)).scalars().all():
        for statement in history_statements(table):
            op.execute(statement)
    for spec in _existing_specs():
        op.execute(listed.install_sql(spec))


def _row_listed_sql(spec) -> str:
    """The row-level listed-text function and trigger of before 0031 (for the downgrade)."""
    layer = spec.name.replace("'", "''")
    table = spec.table.name
    feature = feature_sql(spec, 'NEW', output_masks(spec))
    drops = "".join(f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
                    for name in statement_trigger_names(table, "listed"))
    return (f"CREATE OR REPLACE FUNCTION {listed.function_name(spec)}() RETURNS trigger LANGUAGE plpgsql "
            f"SET {listed.FUNCTION_SETTINGS} AS $$\nBEGIN\n  IF TG_OP = 'DELETE' THEN\n"
            f"    DELETE FROM listed_features WHERE layer = '{layer}' AND id = OLD.id;\n    RETURN NULL;\n"
            f"  END IF;\n  INSERT INTO listed_features (layer, id, feature)\n  VALUES ('{layer}', NEW.id, {feature})\n"
            "  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;\n  RETURN NULL;\nEND $$;\n"
            f"{drops}CREATE TRIGGER {table}_listed AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {listed.function_name(spec)}();\n")


def downgrade() -> None:
    for table in op.get_bind().execute(sa.text(STATEMENT_TABLES)).scalars().all():
        for kind in ("history", "audit"):
            for name in statement_trigger_names(table, kind):
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for name, function in zip(ROW_TRIGGERS, ("gis_after_write", "gis_audit_write"), strict=True):
            op.execute(f"CREATE TRIGGER {table}_{name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {function}()")
    for spec in _existing_specs():
        op.execute(_row_listed_sql(spec))
    op.execute("DROP FUNCTION IF EXISTS gis_history_rows()")
    op.execute("DROP FUNCTION IF EXISTS gis_audit_rows()")
