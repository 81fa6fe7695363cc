"""A throwaway PostGIS for the test session and a Database that rolls back every test."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

from gis_server.cluster import EXTENSIONS, Cluster
from gis_server.db import Database
from gis_server.migrate import upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def throwaway_cluster(dbname: str = "gis_test") -> Iterator[str]:
    """Start a private cluster (fsync off) and yield its URL; GIS_TEST_DATABASE_URL overrides."""
    url = os.environ.get("GIS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="haicheng-gis-test-"))
    os.chmod(folder, 0o755)
    cluster = Cluster.for_data_dir(folder, free_port(), dbname, fast_unsafe=True)
    cluster.up()
    try:
        yield cluster.url
    finally:
        cluster.destroy()


@contextmanager
def committed_database(database_url: str, name: str) -> Iterator[str]:
    """A migrated database ``name`` next to the test database, for tests whose writes must commit
    (a live server, notifications); dropped afterwards. Yields its URL."""
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for ext in EXTENSIONS:
            conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
    engine.dispose()
    upgrade(url)
    try:
        yield url
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
