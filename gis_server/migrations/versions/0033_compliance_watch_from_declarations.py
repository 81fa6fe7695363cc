"""The compliance queue watches the layers its rules follow, as the declarations say: the trigger of 0025
named shelters and care facilities by hand, so 村(社区)综合服务设施 (0027), which counts in coverage, queued
no re-check. Re-made from ``layers.compliance.queue.WATCHED``, as ``install_layer`` does for a new layer.

Revision ID: 0033
Revises: 0030
Create Date: 2026-12-05 09:00:00
"""
from alembic import op

from gis_server.migrations.layer_install import compliance_watch_sql
from layers.compliance.queue import WATCHED

revision = '0033'
down_revision = '0031'
branch_labels = None
depends_on = None

# 0025's list, as it was written
BEFORE = ('roads', 'railways', 'rivers', 'basic_farmland', 'cultivated_land', 'forest_land', 'urban_parks',
          'urban_planning_zones', 'scenic_areas', 'nature_reserves', 'water_source_zones', 'heritage_sites',
          'cemeteries', 'scattered_graves', 'place_names', 'boundary_markers', 'shelters', 'care_facilities')


def upgrade() -> None:
    op.execute(compliance_watch_sql(WATCHED))


def downgrade() -> None:
    op.execute(compliance_watch_sql(BEFORE))
