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

import asyncio
import queue
import threading
from collections import defaultdict
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

# a reader waits on a thread's future (:meth:`TileReads.version`) or its event loop's (:meth:`TileReads.read`)
Read = tuple[str, dict[str, Any] | None, "Future[int | None] | asyncio.Future[int | None]"]


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
        """:meth:`version` without waiting: the future of it."""
        done: Future[int | None] = Future()
        self._put((table, audit, done))
        return done

    async def read(self, table: str, audit: dict[str, Any] | None) -> int | None:
        """:meth:`version` awaited on the event loop, so a cached tile takes no trip through the thread
        pool. The writer settles all of a batch's readers on one loop with one call into it: a thread's
        future per reader, wrapped (``asyncio.wrap_future``), cost each a call and a wake-up of the loop,
        a tenth of a warm tile's time (issue 21).
        """
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._put((table, audit, done))
        return await done

    def _put(self, read: Read) -> None:
        with self._start:  # queued and a writer alive, together: an ending writer sees the read
            self._queue.put(read)
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="tile-reads", daemon=True)
                self._writer.start()

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
                _release(batch, {}, error)

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
                _release(batch, {}, error)
                batch.clear()  # released: not again by the caller
                return False
        _release(batch, versions, None)
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


def _release(batch: list[Read], versions: dict[str, int], error: BaseException | None) -> None:
    """Give every reader of ``batch`` its table's version, or ``error``; on the readers' event loops
    with one call per loop.
    """
    on_loops: dict[asyncio.AbstractEventLoop, list[Read]] = defaultdict(list)
    for read in batch:
        done = read[2]
        if isinstance(done, asyncio.Future):
            on_loops[done.get_loop()].append(read)
        elif error is not None:
            done.set_exception(error)
        else:
            done.set_result(versions.get(read[0]))
    for loop, reads in on_loops.items():
        try:
            loop.call_soon_threadsafe(_settle, reads, versions, error)
        except RuntimeError:  # the loop was closed meanwhile: nobody is waiting any more
            pass


def _settle(reads: list[Read], versions: dict[str, int], error: BaseException | None) -> None:
    """On the readers' loop: their results, except for readers gone meanwhile (a client that left)."""
    for table, _, done in reads:
        if done.done():
            continue
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(versions.get(table))
