"""Group commit of the tile reads' bookkeeping: the data versions they need and their audit records.

A cached tile needs its table's data version (one round trip) and, for a layer with personal data,
the audit record of the read (README "Security": every read of households is audited, from the cache
or not). Rule: **a personal tile is answered only after its audit record is committed**, as any other
personal read. Concurrent tile reads are not given one round trip and one commit each: they queue,
and one writer thread commits everything queued in one statement (the records inserted, the versions
read), then releases each waiting reader with its version. Under load a batch holds as many reads as
arrived during the previous statement; alone a read waits for nothing more than its own statement.
The readers hold no database connection while waiting — only the writer does.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection

from gis_server.db import Database

MAX_BATCH = 256
IDLE_SECONDS = 2.0  # the writer thread ends after this long without reads (a new one starts with the next)

# run by the driver itself, prepared once per connection: SQLAlchemy's statement and result handling
# cost the writer about 0.14 ms of the GIL per batch (issue 21)
_STATEMENT = """
WITH _audit AS (
  INSERT INTO audit_log (username, client_address, action, layer, detail)
  SELECT * FROM unnest(CAST(%(username)s AS text[]), CAST(%(address)s AS text[]), CAST(%(action)s AS text[]),
                       CAST(%(layer)s AS text[]), CAST(%(detail)s AS jsonb[])))
SELECT layer_table, version FROM layer_data_versions WHERE layer_table = ANY(CAST(%(tables)s AS text[]))"""

Read = tuple[str, dict[str, Any] | None, Future[int | None]]


class TileReads:
    def __init__(self, db: Database):
        self.db = db
        self._queue: queue.SimpleQueue[Read] = queue.SimpleQueue()
        self._busy = threading.Lock()  # held while a statement runs (tests hold it to make reads queue up)
        self._writer: threading.Thread | None = None  # started by the first read, ends when idle
        self._start = threading.Lock()
        self.statements = 0
        self.reads = 0

    def version(self, table: str, audit: dict[str, Any] | None) -> int | None:
        """The data version of ``table`` (None: it has none), read after ``audit`` (the values of
        :func:`layers.audit.read_record`, or None) was committed. Raises what the statement raised.
        """
        return self.submit(table, audit).result()

    def submit(self, table: str, audit: dict[str, Any] | None) -> Future[int | None]:
        """:meth:`version` without waiting: the future of it. The tile route awaits it on the event loop
        (``asyncio.wrap_future``), so a cached tile takes no trip through the thread pool.
        """
        done: Future[int | None] = Future()
        with self._start:  # queued and a writer alive, together: an ending writer sees the read
            self._queue.put((table, audit, done))
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="tile-reads", daemon=True)
                self._writer.start()
        return done

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._start:
                    if self._queue.empty():
                        self._writer = None
                        return
                continue
            # one connection for back-to-back batches: under load the next batch is waiting already,
            # and a checkout per batch was another tenth of a millisecond of the GIL
            batch: list[Read] = [first]
            try:
                with self.db.autocommit() as conn:
                    while batch and self._commit(conn, batch):
                        batch = self._take(MAX_BATCH)
            except Exception as error:  # noqa: BLE001 (no connection: the readers get why)
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)

    def _take(self, most: int) -> list[Read]:
        batch: list[Read] = []
        while len(batch) < most:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _commit(self, conn: Connection, batch: list[Read]) -> bool:
        """Commit ``batch`` and the reads queued meanwhile, in one statement, and release every reader;
        False when the statement failed (the connection goes back to the pool, which checks it).
        """
        with self._busy:
            batch += self._take(MAX_BATCH - len(batch))
            try:
                versions = self._write(conn, batch)
            except Exception as error:  # noqa: BLE001 (every reader gets the statement's error)
                for _, _, done in batch:
                    done.set_exception(error)
                return False
        for table, _, done in batch:
            done.set_result(versions.get(table))
        return True

    def _write(self, conn: Connection, batch: list[Read]) -> dict[str, int]:
        records = [audit for _, audit, _ in batch if audit]
        params: dict[str, Any] = {name: [r["audit_" + name] for r in records]
                                  for name in ("username", "address", "action", "layer", "detail")}
        params["tables"] = sorted({table for table, _, _ in batch})
        raw = conn.connection.driver_connection  # autocommit: one statement, one commit, the records durable
        assert raw is not None  # a live psycopg connection while ``conn`` is open
        rows = raw.execute(_STATEMENT, params, prepare=True).fetchall()
        self.statements += 1
        self.reads += len(batch)
        return {row[0]: row[1] for row in rows}
