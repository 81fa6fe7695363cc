"""An import killed midway leaves nothing half-written (issue 18 item 2): the service process is killed
(SIGKILL) while a place-name import is writing its rows; afterwards no row, history entry or audit
record of it exists, and the next service on the same database imports the same file whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.bench_place_name_search import names
from gis_server.accounts.service import create_user
from gis_server.settings import PROJECT_ROOT
from tests.conftest import PASSWORD
from tests.utils.database import committed_database, free_port, urls_of

ROWS = 400
WRITING = text("""
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
      AND xact_start < clock_timestamp() - interval '0.3 seconds'""")
COUNTS = text("""SELECT (SELECT count(*) FROM place_names), (SELECT count(*) FROM feature_history
                 WHERE layer = 'place_names'), (SELECT count(*) FROM audit_log WHERE action = 'import')""")


def _writing(engine) -> int:  # noqa: ANN001
    """Backends in a write transaction older than 0.3 s (a fresh transaction: statistics are snapshots)."""
    with engine.connect() as conn:
        return conn.execute(WRITING).scalar()


def _csv() -> bytes:
    lines = ["标准名称,类别代码,东经,北纬"]
    for i, (name, class_code, _) in enumerate(names(ROWS, seed=5)):
        lines.append(f"{name},{class_code},{122.4 + (i % 50) * 0.01:.4f},{40.6 + (i // 50) * 0.005:.4f}")
    return ("\n".join(lines) + "\n").encode()


def _server(app_url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "GIS_DATABASE_URL": app_url, "GIS_ENVIRONMENT": "test", "GIS_DATA_DIR": str(data_dir),
           "GIS_SECRET_KEY": "killed-import-test-secret-key-0123456789abcdef"}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "gis_server.app:create_app", "--factory",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               cwd=PROJECT_ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the service did not start")


def _import(base: str, body: bytes, timeout: float = 300) -> httpx.Response:
    token = httpx.post(f"{base}/api/auth/token", data={"username": "editor", "password": PASSWORD}).json()
    return httpx.post(f"{base}/api/place-names/import", params={"commit": "true"}, timeout=timeout,
                      headers={"Authorization": "Bearer " + token["access_token"]},
                      files={"file": ("普查.csv", body, "text/csv")})


def test_an_import_killed_midway_leaves_nothing_half_written(database_url: str, tmp_path: Path):
    body = _csv()
    with committed_database(database_url, "gis_killed_import") as app_url:
        urls = urls_of(app_url)
        engine = create_engine(urls.owner)
        # the superuser sees other roles' backends in pg_stat_activity (their transaction ids)
        watcher = create_engine(urls.admin)
        with engine.begin() as conn:
            create_user(conn, "editor", PASSWORD, ["place_names_editor"])
        process, base = _server(app_url, tmp_path)
        try:
            answers: list[object] = []
            sending = threading.Thread(target=lambda: answers.append(_try(_import, base, body)), daemon=True)
            sending.start()
            deadline = time.monotonic() + 120
            while _writing(watcher) == 0:
                assert time.monotonic() < deadline and process.poll() is None and not answers, "never wrote"
                time.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)  # mid-write: no chance to clean up
            process.wait(10)
            sending.join(30)
            assert answers and isinstance(answers[0], httpx.HTTPError)  # the client saw the connection drop
            while _writing(watcher):  # the dead client's backend notices, and PostgreSQL rolls back its work
                time.sleep(0.05)
            with engine.connect() as conn:
                assert tuple(conn.execute(COUNTS).one()) == (0, 0, 0)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        process, base = _server(app_url, tmp_path)  # a new service: the same file goes in whole
        try:
            done = _import(base, body)
            assert done.status_code == 200, done.text
            summary = done.json()["summary"]
            with engine.connect() as conn:
                places, history, audits = conn.execute(COUNTS).one()
            assert summary["insert"] > ROWS // 2  # most rows pass the naming rules; the rest are reported
            assert (places, history, audits) == (summary["insert"], summary["insert"], 1)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        engine.dispose()
        watcher.dispose()


def _try(call, *args):  # noqa: ANN001, ANN202
    try:
        return call(*args)
    except httpx.HTTPError as exc:
        return exc
