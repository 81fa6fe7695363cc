"""The service's database role cannot switch the audit log or the history off (issue 13, part 6).

The suite's ``engine`` connects as the app role (tests/conftest.py), as the service does; every
statement an attacker with that role's connection (SQL injection, a leaked URL) could use to defeat the
append-only audit log or to skip the history is refused by PostgreSQL itself.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gis_server.cluster import Cluster, ClusterError, find_pg_bindir
from gis_server.db import SESSION_OPTIONS
from gis_server.db_roles import APP_ROLE_ATTRIBUTES, OWNER_ROLE_ATTRIBUTES
from gis_server.migrate import upgrade
from gis_server.settings import PROJECT_ROOT
from importers.demo import load_demo
from layers.errors import Conflict
from layers.features import set_actor
from layers.roles import Actor
from tests.utils.database import ROLES, DatabaseUrls, free_port

# statement → the key part of PostgreSQL's refusal
REFUSED = {
    "SET session_replication_role = replica": 'permission denied to set parameter "session_replication_role"',
    "SELECT set_config('session_replication_role', 'replica', true)":
        'permission denied to set parameter "session_replication_role"',
    "ALTER TABLE audit_log DISABLE TRIGGER ALL": "must be owner of table audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only": "must be owner of table audit_log",
    "ALTER TABLE shelters DISABLE TRIGGER shelters_audit_insert": "must be owner of table shelters",
    "DROP TRIGGER shelters_history_insert ON shelters": "must be owner of relation shelters",
    "TRUNCATE audit_log": "permission denied for table audit_log",
    "UPDATE audit_log SET username = 'nobody'": "permission denied for table audit_log",
    "DELETE FROM audit_log": "permission denied for table audit_log",
    "DROP TABLE audit_log": "must be owner of table audit_log",
    "UPDATE feature_history SET changed_by = 'nobody'": "permission denied for table feature_history",
    "DELETE FROM feature_history": "permission denied for table feature_history",
    "ALTER TABLE households ADD COLUMN note text": "must be owner of table households",
    "ALTER TABLE households OWNER TO haicheng_app": "must be owner of table households",
    "CREATE TABLE public.probe (id int)": "permission denied for schema public",
    "CREATE OR REPLACE FUNCTION gis_audit_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$":
        "permission denied for schema public",
    "SET ROLE haicheng_owner": 'permission denied to set role "haicheng_owner"',
    "CREATE ROLE probe LOGIN": "permission denied to create role",
    "ALTER FUNCTION gis_audit_write() RENAME TO gis_audit_write_off": "must be owner of function gis_audit_write",
}


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_role_is_refused(conn: Connection, statement: str):
    with pytest.raises(DBAPIError) as refused, conn.begin_nested():
        conn.exec_driver_sql(statement)
    assert isinstance(refused.value.orig, errors.InsufficientPrivilege)
    assert REFUSED[statement] in str(refused.value.orig)


def test_the_app_role_has_no_special_attributes_and_owns_nothing(conn: Connection):
    role = conn.execute(text("SELECT current_user, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, "
                             "rolreplication FROM pg_roles WHERE rolname = current_user")).one()
    assert tuple(role) == (ROLES.app, False, False, False, False, False)
    assert conn.execute(text("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole")
                        ).scalar_one() == 0
    owners = conn.execute(text("SELECT tableowner, count(*) FROM pg_tables WHERE schemaname = 'public' "
                               "GROUP BY tableowner ORDER BY tableowner")).all()
    # every table of the schema is the owner's; spatial_ref_sys is PostGIS's (the superuser's)
    assert [owner for owner, _ in owners] == [ROLES.owner, "postgres"]
    assert dict(owners)["postgres"] == 1
    assert not conn.execute(text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"),
                            {"owner": ROLES.owner}).scalar_one()


def _privileges(conn: Connection, table: str) -> set[str]:
    return {p for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
            if conn.execute(text("SELECT has_table_privilege(current_user, :t, :p)"), {"t": table, "p": p}
                            ).scalar_one()}


def test_the_app_role_may_only_append_to_audit_and_history_and_not_migrate(conn: Connection):
    assert _privileges(conn, "audit_log") == {"SELECT", "INSERT"}
    assert _privileges(conn, "feature_history") == {"SELECT", "INSERT"}
    assert _privileges(conn, "alembic_version") == {"SELECT"}
    assert _privileges(conn, "households") == {"SELECT", "INSERT", "UPDATE", "DELETE"}


def _audited(conn: Connection, name: str) -> tuple[int, int, int]:
    """Insert a shelter with gis.bulk = on; its id, audit entries and history versions."""
    set_actor(conn, Actor("bulk-probe"), "批量探测")
    conn.execute(text("SELECT set_config('gis.bulk', 'on', true)"))
    feature_id = conn.execute(text("INSERT INTO shelters (name, shelter_type, geom) VALUES (:n, 'emergency', "
                                   "ST_SetSRID(ST_Point(122.75, 40.85), 4490)) RETURNING id"), {"n": name}
                              ).scalar_one()
    conn.execute(text("UPDATE shelters SET name = :n || '改' WHERE id = :i"), {"n": name, "i": feature_id})
    audits = conn.execute(text("SELECT count(*) FROM audit_log WHERE layer = 'shelters' AND feature_id = :i"),
                          {"i": feature_id}).scalar_one()
    versions = conn.execute(text("SELECT count(*) FROM feature_history WHERE layer = 'shelters' "
                                 "AND feature_id = :i"), {"i": feature_id}).scalar_one()
    return feature_id, audits, versions


def test_the_bulk_switch_does_not_skip_the_audit_for_the_app_role(conn: Connection):
    _, audits, versions = _audited(conn, "批量开关探测")
    assert (audits, versions) == (2, 2)  # insert and update, both audited and versioned


@pytest.fixture
def owner_conn(database_urls: DatabaseUrls) -> Iterator[Connection]:
    engine = create_engine(database_urls.owner, connect_args={"options": SESSION_OPTIONS})
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    engine.dispose()


def test_the_bulk_switch_still_works_for_the_owner(owner_conn: Connection):
    _, audits, versions = _audited(owner_conn, "业主批量探测")
    assert (audits, versions) == (0, 2)  # one summary entry is the loader's job; history is always kept


def test_tables_of_later_migrations_are_granted_to_the_app_role(owner_conn: Connection):
    owner_conn.execute(text("CREATE TABLE later_migration_probe (id int)"))
    granted = owner_conn.execute(text(
        "SELECT array_agg(p ORDER BY p) FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p "
        "WHERE has_table_privilege(:app, 'later_migration_probe', p)"), {"app": ROLES.app}).scalar_one()
    assert granted == ["DELETE", "INSERT", "SELECT", "UPDATE"]


def test_db_up_creates_both_roles_and_requires_passwords(tmp_path):
    tmp_path.chmod(0o755)
    cluster = Cluster.for_data_dir(tmp_path, free_port(), "roles_probe", fast_unsafe=True)
    try:
        assert cluster.up() is True
        assert stat.S_IMODE(cluster.passwords_file.stat().st_mode) == 0o600
        with psycopg.connect(cluster._conninfo("roles_probe"), autocommit=True) as admin:
            # a table left by a setup that migrated as the superuser is handed to the owner on the next up
            admin.execute("CREATE TABLE legacy_probe (id int)")
            roles = admin.execute("SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
                                  "FROM pg_roles WHERE rolname LIKE 'haicheng%' ORDER BY rolname").fetchall()
            assert roles == [(ROLES.app, True, False, False, False, False),
                             (ROLES.owner, True, False, False, False, False)]
            assert admin.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'roles_probe'"
                                 ).fetchone() == (ROLES.owner,)
        assert cluster.up() is False
        with psycopg.connect(cluster._conninfo("roles_probe"), autocommit=True) as admin:
            assert admin.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'legacy_probe'"
                                 ).fetchone() == (ROLES.owner,)
        with psycopg.connect(cluster.app_url.replace("+psycopg", "")) as app:
            assert app.execute("SELECT current_user").fetchone() == (ROLES.app,)
        for user in ("postgres", ROLES.app):  # no trust left: a login without the password is refused
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(f"host=127.0.0.1 port={cluster.port} user={user} dbname=roles_probe "
                                "password=wrong connect_timeout=5")
        # a lost or replaced passwords file is named, not a driver traceback
        stored = json.loads(cluster.passwords_file.read_text())
        cluster.passwords_file.write_text(json.dumps({**stored, "postgres": "not-the-password"}))
        with pytest.raises(ClusterError, match="refuses the superuser password in .*db-passwords.json"):
            cluster.up()
        cluster.passwords_file.write_text(json.dumps(stored))
    finally:
        cluster.destroy()


def test_a_temporary_table_cannot_shadow_the_audit_log_or_the_history(conn: Connection):
    # pg_temp comes first in the search path unless named: the triggers' INSERT INTO audit_log would
    # otherwise write into the session's own copy
    conn.execute(text("CREATE TEMP TABLE audit_log (LIKE public.audit_log INCLUDING ALL)"))
    conn.execute(text("CREATE TEMP TABLE feature_history (LIKE public.feature_history INCLUDING ALL)"))
    feature_id, _, _ = _audited(conn, "临时表探测")
    counts = conn.execute(text(
        "SELECT (SELECT count(*) FROM public.audit_log WHERE layer = 'shelters' AND feature_id = :i), "
        "(SELECT count(*) FROM public.feature_history WHERE layer = 'shelters' AND feature_id = :i), "
        "(SELECT count(*) FROM pg_temp.audit_log) + (SELECT count(*) FROM pg_temp.feature_history)"),
        {"i": feature_id}).one()
    assert tuple(counts) == (2, 2, 0)


INIT_SCRIPT = PROJECT_ROOT / "docker" / "initdb" / "20-haicheng-roles.sh"


def test_the_docker_init_script_sets_up_the_roles_as_db_up_does(database_urls: DatabaseUrls):
    script = INIT_SCRIPT.read_text()
    assert f"ALTER ROLE :\"owner\" {OWNER_ROLE_ATTRIBUTES} PASSWORD" in script  # the same roles as db_roles.py
    assert f"ALTER ROLE :\"app\" {APP_ROLE_ATTRIBUTES} PASSWORD" in script
    name = "gis_docker_init"
    admin = create_engine(make_url(database_urls.admin).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # what the image makes: POSTGRES_DB, owned by its superuser
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    superuser = make_url(database_urls.admin)
    bindir = find_pg_bindir()
    assert bindir is not None
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "PGHOST": str(superuser.host), "PGPORT": str(superuser.port),
           "PGPASSWORD": str(superuser.password), "POSTGRES_USER": str(superuser.username), "POSTGRES_DB": name,
           # the session's passwords: the roles are the whole server's
           "GIS_DB_OWNER_PASSWORD": str(make_url(database_urls.owner).password),
           "GIS_DB_APP_PASSWORD": str(make_url(database_urls.app).password)}
    try:
        for _ in range(2):  # re-runnable
            done = subprocess.run(["sh", str(INIT_SCRIPT)], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        upgrade(database_urls.on(name).owner, roles=ROLES)
        app = create_engine(database_urls.on(name).app)
        with app.connect() as conn:
            assert _privileges(conn, "audit_log") == {"SELECT", "INSERT"}
            assert conn.execute(text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :d"),
                                {"d": name}).scalar_one() == ROLES.owner
            assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                     "AND tableowner NOT IN (:o, 'postgres')"), {"o": ROLES.owner}).scalar_one() == 0
            with pytest.raises(DBAPIError, match="permission denied for schema public"):
                conn.execute(text("CREATE TABLE probe (id int)"))
        app.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_the_demo_load_refuses_the_app_role(engine: Engine):
    # as the app role its DELETE of demo rows' history would fail half-way and gis.bulk would not count
    with pytest.raises(Conflict) as refused:
        load_demo(engine, echo=lambda _: None)
    assert refused.value.message.startswith("示例数据须以数据库属主角色加载（GIS_DATABASE_OWNER_URL")
