"""The database handle the app uses: one engine per process, a transaction per write."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from gis_server.settings import Settings

# Per-session settings of the service's connections: JIT makes PostGIS queries slower
# (ENVIRONMENT.md; also off on the embedded server), parallel workers cost more to start
# than a 1,000-feature page takes to build, and timestamps are written out in UTC whatever the
# server's zone (as the listed features' triggers write them, layers/listed.py).
SESSION_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0 -c TimeZone=UTC"
log = logging.getLogger("gis_server.db")
# who is being served (set when the request's user is known): their reads follow their own writes
_reader: contextvars.ContextVar[str | None] = contextvars.ContextVar("reader", default=None)


def serving(username: str | None) -> None:
    """Note whose request this is, so that ``Database.read`` can send them their own writes."""
    _reader.set(username)


def libpq_url(url: str) -> str:
    """``postgresql://…`` for psycopg itself (and other libpq clients) from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(settings: Settings, owner: bool = False, replica: bool = False) -> Engine:
    """The service's engine (the app role), or the schema owner's for migrations and bulk loads, or the
    read replica's (``GIS_DATABASE_READ_URL``).
    """
    url = settings.owner_sqlalchemy_url if owner else settings.sqlalchemy_url
    if replica:
        assert settings.database_read_url is not None
        url = settings.database_read_url
    return create_engine(
        url,
        # one connection per request thread (as many as db_pool_size, gis_server.app) plus the background
        # users of the same pool: the job workers, the compliance listener (it submits the re-check job) and
        # the tile reads' group-commit writer (it keeps its connection while reads keep coming), so a request
        # never takes a connection beyond the pool (a new backend loads PostGIS and PROJ: the tiles' tail,
        # issue 21)
        pool_size=settings.db_pool_size + settings.job_workers + 2,
        max_overflow=settings.db_max_overflow,
        # no pre-ping round trip on every checkout: stale connections are recycled instead; except on a
        # replica, which may go away on its own: a dead one is then noticed and the read goes to the primary
        pool_pre_ping=replica,
        pool_recycle=1800,
        connect_args={"options": SESSION_OPTIONS},
    )


class Database:
    """Hands out connections: ``read()`` for queries, ``transaction()`` for writes, ``replica()`` for
    read-only work that may run on a streaming replica (``GIS_DATABASE_READ_URL``).

    ``read()`` stays on the primary: account and session checks read there (a revoked session must not
    pass while a replica lags) and some reads write a row. ``replica()`` is for statements that write
    nothing (the replica refuses writes): a user who wrote in the last ``fresh_seconds`` is sent to the
    primary, so they see their own writes whatever the lag; so is everyone while the replica is away.
    """

    def __init__(self, engine: Engine, read_engine: Engine | None = None, fresh_seconds: float = 5.0):
        self.engine = engine
        self.read_engine = read_engine
        self.fresh_seconds = fresh_seconds
        self._wrote_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def _engine_for_read(self) -> Engine:
        if self.read_engine is None:
            return self.engine
        reader = _reader.get()
        if reader is not None:
            with self._lock:
                wrote = self._wrote_at.get(reader)
            if wrote is not None and time.monotonic() - wrote < self.fresh_seconds:
                return self.engine
        return self.read_engine

    def _note_write(self) -> None:
        reader = _reader.get()
        if self.read_engine is not None and reader is not None:
            now = time.monotonic()
            with self._lock:
                self._wrote_at[reader] = now
                if len(self._wrote_at) > 10_000:  # forget writers whose window has passed
                    self._wrote_at = {k: v for k, v in self._wrote_at.items() if now - v < self.fresh_seconds}

    @contextmanager
    def _connect_for_read(self) -> Iterator[Connection]:
        engine = self._engine_for_read()
        try:
            conn = engine.connect()
        except OperationalError:
            if engine is self.engine:
                raise
            log.warning("read replica unreachable: reading from the primary")
            conn = self.engine.connect()
        with conn:
            yield conn

    @contextmanager
    def replica(self) -> Iterator[Connection]:
        """Like ``read()``, on the replica when there is one (read-only work that may lag by seconds)."""
        if self.read_engine is None:
            with self.read() as conn:  # (also a test's single-transaction database)
                yield conn
            return
        with self._connect_for_read() as conn:
            yield conn
            conn.commit()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn
            # End the read transaction with COMMIT, not the pool's ROLLBACK: psycopg forgets the
            # statements it prepared in a transaction that is rolled back, and re-planning the
            # larger statements (a site check: 16 nearest-feature branches) costs more than running them.
            conn.commit()

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection on which every statement is its own transaction: a read made of one statement
        (a page of features with its audit record) takes one round trip, without BEGIN and COMMIT.
        """
        with self.engine.connect() as conn:
            # set on the driver, not through SQLAlchemy: its isolation-level reset when the connection
            # goes back to the pool cost a tenth of a millisecond per page of features
            raw = conn.connection.driver_connection
            assert raw is not None  # a live psycopg connection while ``conn`` is open
            raw.autocommit = True
            try:
                yield conn
            finally:
                if not raw.closed and raw.info.transaction_status == TransactionStatus.IDLE:
                    raw.autocommit = False
                else:  # lost, or in a transaction it was never meant to open: not handed out again
                    conn.invalidate()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn
        self._note_write()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not None:
            self.read_engine.dispose()
