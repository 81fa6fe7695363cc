"""layer_data_changes: where each write to a layer table happened, so a write invalidates only the
cached tiles it touches (issue 21), not every tile of the layer.

Every INSERT, UPDATE and DELETE statement on a layer table with a ``geom`` column still bumps the
table's data version (migration 0026) and now also records, under that version, the extent (EPSG:4490)
of the rows it wrote — old and new geometries of an update. NULL bounds: no drawn geometry changed
(no row, or rows without geometry). A version without a row (TRUNCATE, tables without ``geom``, a
version older than the last :data:`KEEP` of its table) is a change of unknown place: every tile of
the layer is rendered again, as before.

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-04 17:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0029'
down_revision = '0027'
branch_labels = None
depends_on = None

KEEP = 1000  # versions of one table kept; a tile cached before those is rendered again

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION gis_note_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint; e box2d;
BEGIN
  INSERT INTO layer_data_versions AS d (layer_table, version) VALUES (TG_TABLE_NAME, 1)
  ON CONFLICT (layer_table) DO UPDATE SET version = d.version + 1 RETURNING d.version INTO v;
  -- the transition tables of this event only (a branch not taken is never planned)
  IF TG_OP = 'INSERT' THEN
    SELECT ST_Extent(geom) INTO e FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT ST_Extent(geom) INTO e FROM old_rows;
  ELSE
    SELECT ST_Extent(g) INTO e FROM (SELECT geom AS g FROM old_rows UNION ALL SELECT geom FROM new_rows) r;
  END IF;
  INSERT INTO layer_data_changes (layer_table, version, west, south, east, north)
  VALUES (TG_TABLE_NAME, v, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e));
  DELETE FROM layer_data_changes WHERE layer_table = TG_TABLE_NAME AND version <= v - {KEEP};
  RETURN NULL;
END $$;
"""

# the tables given a data version by 0026 that have a geometry column "geom"; TRUNCATE keeps 0026's
# trigger (a change of unknown place); transition tables need one trigger per event
ATTACH_SQL = """
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
           WHERE g.tgname = c.relname || '_data_version' AND NOT g.tgisinternal
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'geom'
                         AND NOT a.attisdropped)
           ORDER BY c.relname LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_data_version', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT '
                   'EXECUTE FUNCTION gis_bump_data_version()', t || '_data_version', t);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION gis_note_data_change()', t || '_data_insert', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION gis_note_data_change()', t || '_data_update', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION gis_note_data_change()', t || '_data_delete', t);
  END LOOP;
END $$;
"""

DETACH_SQL = """
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
           WHERE g.tgname = c.relname || '_data_insert' AND NOT g.tgisinternal LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_data_insert', t);
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_data_update', t);
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_data_delete', t);
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_data_version', t);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION gis_bump_data_version()', t || '_data_version', t);
  END LOOP;
END $$;
"""


def upgrade() -> None:
    op.create_table('layer_data_changes',
    sa.Column('layer_table', sa.Text(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('west', sa.Float(precision=53), nullable=True),
    sa.Column('south', sa.Float(precision=53), nullable=True),
    sa.Column('east', sa.Float(precision=53), nullable=True),
    sa.Column('north', sa.Float(precision=53), nullable=True),
    sa.PrimaryKeyConstraint('layer_table', 'version', name=op.f('pk_layer_data_changes'))
    )
    op.execute(FUNCTION_SQL)
    op.execute(ATTACH_SQL)


def downgrade() -> None:
    op.execute(DETACH_SQL)
    op.execute("DROP FUNCTION IF EXISTS gis_note_data_change()")
    op.drop_table('layer_data_changes')
