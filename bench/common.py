"""Helpers shared by the benchmarks in ``bench/``.

* :func:`throwaway_cluster` — a private PostgreSQL + PostGIS under /tmp on a free port, destroyed on exit.
* :func:`uvicorn_server` — one uvicorn worker in a subprocess on a free 127.0.0.1 port, waited for
  and stopped on exit (also on Ctrl-C and errors).
* :class:`HttpGetter` — a keep-alive HTTP/1.1 client (``http.client``) that reads the whole body.
* :func:`run_rounds` / :class:`Stats` — alternating timing rounds and median/p90 summaries.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from gis_server.db import libpq_url  # noqa: E402,F401  (the benches import it from here)

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- database URLs -----------------------------------------------------------------------------

def sqlalchemy_url(url: str) -> str:
    """``postgresql+psycopg://…`` (what the app and SQLAlchemy want)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


# --- a throwaway cluster -----------------------------------------------------------------------

@contextmanager
def throwaway_cluster(dbname: str = "gis_bench", echo: Callable[[str], None] = print) -> Iterator[str]:
    """Start a private cluster (jit off, fsync off) under /tmp and yield its superuser's SQLAlchemy URL
    (benchmarks load data with triggers switched off, which only a superuser may; the service's own
    role is proven by the tests)."""
    from gis_server.cluster import Cluster

    folder = Path(tempfile.mkdtemp(prefix="haicheng-gis-bench-", dir="/tmp"))
    os.chmod(folder, 0o755)  # the postgres user must be able to enter it
    cluster = Cluster.for_data_dir(folder, free_port(), dbname, fast_unsafe=True, echo=echo)
    try:
        started = time.perf_counter()
        cluster.up()
        echo(f"cluster: {cluster.pgdata} on {HOST}:{cluster.port} up in {time.perf_counter() - started:.1f} s")
        yield cluster.admin_url
    finally:
        try:
            cluster.destroy()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            # for_data_dir may have moved pgdata under /var/tmp (root without access)
            if not str(cluster.pgdata).startswith(str(folder)):
                shutil.rmtree(cluster.pgdata.parent, ignore_errors=True)
        echo("cluster: stopped and deleted")


# --- accounts -----------------------------------------------------------------------------------

BENCH_USER = "bench"


def create_bench_user(url: str, role: str) -> tuple[str, str]:
    """An account with ``role`` in the throwaway database; returns (name, password)."""
    import secrets

    from sqlalchemy import create_engine

    from gis_server.accounts.service import create_user

    password = "bench-" + secrets.token_urlsafe(18)
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            create_user(conn, BENCH_USER, password, [role])
    finally:
        engine.dispose()
    print(f"auth: created user {BENCH_USER!r} with role {role}")
    return BENCH_USER, password


def sign_in(post: Callable[[str, bytes, dict[str, str]], tuple[int, bytes]],
            credentials: tuple[str, str] | None) -> dict[str, str]:
    """Request headers for the API: a Bearer token (none when no credentials are given)."""
    import json
    from urllib.parse import urlencode

    if credentials is None:
        return {}
    status, body = post("/api/auth/token", urlencode({"username": credentials[0], "password": credentials[1]})
                        .encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 200:
        raise RuntimeError(f"sign-in as {credentials[0]!r} failed: {status} {body[:300]!r}")
    return {"Authorization": "Bearer " + json.loads(body)["access_token"]}


# --- a server in a subprocess ------------------------------------------------------------------

@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _http_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


def _stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop the server we started (its own process group, by its id)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(5)


@contextmanager
def uvicorn_server(name: str, app: str, env: Mapping[str, str] | None = None, *, factory: bool = False,
                   ready_path: str = "/", cwd: Path | None = None, timeout: float = 60.0,
                   echo: Callable[[str], None] = print) -> Iterator[Server]:
    """``python -m uvicorn APP`` (one worker, no access log) on a free port; yields when it answers 200.

    ``env`` is added to a copy of this process's environment. The server is always stopped on exit.
    """
    port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir="/tmp"))
    log = log_dir / "server.log"
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--port", str(port), "--workers", "1",
           "--no-access-log", "--log-level", "warning"]
    if factory:
        cmd.append("--factory")
    with open(log, "wb") as log_file:
        process = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=str(cwd or REPO_ROOT),
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, port, process, log)
    try:
        deadline = time.monotonic() + timeout
        started = time.perf_counter()
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} before answering:\n{server.log_tail()}")
            status = _http_status(port, ready_path)
            if status == 200:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer 200 on {ready_path} within {timeout:.0f} s "
                                   f"(last status {status}):\n{server.log_tail()}")
            time.sleep(0.2)
        echo(f"server: {name} on {server.base_url} (pid {process.pid}) ready in "
             f"{time.perf_counter() - started:.1f} s")
        yield server
    finally:
        _stop(process)
        shutil.rmtree(log_dir, ignore_errors=True)
        echo(f"server: {name} stopped")


def wait_for_background_checks(url: str, timeout: float = 900.0, echo: Callable[[str], None] = print) -> None:
    """Wait until the service has re-checked what loading the demo changed (the compliance queue's
    background job, one transaction over ~12,000 changes): while it runs it takes a share of the
    service's process that a measured request would otherwise have, and tipg has no such job."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM compliance_changes WHERE processed_at IS NULL").fetchone()
            waiting = int(row[0]) if row else 0
            if not waiting or time.perf_counter() - started > timeout:
                break
            time.sleep(1.0)
    state = "done" if not waiting else f"NOT done ({waiting} waiting)"
    echo(f"background: compliance re-check of the loaded data {state} after {time.perf_counter() - started:.0f} s")


class HttpGetter:
    """GET one path over a single keep-alive HTTP/1.1 connection, reading the whole body."""

    def __init__(self, port: int, path: str, headers: Mapping[str, str] | None = None, timeout: float = 30.0):
        self.path = path
        self.headers = dict(headers or {})
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def get(self) -> bytes:
        self.conn.request("GET", self.path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {self.path} -> {response.status}: {body[:500]!r}")
        return body

    __call__ = get

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """POST on the same connection; returns (status, body)."""
        self.conn.request("POST", path, body=body, headers=dict(headers))
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


# --- timing ------------------------------------------------------------------------------------

@dataclass
class Stats:
    name: str
    samples: list[float]  # seconds per call

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]

    @property
    def p90(self) -> float:
        return self.quantile(0.9)

    @property
    def rps(self) -> float:
        """Throughput of one sequential client, from the median latency (robust on a shared machine)."""
        return 1.0 / self.median

    @property
    def rps_mean(self) -> float:
        """Throughput of one sequential client, total calls / total time."""
        return 1.0 / self.mean


def time_calls(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run_rounds(contestants: Mapping[str, Callable[[], object]], *, requests: int, rounds: int,
               warmup: int, echo: Callable[[str], None] = print) -> dict[str, Stats]:
    """Warm every contestant up, then time ``requests`` calls each, split into alternating rounds.

    Round r runs the contestants in a rotated order, so no one always goes first (or right after
    the same neighbour) on a shared machine.
    """
    for fn in contestants.values():
        for _ in range(warmup):
            fn()
    names = list(contestants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    per_round = [requests // rounds + (1 if r < requests % rounds else 0) for r in range(rounds)]
    for r, count in enumerate(per_round):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            samples[name].extend(time_calls(contestants[name], count))
        echo(f"  round {r + 1}/{rounds}: " + ", ".join(
            f"{name} {statistics.median(samples[name]) * 1000:.1f} ms" for name in names))
    return {name: Stats(name, s) for name, s in samples.items()}
