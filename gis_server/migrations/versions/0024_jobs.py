"""Background jobs: one row per run, shared by everyone asking for the same work (kind, key) while it is
queued or running (gis_server/jobs).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 14:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"),
                  nullable=False),
        sa.Column('status', sa.Text(), server_default=sa.text("'queued'"), nullable=False),
        sa.Column('progress', sa.Float(), server_default=sa.text('0'), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('requested_by', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('output', sa.LargeBinary(), nullable=True),
        sa.Column('output_type', sa.Text(), nullable=True),
        sa.Column('output_name', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name='ck_jobs_status'),
        sa.CheckConstraint('progress >= 0 AND progress <= 1', name='ck_jobs_progress'),
        sa.PrimaryKeyConstraint('id', name='pk_jobs'),
    )
    op.create_index('ux_jobs_active_key', 'jobs', ['kind', 'key'], unique=True,
                    postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_index('ix_jobs_queued', 'jobs', ['created_at'], postgresql_where=sa.text("status = 'queued'"))


def downgrade() -> None:
    op.drop_index('ix_jobs_queued', table_name='jobs')
    op.drop_index('ux_jobs_active_key', table_name='jobs')
    op.drop_table('jobs')
