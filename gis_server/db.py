"""The database handle the app uses: one engine per process, a transaction per write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url

from gis_server.settings import Settings

# Per-session settings of the service's connections: JIT makes PostGIS queries slower
# (ENVIRONMENT.md; also off on the embedded server), parallel workers cost more to start
# than a 1,000-feature page takes to build, and timestamps are written out in UTC whatever the
# server's zone (as the listed features' triggers write them, layers/listed.py).
SESSION_OPTIONS = "-c jit=off -c max_parallel_workers_per_gather=0 -c TimeZone=UTC"


def libpq_url(url: str) -> str:
    """``postgresql://…`` for psycopg itself (and other libpq clients) from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(settings: Settings, owner: bool = False) -> Engine:
    """The service's engine (the app role), or the schema owner's for migrations and bulk loads."""
    return create_engine(
        settings.owner_sqlalchemy_url if owner else settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # no pre-ping round trip on every checkout: stale connections are recycled instead
        pool_recycle=1800,
        connect_args={"options": SESSION_OPTIONS},
    )


class Database:
    """Hands out connections: ``read()`` for queries, ``transaction()`` for writes."""

    def __init__(self, engine: Engine):
        self.engine = engine

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

    def dispose(self) -> None:
        self.engine.dispose()
