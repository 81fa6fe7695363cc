"""households: one live household per ID number, enforced by the database (also for restores and SQL edits)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:00:00
"""
from alembic import op
from sqlalchemy import text

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    duplicates = op.get_bind().execute(text(
        "SELECT string_agg(id::text, '、' ORDER BY id) FROM households WHERE retired_at IS NULL "
        "AND id_number_hash IS NOT NULL GROUP BY id_number_hash HAVING count(*) > 1")).scalars().all()
    if duplicates:
        raise RuntimeError("以下困难群众户登记了相同的身份证号码，请先更正或注销其中一户再升级："
                           + "；".join(duplicates))
    op.drop_index('ix_households_id_number_hash', table_name='households')
    op.create_index('ix_households_id_number_hash', 'households', ['id_number_hash'], unique=True,
                    postgresql_where=text('retired_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_households_id_number_hash', table_name='households')
    op.create_index('ix_households_id_number_hash', 'households', ['id_number_hash'],
                    postgresql_where=text('retired_at IS NULL'))
