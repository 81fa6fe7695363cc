"""A throwaway PostGIS for the test session and a Database that rolls back every test.

The database is set up as in production (gis_server/db_roles.py): migrated as the schema owner, used
as the service's login role, so every test proves that role's grants are enough.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from gis_server.cluster import EXTENSIONS, Cluster
from gis_server.db import Database, libpq_url
from gis_server.db_roles import DatabaseRoles, provision
from gis_server.migrate import upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class DatabaseUrls:
    """One database as its three roles: the superuser (creating databases, nothing else), the schema
    owner (migrations, demo loads) and the service's login role (the app and the tests' engine)."""

    admin: str
    owner: str
    app: str

    def on(self, database: str) -> DatabaseUrls:
        return DatabaseUrls(*(_with_database(url, database) for url in (self.admin, self.owner, self.app)))


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


# app URL → all three, so that helpers given the app's URL (committed_database) can reach the others
_KNOWN: dict[str, DatabaseUrls] = {}
ROLES = DatabaseRoles()


def urls_of(app_url: str) -> DatabaseUrls:
    return _KNOWN[app_url]


def _remember(urls: DatabaseUrls) -> DatabaseUrls:
    _KNOWN[urls.app] = urls
    return urls


def _provision(admin_url: str, dbname: str, passwords: dict[str, str]) -> DatabaseUrls:
    """Both roles (with these passwords), database ``dbname`` owned by the owner, its extensions."""
    def connect(database: str) -> psycopg.Connection:
        return psycopg.connect(libpq_url(_with_database(admin_url, database)), autocommit=True)

    provision(connect, dbname, ROLES, passwords, EXTENSIONS)
    admin = make_url(admin_url)
    owner, app = (admin.set(username=role, password=passwords[role], database=dbname).render_as_string(
        hide_password=False) for role in (ROLES.owner, ROLES.app))
    return _remember(DatabaseUrls(_with_database(admin_url, dbname), owner, app))


@contextmanager
def throwaway_cluster(dbname: str = "gis_test") -> Iterator[DatabaseUrls]:
    """Start a private cluster (fsync off) and yield its URLs; GIS_TEST_DATABASE_URL (a superuser's URL of
    an existing server) overrides."""
    url = os.environ.get("GIS_TEST_DATABASE_URL")
    if url:
        yield _provision(url, make_url(url).database or dbname,
                         {ROLES.owner: secrets.token_urlsafe(18), ROLES.app: secrets.token_urlsafe(18)})
        return
    folder = Path(tempfile.mkdtemp(prefix="haicheng-gis-test-"))
    os.chmod(folder, 0o755)
    cluster = Cluster.for_data_dir(folder, free_port(), dbname, fast_unsafe=True, roles=ROLES)
    cluster.up()
    try:
        yield _remember(DatabaseUrls(cluster.admin_url, cluster.owner_url, cluster.app_url))
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)  # with the generated passwords


@contextmanager
def committed_database(database_url: str, name: str, as_owner: bool = False) -> Iterator[str]:
    """A migrated database ``name`` next to the test database (``database_url``: the app's URL), for tests
    whose writes must commit (a live server, notifications); dropped afterwards. Yields its app URL (the
    owner's with ``as_owner``, e.g. for a demo load)."""
    urls = urls_of(database_url)
    admin = create_engine(_with_database(urls.admin, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    created = _provision(urls.admin, name, {ROLES.owner: make_url(urls.owner).password or "",
                                            ROLES.app: make_url(urls.app).password or ""})
    upgrade(created.owner, roles=ROLES)
    try:
        yield created.owner if as_owner else created.app
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class RollbackDatabase(Database):
    """Every request runs inside the test's transaction; writes are savepoints."""

    def __init__(self, conn: Connection):
        super().__init__(conn.engine)
        self.conn = conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        yield self.conn

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        yield self.conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.conn.begin_nested():
            yield self.conn

    def dispose(self) -> None:  # the session's engine outlives the app
        pass
