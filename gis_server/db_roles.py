"""The two database roles the service uses, and the superuser steps that set them up.

* the **owner** role owns every table, sequence and function of the schema and runs the migrations
  and bulk loads (the demo);
* the **app** role is what the service connects as: a login without SUPERUSER, CREATEDB, CREATEROLE or
  BYPASSRLS that owns nothing, so it can neither ``ALTER``/``DROP``/``TRUNCATE`` a table nor switch a
  trigger off (``ALTER TABLE … DISABLE TRIGGER`` needs the owner, ``session_replication_role`` a
  superuser), and gets only the DML grants of migration ``0013`` (``audit_log`` and
  ``feature_history``: INSERT and SELECT).

The embedded cluster (``gis_server/cluster.py``), the docker image's init script
(``docker/initdb/20-haicheng-roles.sh``) and the test suite run these steps as the superuser before the
owner migrates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql

# A plain lower-case SQL identifier: role names come from settings and are quoted anyway, but a name
# that needs quoting would have to be quoted the same way in every psql session and pg_hba line too.
ROLE_NAME_PATTERN = r"^[a-z_][a-z0-9_]{0,62}$"
DEFAULT_OWNER_ROLE = "haicheng_owner"
DEFAULT_APP_ROLE = "haicheng_app"
APP_ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION NOINHERIT"
OWNER_ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION"
# road-network coverage (migration 0007 creates it when the server has it)
OPTIONAL_EXTENSIONS = ("pgrouting",)


@dataclass(frozen=True)
class DatabaseRoles:
    """The names of the schema owner and of the service's login role."""

    owner: str = DEFAULT_OWNER_ROLE
    app: str = DEFAULT_APP_ROLE


# Objects of the schema (not of an extension such as PostGIS's spatial_ref_sys) whose owner is not the
# owner role: tables, views and free-standing sequences (a column's sequence follows its table),
# functions and enum types. Created by an earlier setup that migrated as the superuser.
FOREIGN_OWNED_OBJECTS = """
SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
       ELSE 'TABLE' END, c.oid::regclass::text
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND c.relowner <> to_regrole(%(owner)s::text)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype IN ('e', 'a', 'i'))
UNION ALL
SELECT 'ROUTINE', p.oid::regprocedure::text
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> to_regrole(%(owner)s::text)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e')
UNION ALL
SELECT 'TYPE', t.oid::regtype::text
FROM pg_type t
WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e' AND t.typowner <> to_regrole(%(owner)s::text)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                  AND d.deptype = 'e')
"""


def ensure_roles(conn: psycopg.Connection, roles: DatabaseRoles, passwords: Mapping[str, str]) -> None:
    """Create both roles when missing and (re)set their attributes and passwords; as a superuser."""
    for name, attributes in ((roles.owner, OWNER_ROLE_ATTRIBUTES), (roles.app, APP_ROLE_ATTRIBUTES)):
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL("{} ROLE {} " + attributes + " PASSWORD {}").format(
            sql.SQL(verb), sql.Identifier(name), sql.Literal(passwords[name])))
    # an app role that was once made a member of the owner (by hand) would have the owner's rights
    conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(roles.owner), sql.Identifier(roles.app)))


def prepare_database(conn: psycopg.Connection, dbname: str, roles: DatabaseRoles) -> list[str]:
    """Hand database ``dbname`` (``conn`` is connected to it as a superuser) to the owner role.

    The owner owns the database, hence the ``public`` schema (PostgreSQL 15: owned by
    ``pg_database_owner``); nobody else may create objects in it. Objects an earlier setup created as
    another role are given to the owner. Returns the ALTER statements that ran.
    """
    owner, app = sql.Identifier(roles.owner), sql.Identifier(roles.app)
    conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(dbname), owner))
    conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # PostgreSQL < 15 granted it
    conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(sql.Identifier(dbname), app))
    statements = [
        # kind is one of the constants above; the name is PostgreSQL's own quoted form (regclass, regtype)
        sql.SQL("ALTER {} {} OWNER TO {}").format(sql.SQL(kind), sql.SQL(name), owner).as_string(conn)
        for kind, name in conn.execute(FOREIGN_OWNED_OBJECTS, {"owner": roles.owner})]
    for statement in statements:
        conn.execute(statement)
    return statements


def provision(connect: Callable[[str], psycopg.Connection], dbname: str, roles: DatabaseRoles,
              passwords: Mapping[str, str], extensions: Iterable[str]) -> None:
    """Both roles, database ``dbname`` owned by the owner with ``extensions``, as a superuser.

    ``connect(database)`` opens an autocommit superuser connection to a database of the server.
    Idempotent: run on every ``db up``.
    """
    with connect("postgres") as conn:
        ensure_roles(conn, roles, passwords)
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname),
                                                                      sql.Identifier(roles.owner)))
    with connect(dbname) as conn:
        # PostGIS and pgRouting are not trusted extensions: only a superuser may create them (the
        # migrations' CREATE EXTENSION IF NOT EXISTS then finds them there)
        available = {row[0] for row in conn.execute("SELECT name FROM pg_available_extensions")}
        for extension in (*extensions, *(e for e in OPTIONAL_EXTENSIONS if e in available)):
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension)))
        prepare_database(conn, dbname, roles)
