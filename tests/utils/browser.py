"""Browser-test helpers: move the map, show a theme and wait for it, click where a point is on the map."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from layers.catalog import registry
from web_map.settings import MapSettings

if TYPE_CHECKING:
    from tests.web_map.conftest import PageWatch

CENTER = (122.73, 40.85)  # the browser tests' map centre, where the seed's features lie
LON, LAT = CENTER


def zoom_to(web: PageWatch, zoom: int = 15) -> None:
    web.page.evaluate(f"HC.map.setView([{LAT}, {LON}], {zoom}, {{animate: false}})")


def drawn(web: PageWatch, theme: str) -> int:
    names = [s.name for s in registry() if s.theme == theme]
    return web.page.evaluate("names => names.reduce((n, l) => n + HC.layers.count(l), 0)", names)


def show_theme(web: PageWatch, theme: str) -> None:
    box = web.page.locator(f'input[data-theme="{theme}"]')
    if not box.is_checked():
        box.check()
    names = [s.name for s in registry() if s.theme == theme]
    web.page.wait_for_function("names => names.reduce((n, l) => n + HC.layers.count(l), 0) > 0", arg=names,
                               timeout=10000)
    web.page.wait_for_load_state("networkidle")


def click_at(web: PageWatch, lon: float, lat: float) -> None:
    """A real mouse click where (lon, lat) is on the map now."""
    point = web.page.evaluate("ll => { const p = HC.map.latLngToContainerPoint(ll); return [p.x, p.y]; }", [lat, lon])
    box = web.page.locator(".folium-map").bounding_box()
    web.page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def click_until(web: PageWatch, lon: float, lat: float, selector: str, tries: int = 5) -> None:
    """Click (lon, lat) until ``selector`` shows: a vector tile's features answer a click only once the
    tile is drawn, which a loaded machine may not have done when the theme's requests have ended."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(tries - 1):
        click_at(web, lon, lat)
        try:
            web.page.wait_for_selector(selector, timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    click_at(web, lon, lat)
    web.page.wait_for_selector(selector)


def download(web: PageWatch) -> tuple[str, bytes]:
    """Press 导出 in the open export dialog of the layer list; the file's name and bytes once it is done."""
    with web.page.expect_download() as info:
        web.page.click('#hc-dialog [data-action="export"]')
    file = info.value
    web.page.wait_for_selector("#hc-export-status[data-done]")
    return file.suggested_filename, Path(file.path()).read_bytes()


@pytest.fixture
def phone(browser: Any, live_server: str, phone_position: dict[str, float]) -> Iterator[PageWatch]:
    """A phone (390×844, touch) signed in as boundary_surveyor, its device position allowed and set to the
    test module's ``phone_position`` ({"longitude", "latitude"[, "accuracy"]}); back online and checked clean
    at the end (served to the browser tests by tests/web_map/conftest.py)."""
    from tests.web_map.conftest import PageWatch, new_context, sign_in

    context = new_context(browser, viewport={"width": 390, "height": 844}, has_touch=True,
                          permissions=["geolocation"], geolocation=phone_position)
    page = context.new_page()
    sign_in(page, live_server, "boundary_surveyor")
    watch = PageWatch(page, live_server)
    yield watch
    context.set_offline(False)
    context.close()
    watch.assert_clean()


def print_sheet(web: Any, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Print the view as an A4 PDF; returns the body sent to /api/print and the sheet's words."""
    web.page.click(".hc-print-button")
    web.page.locator(".hc-print-form").wait_for()
    with web.page.expect_request("**/api/print") as sent, web.page.expect_download() as download:
        web.page.click(".hc-print-dialog .hc-primary")
    web.page.locator(".hc-print-status[data-done='1']").wait_for()
    web.page.locator(".hc-print-dialog button", has_text="关闭").click()
    path = tmp_path / "sheet.pdf"
    download.value.save_as(path)
    words = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return json.loads(sent.value.post_data or "{}"), "".join(words.split())


def show_tiles(web: PageWatch, *layers: str) -> None:
    """Turn vector-tile layers on and wait until their tiles are drawn."""
    for name in layers:
        web.page.evaluate("n => HC.layers.setVisible(n, true)", name)
    web.page.wait_for_function("HC.layers.pending() === 0")
    assert web.page.locator(".leaflet-tile-container canvas").count() > 0


@pytest.fixture
def builtin_basemap(live_app: Any) -> Iterator[None]:
    """The server as installed with no 天地图 key and no tile URL: the built-in basemap is the default."""
    before = live_app.state.map_settings
    live_app.state.map_settings = MapSettings(_env_file=None, tianditu_key=None, xyz_url=None)
    yield
    live_app.state.map_settings = before
