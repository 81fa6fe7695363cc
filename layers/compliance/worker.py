"""What starts the compliance re-check: a listener woken by the changes themselves.

One daemon thread per service process LISTENs on ``compliance`` (the queue triggers notify at commit) and
calls ``wake`` when notified, and every ``IDLE_SECONDS`` anyway (a change committed while it was
reconnecting). The service's ``wake`` submits the drain as a job of the general job runner
(``gis_server.jobs``; several wake-ups share one pending job); the drain's advisory lock lets one process
work at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

CHANNEL = "compliance"
POLL_SECONDS = 0.5  # how often the listener looks at its stop flag while no notification comes
IDLE_SECONDS = 30.0  # drain at least this often even without a notification
RECONNECT_SECONDS = 2.0

log = logging.getLogger(__name__)


class ComplianceWorker:
    def __init__(self, url: str | None, wake: Callable[[], object]):
        self._url, self._wake = url, wake
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
            self._wake()
        except Exception:  # the changes stay pending: the next wake-up asks again
            log.exception("could not start the compliance re-check")

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
