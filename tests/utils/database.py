"""A throwaway PostGIS for the test session and a Database that rolls back every test."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection

from gis_server.cluster import Cluster
from gis_server.db import Database


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


class RollbackDatabase(Database):
    """Every request runs inside the test's transaction; writes are savepoints."""

    def __init__(self, conn: Connection):
        super().__init__(conn.engine)
        self.conn = conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        yield self.conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.conn.begin_nested():
            yield self.conn

    def dispose(self) -> None:  # the session's engine outlives the app
        pass
