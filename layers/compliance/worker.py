"""The background job that drains the compliance queue, woken by the changes themselves.

One daemon thread per service process LISTENs on ``compliance`` (the queue triggers notify it at commit)
and drains the queue when woken, and every ``IDLE_SECONDS`` anyway (a change committed while the thread
was reconnecting). Several processes may run it: the drain's advisory lock lets one work at a time and the
others return at once. A general job runner can call :func:`layers.compliance.queue.drain_job` instead.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from sqlalchemy import Engine

from layers.compliance.queue import drain_job

CHANNEL = "compliance"
POLL_SECONDS = 0.5  # how often the listener looks at its stop flag while no notification comes
IDLE_SECONDS = 30.0  # drain at least this often even without a notification
RECONNECT_SECONDS = 2.0

log = logging.getLogger(__name__)


class ComplianceWorker:
    def __init__(self, engine: Engine, url: str | None):
        self._engine, self._url = engine, url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._url is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="gis-compliance-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _drain(self) -> None:
        try:
            summary = drain_job(self._engine)
            if summary.get("changes"):
                log.info("compliance re-check: %s", summary)
        except Exception:  # a failed batch stays pending and is tried again on the next wake-up
            log.exception("compliance re-check failed")

    def _run(self) -> None:
        assert self._url is not None
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._drain()  # whatever was queued before LISTEN
                    last = time.monotonic()
                    while not self._stop.is_set():
                        woken = any(True for _ in conn.notifies(timeout=POLL_SECONDS, stop_after=1))
                        if woken or time.monotonic() - last > IDLE_SECONDS:
                            self._drain()
                            last = time.monotonic()
            except psycopg.Error as exc:
                log.warning("compliance listener lost its connection (%s); retrying", exc)
            self._stop.wait(RECONNECT_SECONDS)
