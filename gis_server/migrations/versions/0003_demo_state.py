"""demo state: which demo dataset is loaded (fingerprint and row counts)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('demo_state',
    sa.Column('dataset', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.Text(), nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('dataset', name=op.f('pk_demo_state'))
    )


def downgrade() -> None:
    op.drop_table('demo_state')
