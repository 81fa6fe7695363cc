"""layer_data_versions: every statement writing a layer table bumps the table's data version in the
same transaction (a statement trigger), so tiles can be cached by layer, tile and version and never
be served stale (issue 21).

The trigger goes on every table that has the audit trigger of migration 0002 (every layer table);
each gets its row at version 0, so a table without a row has no trigger and is never cached.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 14:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION gis_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- one row per table: concurrent writers of one layer queue on it until the first commits
  INSERT INTO layer_data_versions AS v (layer_table, version) VALUES (TG_TABLE_NAME, 1)
  ON CONFLICT (layer_table) DO UPDATE SET version = v.version + 1;
  RETURN NULL;
END $$;
"""

# every table carrying the audit trigger of migration 0002 (the layer tables), found in the catalog
ATTACH_SQL = """
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
           JOIN pg_proc p ON p.oid = g.tgfoid
           WHERE p.proname = 'gis_audit_write' AND NOT g.tgisinternal ORDER BY c.relname LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION gis_bump_data_version()', t || '_data_version', t);
    INSERT INTO layer_data_versions (layer_table, version) VALUES (t, 0);
  END LOOP;
END $$;
"""


def upgrade() -> None:
    op.create_table('layer_data_versions',
    sa.Column('layer_table', sa.Text(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('layer_table', name=op.f('pk_layer_data_versions'))
    )
    op.execute(FUNCTION_SQL)
    op.execute(ATTACH_SQL)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS gis_bump_data_version() CASCADE")  # and its triggers
    op.drop_table('layer_data_versions')
