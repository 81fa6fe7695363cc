"""gazetteer: filing (备案) of an approved name — date and authority (《地名管理条例》 Art. 13) — and
whether the name was approved through this system (only those are held to the 15-day deadlines:
names already on record or imported were filed and announced, or not, before it)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 21:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('place_names', sa.Column('filed_date', sa.Date(), nullable=True))
    op.add_column('place_names', sa.Column('filed_to', sa.Text(), nullable=True))
    op.add_column('place_names', sa.Column('approved_here', sa.Boolean(), server_default='false', nullable=False))


def downgrade() -> None:
    op.drop_column('place_names', 'approved_here')
    op.drop_column('place_names', 'filed_to')
    op.drop_column('place_names', 'filed_date')
