"""Boundary markers: the 方位物 warning computed on every row (reference_warning) and the register of
re-surveys with both sides' confirmations (marker_resurveys); the markers' listed texts rebuilt for the
new field (python -m layers.listed).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# layers.boundaries.REFERENCE_WARNING_SQL at this revision
REFERENCE_WARNING_SQL = "CASE WHEN (CASE WHEN jsonb_typeof(reference_objects) = 'array' THEN jsonb_array_length(reference_objects) ELSE 0 END) < 3 THEN '方位物仅 ' || (CASE WHEN jsonb_typeof(reference_objects) = 'array' THEN jsonb_array_length(reference_objects) ELSE 0 END)::text || ' 个，少于 3 个（民政部令第28号第三条：一般不少于 3 个），请外业补测' END"

TRIGGER_SQL = r"""
CREATE OR REPLACE FUNCTION gis_boundary_markers_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'boundary_markers' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('boundary_markers', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."line_id" AS "line_id", NEW."number" AS "number", NEW."marker_type" AS "marker_type", NEW."material" AS "material", NEW."survey_method" AS "survey_method", NEW."accuracy_m" AS "accuracy_m", NEW."managing_side" AS "managing_side", NEW."reference_objects" AS "reference_objects", NEW."registered_date" AS "registered_date", NEW."position_doc" AS "position_doc", NEW."reference_warning" AS "reference_warning", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS boundary_markers_listed ON boundary_markers;
CREATE TRIGGER boundary_markers_listed AFTER INSERT OR UPDATE OR DELETE ON boundary_markers FOR EACH ROW EXECUTE FUNCTION gis_boundary_markers_listed();
"""

REFILL = ["SET LOCAL TimeZone = 'UTC'", 'INSERT INTO listed_features (layer, id, feature) SELECT \'boundary_markers\', t.id, \'{"type":"Feature","id":\' || t.id || \',"geometry":\' || coalesce(ST_AsGeoJSON(t.geom, 9, 0), \'null\') || \',"properties":\' || (SELECT row_to_json(_props) FROM (SELECT t."id" AS "id", t."line_id" AS "line_id", t."number" AS "number", t."marker_type" AS "marker_type", t."material" AS "material", t."survey_method" AS "survey_method", t."accuracy_m" AS "accuracy_m", t."managing_side" AS "managing_side", t."reference_objects" AS "reference_objects", t."registered_date" AS "registered_date", t."position_doc" AS "position_doc", t."reference_warning" AS "reference_warning", t."version" AS "version", t."source" AS "source", t."created_at" AS "created_at", t."created_by" AS "created_by", t."updated_at" AS "updated_at", t."updated_by" AS "updated_by", t."retired_at" AS "retired_at", t."retired_reason" AS "retired_reason") _props)::text || \'}\' FROM boundary_markers t ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature', "DELETE FROM listed_features l WHERE l.layer = 'boundary_markers' AND NOT EXISTS (SELECT 1 FROM boundary_markers t WHERE t.id = l.id)"]

# the markers' trigger as migration 0012 installed it
PREVIOUS_TRIGGER_SQL = r"""
CREATE OR REPLACE FUNCTION gis_boundary_markers_listed() RETURNS trigger LANGUAGE plpgsql SET TimeZone = 'UTC' AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM listed_features WHERE layer = 'boundary_markers' AND id = OLD.id;
    RETURN NULL;
  END IF;
  INSERT INTO listed_features (layer, id, feature)
  VALUES ('boundary_markers', NEW.id, '{"type":"Feature","id":' || NEW.id || ',"geometry":' || coalesce(ST_AsGeoJSON(NEW.geom, 9, 0), 'null') || ',"properties":' || (SELECT row_to_json(_props) FROM (SELECT NEW."id" AS "id", NEW."line_id" AS "line_id", NEW."number" AS "number", NEW."marker_type" AS "marker_type", NEW."material" AS "material", NEW."survey_method" AS "survey_method", NEW."accuracy_m" AS "accuracy_m", NEW."managing_side" AS "managing_side", NEW."reference_objects" AS "reference_objects", NEW."registered_date" AS "registered_date", NEW."position_doc" AS "position_doc", NEW."version" AS "version", NEW."source" AS "source", NEW."created_at" AS "created_at", NEW."created_by" AS "created_by", NEW."updated_at" AS "updated_at", NEW."updated_by" AS "updated_by", NEW."retired_at" AS "retired_at", NEW."retired_reason" AS "retired_reason") _props)::text || '}')
  ON CONFLICT (layer, id) DO UPDATE SET feature = EXCLUDED.feature;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS boundary_markers_listed ON boundary_markers;
CREATE TRIGGER boundary_markers_listed AFTER INSERT OR UPDATE OR DELETE ON boundary_markers FOR EACH ROW EXECUTE FUNCTION gis_boundary_markers_listed();
"""


def upgrade() -> None:
    op.add_column('boundary_markers', sa.Column('reference_warning', sa.Text(),
                                                sa.Computed(REFERENCE_WARNING_SQL, persisted=True), nullable=True))
    op.create_table(
        'marker_resurveys',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('marker_id', sa.BigInteger(), nullable=False),
        sa.Column('marker_version', sa.Integer(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('record_id', sa.BigInteger(), nullable=True),
        sa.Column('side_a_party', sa.Text(), nullable=False),
        sa.Column('side_a_confirmed_by', sa.Text(), nullable=False),
        sa.Column('side_a_confirmed_on', sa.Date(), nullable=False),
        sa.Column('side_b_party', sa.Text(), nullable=False),
        sa.Column('side_b_confirmed_by', sa.Text(), nullable=False),
        sa.Column('side_b_confirmed_on', sa.Date(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('recorded_by', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['marker_id'], ['boundary_markers.id'],
                                name=op.f('fk_marker_resurveys_marker_id_boundary_markers')),
        sa.ForeignKeyConstraint(['record_id'], ['inspection_records.id'],
                                name=op.f('fk_marker_resurveys_record_id_inspection_records')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_marker_resurveys')),
    )
    op.create_index('uq_marker_resurveys_version', 'marker_resurveys', ['marker_id', 'marker_version'], unique=True)
    op.execute(TRIGGER_SQL)
    op.execute("SET LOCAL TimeZone = 'UTC'")  # as the trigger functions write timestamps
    for statement in REFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index('uq_marker_resurveys_version', table_name='marker_resurveys')
    op.drop_table('marker_resurveys')
    op.drop_column('boundary_markers', 'reference_warning')
    op.execute(PREVIOUS_TRIGGER_SQL)
    op.execute("SET LOCAL TimeZone = 'UTC'")
    for statement in REFILL:
        op.execute(statement.replace(', t."reference_warning" AS "reference_warning"', ''))
