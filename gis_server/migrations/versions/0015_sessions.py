"""sessions: a server-side record of every sign-in (logout revokes it); login_throttle per account and
per client address

Every token and session cookie carries its session's id; a request whose session was revoked is
refused. The app's account cache listens on gis_accounts (migration 0009): a revocation notifies
it, so no process keeps serving a revoked session from memory. Only writes that change what a
request may be told notify (a revocation, or a revoked row removed): a login or a last-seen update
does not empty every process's cache.

login_throttle held consecutive failures per user name; it now holds them per (scope, subject),
scope 'account' (the rows so far) or 'address'.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:45:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('id', postgresql.UUID(as_uuid=False), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('client_address', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions'))
    )
    op.create_index(op.f('ix_sessions_user_id'), 'sessions', ['user_id'], unique=False)
    op.create_index(op.f('ix_sessions_expires_at'), 'sessions', ['expires_at'], unique=False)
    # gis_accounts_changed() is migration 0009's: NOTIFY gis_accounts
    op.execute("CREATE TRIGGER sessions_revoked_notify AFTER INSERT ON sessions FOR EACH ROW "
               "WHEN (NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION gis_accounts_changed()")
    op.execute("CREATE TRIGGER sessions_revocation_notify AFTER UPDATE ON sessions FOR EACH ROW "
               "WHEN (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at) EXECUTE FUNCTION gis_accounts_changed()")
    op.execute("CREATE TRIGGER sessions_delete_notify AFTER DELETE ON sessions FOR EACH ROW "
               "WHEN (OLD.revoked_at IS NOT NULL) EXECUTE FUNCTION gis_accounts_changed()")
    op.execute("CREATE TRIGGER sessions_truncate_notify AFTER TRUNCATE ON sessions FOR EACH STATEMENT "
               "EXECUTE FUNCTION gis_accounts_changed()")

    # altered, not re-created: the grants other roles hold on it stay
    op.alter_column('login_throttle', 'username', new_column_name='subject', type_=sa.Text(),
                    existing_nullable=False)
    op.add_column('login_throttle', sa.Column('scope', sa.String(length=16), server_default='account',
                                              nullable=False))  # the rows so far count per account
    op.alter_column('login_throttle', 'scope', server_default=None)
    op.drop_constraint('pk_login_throttle', 'login_throttle', type_='primary')
    op.create_primary_key('pk_login_throttle', 'login_throttle', ['scope', 'subject'])


def downgrade() -> None:
    op.execute("DELETE FROM login_throttle WHERE scope <> 'account' OR length(subject) > 64")
    op.drop_constraint('pk_login_throttle', 'login_throttle', type_='primary')
    op.drop_column('login_throttle', 'scope')
    op.alter_column('login_throttle', 'subject', new_column_name='username', type_=sa.String(length=64),
                    existing_nullable=False)
    op.create_primary_key('pk_login_throttle', 'login_throttle', ['username'])
    op.drop_table('sessions')  # its triggers go with it
