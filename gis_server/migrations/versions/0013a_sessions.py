"""sessions: a server-side record of every sign-in (logout revokes it); login_throttle per account and
per client address

Every token and session cookie carries its session's id; a request whose session was revoked is
refused. The app's account cache listens on gis_accounts (migration 0009): a revocation notifies
it, so no process keeps serving a revoked session from memory. Only writes that change what a
request may be told notify (a revocation, or a revoked row removed): a login or a last-seen update
does not empty every process's cache.

login_throttle held consecutive failures per user name; it now holds them per (scope, subject),
scope 'account' or 'address'. Its rows are short-lived counters: they are dropped, not converted.

Revision ID: 0013a
Revises: 0012
Create Date: 2026-12-03 17:45:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0013a'
down_revision = '0012'
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

    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'subject', name=op.f('pk_login_throttle'))
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_login_throttle'))
    )
    op.drop_table('sessions')  # its triggers go with it
