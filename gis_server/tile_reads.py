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

from sqlalchemy import text

from gis_server.db import Database

MAX_BATCH = 256
IDLE_SECONDS = 2.0  # the writer thread ends after this long without reads (a new one starts with the next)

_STATEMENT = """
WITH _audit AS (
  INSERT INTO audit_log (username, client_address, action, layer, detail)
  SELECT * FROM unnest(CAST(:username AS text[]), CAST(:address AS text[]), CAST(:action AS text[]),
                       CAST(:layer AS text[]), CAST(:detail AS jsonb[])))
SELECT layer_table, version FROM layer_data_versions WHERE layer_table = ANY(CAST(:tables AS text[]))"""


class TileReads:
    def __init__(self, db: Database):
        self.db = db
        self._queue: queue.SimpleQueue[tuple[str, dict[str, Any] | None, Future[int | None]]] = queue.SimpleQueue()
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
            batch = [first]
            with self._busy:
                while len(batch) < MAX_BATCH:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                try:
                    versions = self._write(batch)
                except Exception as error:  # noqa: BLE001 (every reader gets the statement's error)
                    for _, _, done in batch:
                        done.set_exception(error)
                    continue
                for table, _, done in batch:
                    done.set_result(versions.get(table))

    def _write(self, batch: list[tuple[str, dict[str, Any] | None, Future[int | None]]]) -> dict[str, int]:
        records = [audit for _, audit, _ in batch if audit]
        params: dict[str, Any] = {name: [r["audit_" + name] for r in records]
                                  for name in ("username", "address", "action", "layer", "detail")}
        params["tables"] = sorted({table for table, _, _ in batch})
        with self.db.autocommit() as conn:  # one statement, one commit: the records are durable
            rows = conn.execute(text(_STATEMENT), params).all()
        self.statements += 1
        self.reads += len(batch)
        return {row[0]: row[1] for row in rows}
