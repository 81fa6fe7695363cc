"""The database stops under load and comes back: requests fail fast with a 503 in Chinese while it is
away (no 500, no hang past 5 s), and the service recovers by itself, without a restart."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from gis_server.accounts.service import create_user
from gis_server.app import create_app
from gis_server.cluster import Cluster
from gis_server.migrate import upgrade
from gis_server.settings import Settings
from tests.conftest import PASSWORD
from tests.utils.database import ROLES, free_port
from tests.utils.live_server import serving

CLIENTS = 4
PATH = "/api/layers/shelters/features?limit=5"


def _load(base: str, headers: dict[str, str], stop: threading.Event, seen: list[tuple[float, int, float]]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        while not stop.is_set():
            started = time.monotonic()
            status = client.get(PATH).status_code
            seen.append((started, status, time.monotonic() - started))
            if status == 503:
                time.sleep(0.05)


def test_the_database_restarting_under_load_gives_quick_503s_then_recovers(tmp_path: Path):
    folder = tmp_path / "cluster"
    folder.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(folder, 0o755)
    cluster = Cluster.for_data_dir(folder, free_port(), "gis_faults", fast_unsafe=True, roles=ROLES)
    cluster.up()
    try:
        upgrade(cluster.owner_url, roles=ROLES)
        engine = create_engine(cluster.owner_url)
        with engine.begin() as conn:
            create_user(conn, "admin", PASSWORD, ["admin"])
        engine.dispose()
        app = create_app(Settings(environment="test", database_url=cluster.app_url, data_dir=tmp_path / "data",
                                  _env_file=None))
        with serving(app) as base:
            login = httpx.post(f"{base}/api/auth/token", data={"username": "admin", "password": PASSWORD})
            headers = {"Authorization": "Bearer " + login.json()["access_token"]}
            seen: list[tuple[float, int, float]] = []
            stop = threading.Event()
            clients = [threading.Thread(target=_load, args=(base, headers, stop, seen)) for _ in range(CLIENTS)]
            for thread in clients:
                thread.start()
            time.sleep(1)
            cluster.down()
            stopped_at = time.monotonic()
            time.sleep(2)
            away = httpx.get(base + PATH, headers=headers, timeout=30)
            starting_at = time.monotonic()
            cluster.start()
            restarted_at = time.monotonic()
            time.sleep(3)
            stop.set()
            for thread in clients:
                thread.join(30)
    finally:
        cluster.destroy()

    assert away.status_code == 503
    assert away.json()["message"] == "数据库暂时无法访问，请稍后重试"
    assert away.headers["Retry-After"] == "5"
    statuses = {status for _, status, _ in seen}
    assert statuses <= {200, 503}, statuses  # never a 500
    assert max(seconds for _, _, seconds in seen) < 5
    during = [status for started, status, _ in seen if stopped_at + 0.5 < started < starting_at]
    assert during and set(during) == {503}
    # back without a restart: every request started a second after the database came back succeeded
    after = [status for started, status, _ in seen if started > restarted_at + 1]
    assert after and set(after) == {200}
