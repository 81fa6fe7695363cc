"""Runs queued jobs: worker threads in each service process, or inline (tests' single transaction).

Workers take jobs from the table (``FOR UPDATE SKIP LOCKED``), so any number of processes may run
them and a job submitted by one process (or by the CLI) is run by whichever worker is free. A submit
in this process wakes a worker at once; otherwise they look every ``poll_seconds``.
"""

from __future__ import annotations

import logging
import threading
import time

from gis_server.db import Database
from gis_server.jobs import queue
from gis_server.jobs.registry import JobContext, handler_for
from layers.errors import DomainError

log = logging.getLogger("gis_server.jobs")
FAILED = "任务失败，请联系管理员（见日志中的任务编号）"


def run_one(db: Database) -> int | None:
    """Claim and run one queued job; its id, or None when nothing was queued."""
    claimed = queue.claim(db)
    if claimed is None:
        return None
    job_id, kind, params = claimed
    handler = handler_for(kind)
    started = time.perf_counter()
    try:
        if handler is None:
            raise DomainError(f"未知的任务类型：{kind}", f"no handler for job kind {kind!r}")
        context = JobContext(db, job_id, lambda fraction, message: queue.report(db, job_id, fraction, message))
        queue.finish(db, job_id, handler(context, params))
        log.info("job done", extra={"job_id": job_id, "kind": kind,
                                    "ms": round((time.perf_counter() - started) * 1000, 1)})
    except DomainError as exc:
        queue.fail(db, job_id, exc.message)
        log.warning("job refused", extra={"job_id": job_id, "kind": kind, "reason": exc.message_en})
    except Exception:  # noqa: BLE001 (a failed job is recorded, the worker goes on)
        log.exception("job failed", extra={"job_id": job_id, "kind": kind})
        queue.fail(db, job_id, FAILED)
    return job_id


class JobRunner:
    def __init__(self, db: Database, workers: int = 1, poll_seconds: float = 1.0, inline: bool = False,
                 keep_days: int = 7):
        self.db = db
        self.keep_days = keep_days
        self.workers = workers
        self.poll_seconds = poll_seconds
        self.inline = inline
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self.inline:
            return
        self._stop.clear()
        self._threads = [threading.Thread(target=self._work, name=f"gis-jobs-{i}", daemon=True)
                         for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """A job was queued: run it now (inline) or wake a worker."""
        if self.inline:
            while run_one(self.db) is not None:
                pass
        else:
            self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; a job still running after ``timeout`` is left to be marked stale."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def _work(self) -> None:
        last_sweep = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_sweep > 60:
                    queue.fail_stale(self.db)
                    queue.prune(self.db, self.keep_days)  # finished jobs and their files, after a week
                    last_sweep = time.monotonic()
                if run_one(self.db) is not None:
                    continue
            except Exception:  # noqa: BLE001 (database away: try again later, quietly)
                log.debug("job worker: database unavailable", exc_info=True)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
