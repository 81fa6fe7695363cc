"""Browser-test helpers: move the map, show a theme and wait for it, click where a point is on the map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from layers.catalog import registry

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
