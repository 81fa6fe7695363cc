"""functions that generated columns call find their helpers whatever the search_path: a restore
(pg_restore sets search_path to '') computes place names' pinyin key and initials while it loads them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:10:00
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# called by the generated columns place_names.pinyin_key and pinyin_initials (migration 0005)
FUNCTIONS = ("gazetteer_pinyin_fold(text)", "gazetteer_pinyin_key(text)", "gazetteer_pinyin_initials(text)")


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET search_path = public, pg_temp")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} RESET search_path")
