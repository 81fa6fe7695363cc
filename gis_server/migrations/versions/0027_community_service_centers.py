"""community_service_centers: 村(社区)综合服务设施, a layer added the short way — its table as Alembic writes it,
then ``install_layer`` gives it the triggers every layer table has (history, audit, listed text, data version,
and, as it counts in coverage, the coverage refresh's watch). README "Adding a layer".

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 17:10:00
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

from gis_server.migrations.layer_install import install_layer, uninstall_layer
from layers.community_services import COMMUNITY_SERVICE_CENTERS

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

TABLE = 'community_service_centers'


def upgrade() -> None:
    op.create_geospatial_table(TABLE,
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('service_type', sa.String(length=32), nullable=False),
    sa.Column('floor_area_m2', sa.Float(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('village_code', sa.String(length=12), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4490, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('source', sa.String(length=32), server_default='user', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('"floor_area_m2" >= 0 AND "floor_area_m2" <= 100000 AND "floor_area_m2" < \'Infinity\'',
                       name=op.f('ck_community_service_centers_floor_area_m2_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_service_centers'))
    )
    op.create_geospatial_index('idx_community_service_centers_geom', TABLE, ['geom'], unique=False,
                               postgresql_using='gist', postgresql_ops={})
    op.create_index('uq_community_service_centers_live_name', TABLE, ['name'], unique=True,
                    postgresql_where=sa.text('retired_at IS NULL'))
    install_layer(op, COMMUNITY_SERVICE_CENTERS)


def downgrade() -> None:
    uninstall_layer(op, COMMUNITY_SERVICE_CENTERS)
    op.drop_index('uq_community_service_centers_live_name', table_name=TABLE,
                  postgresql_where=sa.text('retired_at IS NULL'))
    op.drop_geospatial_index('idx_community_service_centers_geom', table_name=TABLE, postgresql_using='gist',
                             column_name='geom')
    op.drop_geospatial_table(TABLE)
