"""What an operator needs to see: a request id on every answer and log line, JSON-lines logs, slow
requests logged, and Prometheus metrics (requests and latency per route, the connection pool).

The request id comes from a well-formed ``X-Request-ID`` sent by a proxy, or is made here; it is sent
back in the same header and printed on error pages, so a user can quote it and an operator can find
every log line of that request.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.pool import QueuePool

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
log = logging.getLogger("gis_server.requests")
# seconds; tiles and feature pages sit in the first buckets, PDFs and analyses in the last
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def current_request_id() -> str | None:
    """The id of the request being served (also inside the thread pool, which copies the context)."""
    return _request_id.get()


def request_id_of(scope: Scope) -> str | None:
    return scope.get("state", {}).get("request_id")


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id and any ``extra`` fields."""

    RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in record.__dict__.items() if k not in self.RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on standard error for the service's loggers and uvicorn's (once per process)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    for name in ("gis_server", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


class Metrics:
    """The app's own registry (one per app, so that tests may build many apps in one process)."""

    def __init__(self, pool_source: Callable[[], Any] | None = None,
                 job_source: Callable[[], list[tuple[str, str, int]]] | None = None):
        self.registry = CollectorRegistry()
        self.requests = Counter("gis_http_requests_total", "HTTP requests answered",
                                ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram("gis_http_request_seconds", "Time to answer, by route",
                                 ("method", "route"), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.slow = Counter("gis_http_slow_requests_total", "Requests slower than the slow-request threshold",
                            ("method", "route"), registry=self.registry)
        if pool_source is not None:
            self.registry.register(_PoolCollector(pool_source))
        if job_source is not None:
            self.registry.register(_JobCollector(job_source))

    def observe(self, method: str, route: str, status: int, seconds: float, slow: bool) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if slow:
            self.slow.labels(method, route).inc()


class _PoolCollector:
    """The SQLAlchemy pool's size and use, read when Prometheus scrapes."""

    def __init__(self, pool_source: Callable[[], Any]):
        self.pool_source = pool_source

    def collect(self):  # noqa: ANN201 (prometheus_client's collector protocol)
        pool = self.pool_source()
        if not isinstance(pool, QueuePool):
            return
        for name, help_text, value in (
            ("gis_db_pool_size", "Connections the pool keeps", pool.size()),
            ("gis_db_pool_checked_out", "Connections in use", pool.checkedout()),
            ("gis_db_pool_overflow", "Connections opened beyond the pool size", max(pool.overflow(), 0)),
        ):
            yield GaugeMetricFamily(name, help_text, value=value)


class _JobCollector:
    """Background jobs by kind and status, counted in the job table when Prometheus scrapes."""

    def __init__(self, job_source: Callable[[], list[tuple[str, str, int]]]):
        self.job_source = job_source

    def collect(self):  # noqa: ANN201 (prometheus_client's collector protocol)
        try:
            found = self.job_source()
        except Exception:  # noqa: BLE001 (database away: the other metrics are still worth scraping)
            return
        family = GaugeMetricFamily("gis_jobs", "Background jobs by kind and status", labels=("kind", "status"))
        for kind, status, count in found:
            family.add_metric((kind, status), count)
        yield family


def _route_of(scope: Scope) -> str:
    """The route's template (``/api/layers/{layer}/features``), never the raw path (unbounded labels)."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestObserver:
    """Pure ASGI middleware: request id in, header out, timing, slow-request log and metrics.

    Pure ASGI (not ``BaseHTTPMiddleware``) so that it adds microseconds, not a task per request.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, slow_seconds: float):
        self.app = app
        self.metrics = metrics
        self.slow_seconds = slow_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = _incoming_id(scope) or _new_request_id()
        scope.setdefault("state", {})["request_id"] = sent
        token = _request_id.set(sent)
        status = 500  # unless a response starts: an exception reaches the server's error handler
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.lower().encode(), sent.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            slow = seconds >= self.slow_seconds
            route = _route_of(scope)
            self.metrics.observe(scope["method"], route, status, seconds, slow)
            level = logging.WARNING if slow else logging.INFO
            if log.isEnabledFor(level):  # the access log: one line a request, slow ones as warnings
                log.log(level, "slow request" if slow else "request",
                        extra={"method": scope["method"], "route": route, "path": scope["path"],
                               "status": status, "ms": round(seconds * 1000, 1)})
            _request_id.reset(token)


# this process's random prefix and a counter: unique, and no system call per request (uuid4 reads the
# kernel's random source each time, a tenth of the warm tile's samples in a profile, issue 21)
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_counter = itertools.count(1)


def _new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter):016x}"  # 32 hex digits, as uuid4().hex was


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _WELL_FORMED_ID.fullmatch(text) else None
    return None
