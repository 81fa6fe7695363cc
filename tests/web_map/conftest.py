"""Fixtures for the browser tests: a database of their own, a real uvicorn server, Chromium.

The browser tests commit rows, so they get a separate database (``gis_browser``) on the session's
throwaway cluster; the other tests keep an empty main test database. Nothing is overridden: the
server signs people in as in production, one account per role named after it (password
``tests.conftest.PASSWORD``), and every page is opened by a browser that signed in through the
real login page (``as_role("funeral_planner")``: an HttpOnly session cookie and the CSRF cookie).
The ``api`` client (seeding, checking) uses an administrator's Bearer token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from gis_server.app import create_app
from gis_server.settings import PROJECT_ROOT, Settings
from tests.conftest import PASSWORD
from tests.utils.accounts import ADMIN_CASE_OFFICE, create_role_accounts
from tests.utils.browser import CENTER, phone  # noqa: F401 (the phone fixture, for every browser test)
from tests.utils.database import committed_database
from tests.utils.live_server import serving
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
    with committed_database(database_url, BROWSER_DB) as url:
        engine = create_engine(url)
        with engine.begin() as conn:  # one account per role, named after it, and admin + case office
            create_role_accounts(conn, PASSWORD)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def live_app(browser_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app the live server runs (a test may swap ``app.state.map_settings`` for a while)."""
    install()  # the vendor folder (fast when current)
    app = create_app(Settings(environment="test", database_url=browser_database_url, _env_file=None,
                              data_dir=tmp_path_factory.mktemp("browser-data")))
    app.state.map_settings = MapSettings(_env_file=None, basemap="none", tianditu_key=None, xyz_url=None)
    return app


@pytest.fixture(scope="session")
def live_server(live_app: Any) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread, until the session ends."""
    with serving(live_app) as base:
        yield base


def token(base: str, username: str) -> dict[str, str]:
    """Bearer headers for ``username`` (POST /api/auth/token)."""
    response = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=20)
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["access_token"]}


@pytest.fixture(scope="session")
def api(live_server: str) -> Iterator[httpx.Client]:
    """The API as the administrator with the case office (Bearer token): seeds and checks what the pages did."""
    with httpx.Client(base_url=live_server, timeout=20, headers=token(live_server, ADMIN_CASE_OFFICE)) as client:
        yield client


@pytest.fixture(scope="session")
def browser_db(browser_database_url: str) -> Iterator[Any]:
    """An engine on gis_browser, for what the API cannot do (e.g. mark a row as demo data)."""
    engine = create_engine(browser_database_url)
    yield engine
    engine.dispose()


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


@pytest.fixture(scope="session")
def seed(api: httpx.Client) -> dict[str, int]:
    """A few hand-made features of every theme around the map's centre (committed in gis_browser)."""
    lon, lat = CENTER
    ids = {
        "townships": _create(api, "townships", _square(lon - 0.03, lat - 0.03, 0.06), code="210381001",
                             name="示例街道", kind="subdistrict"),
        # two villages of it: the seed's features (and the gazetteer tests' names) lie in 样板村, west of
        # the centre, or in 东邻村 (south-east); the record pages' small maps name them
        "villages": _create(api, "villages", _square(lon - 0.026, lat - 0.02, 0.04), code="210381001001",
                            name="样板村", township_code="210381001", kind="village"),
        "neighbour_village": _create(api, "villages", _square(lon + 0.014, lat - 0.02, 0.016), code="210381001002",
                                     name="东邻村", township_code="210381001", kind="village"),
        "place_names": _create(api, "place_names", _pt(lon - 0.004, lat + 0.004), name="示例村", class_code="06100"),
        "boundary_lines": _create(api, "boundary_lines", _line((lon - 0.02, lat + 0.01), (lon + 0.02, lat + 0.01)),
                                  name="示例界线", line_level="township", side_a="甲镇", side_b="乙镇"),
        "shelters": _create(api, "shelters", _pt(lon + 0.004, lat + 0.002), name="示例避难场所",
                            shelter_type="emergency"),
        "care_facilities": _create(api, "care_facilities", _pt(lon - 0.004, lat - 0.003), name="示例幸福院",
                                   facility_type="happiness_home"),
        "community_service_centers": _create(api, "community_service_centers", _pt(lon - 0.015, lat - 0.012),
                                             name="样板村党群服务中心", service_type="village_service_center"),
        "cemeteries": _create(api, "cemeteries", _square(lon + 0.006, lat - 0.008, 0.003), name="示例公墓",
                              cemetery_type="village_public", status="existing"),
        "scattered_graves": _create(api, "scattered_graves", _pt(lon + 0.002, lat - 0.004)),
        "roads": _create(api, "roads", _line((lon - 0.03, lat - 0.001), (lon + 0.03, lat - 0.001)), name="示例公路",
                         road_class="national"),
        "households": _create(api, "households", _pt(lon - 0.002, lat + 0.001), head_name="示例户",
                              categories=["dibao"]),
        # a household with a child under 14: only the case office may see it, on any map
        "child_household": _create(api, "households", _pt(lon + 0.0015, lat + 0.0025), head_name="儿童户",
                                   categories=["left_behind_child"], has_child_under_14=True),
        # features that scenarios change for good (retire/restore, reshape), apart from the others
        "grave_to_retire": _create(api, "scattered_graves", _pt(lon - 0.006, lat - 0.006)),
        "cemetery_to_reshape": _create(api, "cemeteries", _square(lon - 0.012, lat + 0.004, 0.004),
                                       name="待改形公墓", cemetery_type="village_public", status="planned"),
    }
    ids["boundary_markers"] = _create(api, "boundary_markers", _pt(lon, lat + 0.01), line_id=ids["boundary_lines"],
                                      number="001", marker_type="single")
    return ids


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make system-packages)")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


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


def new_context(browser: Any, **options: Any) -> Any:
    options.setdefault("viewport", {"width": 1280, "height": 800})
    return browser.new_context(locale="zh-CN", **options)


def sign_in(page: Any, base: str, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """Through the login page, as a person does; ends on ``next_path``."""
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(f"{base}{next_path}")


class Roles:
    """Browser contexts signed in through the login page, one per role (and viewport), kept for the session."""

    def __init__(self, browser: Any, base: str):
        self.browser, self.base = browser, base
        self.contexts: dict[tuple[str, str], Any] = {}
        self.pages: list[PageWatch] = []

    def page(self, role: str, viewport: tuple[int, int] = (1280, 800)) -> PageWatch:
        key = (role, "x".join(map(str, viewport)))
        if key not in self.contexts:
            context = new_context(self.browser, viewport={"width": viewport[0], "height": viewport[1]},
                                  has_touch=viewport[0] < 700)
            page = context.new_page()
            sign_in(page, self.base, role)
            page.close()
            self.contexts[key] = context
        watch = PageWatch(self.contexts[key].new_page(), self.base)
        self.pages.append(watch)
        return watch

    def close_pages(self) -> None:
        for watch in self.pages:
            watch.page.close()
        self.pages.clear()


@pytest.fixture(scope="session")
def roles(browser: Any, live_server: str, seed: dict[str, int]) -> Iterator[Roles]:
    out = Roles(browser, live_server)
    yield out
    for context in out.contexts.values():
        context.close()


@pytest.fixture
def as_role(roles: Roles) -> Iterator[Any]:
    """``as_role("viewer")`` → a fresh page of a browser signed in as viewer; checked clean afterwards."""
    yield roles.page
    pages = list(roles.pages)
    roles.close_pages()
    for watch in pages:
        watch.assert_clean()


@pytest.fixture
def web(as_role: Any) -> PageWatch:
    """A page signed in as the administrator who also holds the case office (reads and writes every layer;
    an admin as such reads no household, issue 14)."""
    return as_role(ADMIN_CASE_OFFICE)
