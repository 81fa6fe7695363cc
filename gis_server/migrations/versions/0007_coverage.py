"""coverage: pgRouting, network graph, service areas, reach, dirty markers, child-welfare officers

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0008'
branch_labels = None
depends_on = None

# A write to a watched layer appends a feature_history row (migration 0001's triggers, also for
# edits made straight in PostGIS): mark that layer's coverage as dirty. The layer tables keep
# their own three triggers untouched.
DIRTY_SQL = r"""
CREATE OR REPLACE FUNCTION coverage_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO coverage_dirty (layer, changed_at) VALUES (NEW.layer, clock_timestamp())
  ON CONFLICT (layer) DO UPDATE SET changed_at = EXCLUDED.changed_at;
  RETURN NULL;
END $$;
CREATE TRIGGER feature_history_coverage_dirty AFTER INSERT ON feature_history
FOR EACH ROW WHEN (NEW.layer IN ('roads', 'shelters', 'care_facilities'))
EXECUTE FUNCTION coverage_mark_dirty();
"""


def upgrade() -> None:
    # road-network coverage needs pgRouting; a server without it (e.g. the plain postgis/postgis image)
    # still gets the schema, and the network method then says what to install
    op.execute("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') "
               "THEN CREATE EXTENSION IF NOT EXISTS pgrouting; END IF; END $$")
    now = sa.text('now()')
    op.create_table('coverage_parameters',
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_coverage_parameters'))
    )
    op.create_table('coverage_dirty',
    sa.Column('layer', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('layer', name=op.f('pk_coverage_dirty'))
    )
    op.create_table('coverage_refreshes',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_refreshes'))
    )
    op.create_geospatial_table('coverage_network_edges',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('source', sa.BigInteger(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('road_id', sa.BigInteger(), nullable=True),
    sa.Column('road_class', sa.String(length=16), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('walking_cost_m', sa.Float(), nullable=True),
    sa.Column('driving_cost_m', sa.Float(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4550, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_network_edges'))
    )
    op.create_geospatial_index('idx_coverage_network_edges_geom', 'coverage_network_edges', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_coverage_network_edges_source'), 'coverage_network_edges', ['source'], unique=False)
    op.create_index(op.f('ix_coverage_network_edges_target'), 'coverage_network_edges', ['target'], unique=False)
    op.create_geospatial_table('coverage_service_areas',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('facility_layer', sa.String(length=32), nullable=False),
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.Column('facility_type', sa.String(length=24), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('radius_m', sa.Float(), nullable=True),
    sa.Column('edge_id', sa.BigInteger(), nullable=True),
    sa.Column('edge_fraction', sa.Float(), nullable=True),
    sa.Column('access_m', sa.Float(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_service_areas'))
    )
    op.create_geospatial_index('idx_coverage_service_areas_geom', 'coverage_service_areas', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('uq_coverage_service_areas_facility', 'coverage_service_areas', ['facility_layer', 'facility_id', 'mode'], unique=True)
    op.create_index('ix_coverage_service_areas_type_mode', 'coverage_service_areas', ['facility_type', 'mode'], unique=False)
    op.create_table('coverage_network_reach',
    sa.Column('facility_layer', sa.String(length=32), nullable=False),
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('node', sa.BigInteger(), nullable=False),
    sa.Column('cost_m', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('facility_layer', 'facility_id', 'mode', 'node', name=op.f('pk_coverage_network_reach'))
    )
    op.create_table('child_welfare_officers',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('unit_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=now, nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_child_welfare_officers'))
    )
    op.create_index(op.f('ix_child_welfare_officers_unit_code'), 'child_welfare_officers', ['unit_code'], unique=False)
    op.create_index('ix_child_welfare_officers_active', 'child_welfare_officers', ['role', 'unit_code'], unique=False, postgresql_where=sa.text('retired_at IS NULL'))
    op.execute(DIRTY_SQL)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS feature_history_coverage_dirty ON feature_history")
    op.execute("DROP FUNCTION IF EXISTS coverage_mark_dirty()")
    op.drop_index('ix_child_welfare_officers_active', table_name='child_welfare_officers', postgresql_where=sa.text('retired_at IS NULL'))
    op.drop_index(op.f('ix_child_welfare_officers_unit_code'), table_name='child_welfare_officers')
    op.drop_table('child_welfare_officers')
    op.drop_table('coverage_network_reach')
    op.drop_index('ix_coverage_service_areas_type_mode', table_name='coverage_service_areas')
    op.drop_index('uq_coverage_service_areas_facility', table_name='coverage_service_areas')
    op.drop_geospatial_index('idx_coverage_service_areas_geom', table_name='coverage_service_areas', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('coverage_service_areas')
    op.drop_index(op.f('ix_coverage_network_edges_target'), table_name='coverage_network_edges')
    op.drop_index(op.f('ix_coverage_network_edges_source'), table_name='coverage_network_edges')
    op.drop_geospatial_index('idx_coverage_network_edges_geom', table_name='coverage_network_edges', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('coverage_network_edges')
    op.drop_table('coverage_refreshes')
    op.drop_table('coverage_dirty')
    op.drop_table('coverage_parameters')
    # pgrouting stays: other code may use it, and dropping an extension is not a schema downgrade
