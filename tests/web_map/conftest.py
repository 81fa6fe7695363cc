"""Fixtures for the browser tests: a database of their own, a real uvicorn server, Chromium.

The browser tests commit rows, so they get a separate database (``gis_browser``) on the session's
throwaway cluster; the other tests keep an empty main test database. Sign-in is not what these
tests are about: the acting user is an administrator (dependency override).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gis_server.app import create_app
from gis_server.cluster import EXTENSIONS
from gis_server.deps import get_current_actor
from gis_server.migrate import upgrade
from gis_server.settings import PROJECT_ROOT, Settings
from layers.features import Actor
from layers.roles import ADMIN
from tests.utils.database import free_port
from web_map.assets import install
from web_map.settings import MapSettings

OUTPUT = PROJECT_ROOT / "test-output" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
BROWSER_DB = "gis_browser"


@pytest.fixture(scope="session")
def browser_database_url(database_url: str) -> Iterator[str]:
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BROWSER_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BROWSER_DB}"'))
    url = make_url(database_url).set(database=BROWSER_DB).render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for ext in EXTENSIONS:
            conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
    engine.dispose()
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BROWSER_DB}" WITH (FORCE)'))
    admin.dispose()


def _admin(request: Request) -> Actor:
    return Actor("浏览器测试", frozenset({ADMIN}), request.client.host if request.client else None)


@pytest.fixture(scope="session")
def live_server(browser_database_url: str) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread, until the session ends."""
    install()  # the vendor folder (fast when current)
    app = create_app(Settings(environment="test", database_url=browser_database_url, _env_file=None))
    app.dependency_overrides[get_current_actor] = _admin
    app.state.map_settings = MapSettings(_env_file=None, basemap="none", tianditu_key=None, xyz_url=None)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=20) as client:
        yield client


def _create(api: httpx.Client, layer: str, geometry: dict[str, Any], **properties: Any) -> int:
    response = api.post(f"/api/layers/{layer}/features",
                        json={"type": "Feature", "geometry": geometry, "properties": properties})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _square(lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _pt(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _line(*coords: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


CENTER = (122.73, 40.85)


@pytest.fixture(scope="session")
def seed(api: httpx.Client) -> dict[str, int]:
    """A few hand-made features of every theme around the map's centre (committed in gis_browser)."""
    lon, lat = CENTER
    ids = {
        "townships": _create(api, "townships", _square(lon - 0.03, lat - 0.03, 0.06), code="210381001",
                             name="示例街道", kind="subdistrict"),
        "place_names": _create(api, "place_names", _pt(lon - 0.004, lat + 0.004), name="示例村", class_code="12100"),
        "boundary_lines": _create(api, "boundary_lines", _line((lon - 0.02, lat + 0.01), (lon + 0.02, lat + 0.01)),
                                  name="示例界线", line_level="township", side_a="甲镇", side_b="乙镇"),
        "shelters": _create(api, "shelters", _pt(lon + 0.004, lat + 0.002), name="示例避难场所",
                            shelter_type="emergency"),
        "care_facilities": _create(api, "care_facilities", _pt(lon - 0.004, lat - 0.003), name="示例幸福院",
                                   facility_type="happiness_home"),
        "cemeteries": _create(api, "cemeteries", _square(lon + 0.006, lat - 0.008, 0.003), name="示例公墓",
                              cemetery_type="village_public", status="existing"),
        "scattered_graves": _create(api, "scattered_graves", _pt(lon + 0.002, lat - 0.004)),
        "roads": _create(api, "roads", _line((lon - 0.03, lat - 0.001), (lon + 0.03, lat - 0.001)), name="示例公路",
                         road_class="national"),
        "households": _create(api, "households", _pt(lon - 0.002, lat + 0.001), head_name="示例户",
                              categories=["dibao"]),
    }
    ids["boundary_markers"] = _create(api, "boundary_markers", _pt(lon, lat + 0.01), line_id=ids["boundary_lines"],
                                      number="001", marker_type="single")
    return ids


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make system-packages)")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 800}, locale="zh-CN")
        yield context
        context.close()


class PageWatch:
    """A page plus what went wrong on it: JS errors and requests that left 127.0.0.1."""

    def __init__(self, page: Any, base: str):
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.external: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith("http://127.0.0.1:") or url.startswith(("data:", "blob:", "about:"))):
            self.external.append(url)

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_function("window.HC && HC.ready === true")

    def shot(self, name: str) -> Path:
        path = OUTPUT / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.external == [], self.external


@pytest.fixture
def web(browser_context: Any, live_server: str, seed: dict[str, int]) -> Iterator[PageWatch]:
    page = browser_context.new_page()
    watch = PageWatch(page, live_server)
    yield watch
    page.close()
    watch.assert_clean()
