"""database roles: the service's login role gets DML grants only (audit_log and feature_history:
INSERT and SELECT), also on tables of later migrations; the bulk switch gis.bulk counts only for the
tables' owner; the audit and history triggers write to the schema's tables, never to a session's
temporary table of the same name

Run as the schema owner (GIS_DATABASE_OWNER_URL). The roles themselves are made by the superuser
before (gis_server/db_roles.py: the embedded cluster's ``db up``, the docker init script, the tests);
their names come from the settings through alembic's config (gis_server/migrate.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:30:00
"""
import logging

from alembic import context, op
import sqlalchemy as sa

from gis_server.db_roles import FOREIGN_OWNED_OBJECTS, DatabaseRoles

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# History and audit are appended to, never rewritten (the audit log's triggers refuse it as well).
APPEND_ONLY_TABLES = ('audit_log', 'feature_history')
READ_ONLY_TABLES = ('alembic_version',)
DML = 'SELECT, INSERT, UPDATE, DELETE'

# As in 0002, but gis.bulk (one summary entry for a whole load instead of one per row) is honoured only
# when the writer has the rights of the table's owner: the service's role setting it is still audited.
AUDIT_WRITE_SQL = r"""
CREATE OR REPLACE FUNCTION gis_audit_write() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  op text := lower(TG_OP);
  fid bigint;
  old_v integer;
  new_v integer;
BEGIN
  IF coalesce(current_setting('gis.bulk', true), '') = 'on'
     AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    fid := NEW.id; new_v := NEW.version;
  ELSIF TG_OP = 'UPDATE' THEN
    fid := NEW.id; old_v := OLD.version; new_v := NEW.version;
    IF NEW.retired_at IS NOT NULL AND OLD.retired_at IS NULL THEN
      op := 'retire';
    ELSIF nullif(current_setting('gis.operation', true), '') IS NOT NULL THEN
      op := current_setting('gis.operation', true);
    END IF;
  ELSE
    fid := OLD.id; old_v := OLD.version;
  END IF;
  INSERT INTO audit_log (username, client_address, action, layer, feature_id, old_version, new_version, reason)
  VALUES (gis_acting_user(), coalesce(nullif(current_setting('gis.client', true), ''), host(inet_client_addr())),
          op, TG_TABLE_NAME, fid, old_v, new_v, nullif(current_setting('gis.reason', true), ''));
  RETURN NULL;
END $$;
"""

# Trigger functions that append to audit_log, feature_history or coverage_dirty by unqualified name. A
# session's temporary tables come first in the search path unless pg_temp is named in it: any role may
# create one (the coverage analyses need TEMPORARY) called audit_log and have its writes recorded there.
# (The listed_features triggers are re-created with their settings by layers/listed.py.)
PINNED_SEARCH_PATH = ('gis_after_write()', 'coverage_mark_dirty()')
SEARCH_PATH = 'public, pg_temp'

OWNED_RELATIONS = """
SELECT c.oid::regclass::text, c.relname, c.relkind = 'S'
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND c.relowner = to_regrole(:owner)
ORDER BY c.relname
"""


def _roles() -> DatabaseRoles:
    return context.config.attributes.get("database_roles") or DatabaseRoles()


def _quote(name: str) -> str:
    return op.get_bind().dialect.identifier_preparer.quote(name)


def _role_exists(name: str) -> bool:
    return op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first() is not None


def _adopt_foreign_objects(owner: str) -> None:
    """Give the owner what an earlier setup created as another role (only a superuser may: else say so)."""
    bind = op.get_bind()
    foreign = bind.exec_driver_sql(FOREIGN_OWNED_OBJECTS, {"owner": owner}).all()
    if not bind.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one():
        if foreign:  # their grants are not made here: run this migration once as the superuser (README)
            log.warning("%d objects are not owned by %s, e.g. %s %s: migrate once as the superuser to hand "
                        "them over", len(foreign), owner, *foreign[0])
        return
    for kind, name in foreign:
        op.execute(f"ALTER {kind} {name} OWNER TO {_quote(owner)}")  # name: PostgreSQL's quoted regclass


def upgrade() -> None:
    op.execute(AUDIT_WRITE_SQL)
    for function in PINNED_SEARCH_PATH:
        op.execute(f"ALTER FUNCTION {function} SET search_path = {SEARCH_PATH}")
    roles = _roles()
    if not (_role_exists(roles.owner) and _role_exists(roles.app)):
        log.warning("roles %s / %s missing: no grants made (create them as in gis_server/db_roles.py and "
                    "run this migration again)", roles.owner, roles.app)
        return
    _adopt_foreign_objects(roles.owner)
    owner, app = _quote(roles.owner), _quote(roles.app)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
    relations = op.get_bind().execute(sa.text(OWNED_RELATIONS), {"owner": roles.owner}).all()
    for qualified, name, is_sequence in relations:
        op.execute(f"REVOKE ALL ON {qualified} FROM {app}")  # re-runnable: exactly these grants remain
        if is_sequence:
            grant = "USAGE, SELECT"
        elif name in APPEND_ONLY_TABLES:
            grant = "SELECT, INSERT"
        elif name in READ_ONLY_TABLES:
            grant = "SELECT"
        else:
            grant = DML
        op.execute(f"GRANT {grant} ON {qualified} TO {app}")
    # tables and sequences of later migrations (run as the owner) are granted the same way by default;
    # a later append-only table revokes UPDATE, DELETE itself
    op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT {DML} ON TABLES TO {app}")
    op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES "
               f"TO {app}")


def downgrade() -> None:
    roles = _roles()
    if _role_exists(roles.owner) and _role_exists(roles.app):
        owner, app = _quote(roles.owner), _quote(roles.app)
        op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public REVOKE {DML} ON TABLES FROM {app}")
        op.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES "
                   f"FROM {app}")
        for qualified, _name, _is_sequence in op.get_bind().execute(sa.text(OWNED_RELATIONS),
                                                                    {"owner": roles.owner}).all():
            op.execute(f"REVOKE ALL ON {qualified} FROM {app}")
    op.execute(AUDIT_WRITE_SQL.replace(" SET search_path = public, pg_temp", "").replace(
        "\n     AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')", ""))
    for function in (*PINNED_SEARCH_PATH, 'gis_audit_write()'):
        op.execute(f"ALTER FUNCTION {function} RESET search_path")
