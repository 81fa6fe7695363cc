"""A daemon thread that LISTENs on a PostgreSQL channel and calls back: what the account cache and the
compliance re-check share. It reconnects when the connection is lost, and says so through ``on_lost``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg

POLL_SECONDS = 0.5  # how often the thread looks at its stop flag while no notification comes
RECONNECT_SECONDS = 2.0

log = logging.getLogger(__name__)


def _nothing() -> None:
    return None


class NotifyListener:
    """``on_listen`` runs once LISTEN holds (whatever happened before it was not heard), ``on_notify`` once per
    batch of notifications and, with ``idle_seconds``, at least that often anyway; ``on_lost`` when the
    connection is gone. With ``url=None`` (a test's single transaction) nothing starts.
    """

    def __init__(self, url: str | None, channel: str, name: str, *, on_notify: Callable[[], object],
                 on_listen: Callable[[], object] = _nothing, on_lost: Callable[[], object] = _nothing,
                 idle_seconds: float | None = None):
        self._url, self._channel, self._name = url, channel, name
        self._on_notify, self._on_listen, self._on_lost = on_notify, on_listen, on_lost
        self._idle = idle_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._url is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _call(self, callback: Callable[[], object]) -> None:
        try:
            callback()
        except Exception:  # a callback's failure must not end the listening: the next wake-up tries again
            log.exception("listener %s: callback failed", self._name)

    def _run(self) -> None:
        assert self._url is not None
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {self._channel}")
                    self._call(self._on_listen)
                    last = time.monotonic()
                    while not self._stop.is_set():
                        woken = any(True for _ in conn.notifies(timeout=POLL_SECONDS))
                        if woken or (self._idle is not None and time.monotonic() - last > self._idle):
                            self._call(self._on_notify)
                            last = time.monotonic()
            except psycopg.Error as exc:
                log.warning("listener %s lost its connection (%s); retrying", self._name, exc)
            finally:
                self._on_lost()
            self._stop.wait(RECONNECT_SECONDS)
