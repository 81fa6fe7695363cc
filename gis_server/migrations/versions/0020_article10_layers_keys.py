"""耕地, 林地 and 城市公园 (migration 0019) get what migration 0016 gave every other layer: their
natural key (the name) unique among live rows, and their area finite and never negative

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 19:05:00
"""
from alembic import op
from sqlalchemy import text

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TABLES = ("cultivated_land", "forest_land", "urban_parks")
AREA_CHECK = "\"area_m2\" >= 0 AND \"area_m2\" < 'Infinity'"  # layers.registry.range_check_sql


def upgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f"uq_{table}_live_name"), table, ["name"], unique=True,
                        postgresql_where=text("retired_at IS NULL"))
        op.create_check_constraint(op.f(f"ck_{table}_area_m2_range"), table, text(AREA_CHECK))


def downgrade() -> None:
    for table in TABLES:
        op.drop_constraint(op.f(f"ck_{table}_area_m2_range"), table, type_="check")
        op.drop_index(op.f(f"uq_{table}_live_name"), table_name=table)
