"""county_box: the county's extent as a STABLE function, for coverage's household scans.

Coverage bounds every household scan by the county's townships' box (so that a table holding other
counties' rows is read through the GiST index, issue 21). Written as a sub-select, the box is an InitPlan
the planner cannot see: it guessed 3 households inside it where there were 30,000, and chose a nested loop
that ran a township count for 39 s on the demo. The planner evaluates a STABLE function when it estimates,
so behind this function the box is costed with the column's statistics (0.08 s for the same count).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 18:40:00
"""
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE OR REPLACE FUNCTION gis_county_box() RETURNS geometry LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT coalesce((SELECT ST_SetSRID(ST_Extent(geom)::geometry, 4490) FROM townships
                           WHERE retired_at IS NULL),
                          ST_MakeEnvelope(-180, -90, 180, 90, 4490))
        $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS gis_county_box()")
