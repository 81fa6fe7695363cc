"""accounts: NOTIFY gis_accounts when users or their roles change (the app's account cache listens)

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29 20:00:00
"""
from alembic import op

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

# One notification per statement (not per row): the cache forgets every account either way.
# NOTIFY is delivered at commit, and not at all when the transaction rolls back.
TABLES = ['users', 'user_roles']


def upgrade() -> None:
    op.execute("""
CREATE OR REPLACE FUNCTION gis_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gis_accounts', TG_TABLE_NAME);
  RETURN NULL;
END $$;
""")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION gis_accounts_changed()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS gis_accounts_changed()")
