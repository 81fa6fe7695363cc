"""The viewer's map (issue 16 items 2 and 8), as a person uses it: sign in → the map on the built-in offline
basemap → find a place name → its township and village outlined → a point's name at z15 → open the record →
export a layer from the layer list. No JS error, no request beyond 127.0.0.1 (checked by ``as_role``)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from layers.geometry import HAICHENG_EXTENT
from tests.exports.readback import read_back
from tests.utils.browser import builtin_basemap, download  # noqa: F401  (builtin_basemap: a fixture)
from web_map.builder import POINT_LABEL_MIN_ZOOM
from web_map.settings import MapSettings


def test_with_a_tianditu_key_tianditu_is_the_default(live_app: Any, api: httpx.Client) -> None:
    before = live_app.state.map_settings
    live_app.state.map_settings = MapSettings(_env_file=None, tianditu_key="k-test", xyz_url=None)
    try:
        html = api.get("/").text
    finally:
        live_app.state.map_settings = before
    config = json.loads(re.search(r"HC\.start\([^,]+, (\{.*?\})\);", html, re.S).group(1))
    assert config["basemap"] == "tianditu_vec"
    assert [b["id"] for b in config["basemaps"]][:1] == ["tianditu_vec"]
    assert "builtin" in [b["id"] for b in config["basemaps"]]


def test_on_a_phone_the_county_fits_and_the_panel_is_closed(as_role: Any) -> None:
    web = as_role("viewer", (390, 844))
    web.open()
    west, south, east, north = web.page.evaluate(
        "(() => { const b = HC.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    assert west <= HAICHENG_EXTENT[0] and south <= HAICHENG_EXTENT[1]
    assert east >= HAICHENG_EXTENT[2] and north >= HAICHENG_EXTENT[3]
    assert web.page.evaluate("HC.map.getZoom()") == 9  # the largest zoom that holds it at 390 px
    assert not web.page.locator("#hc-panel").is_visible()
    web.shot("j20-viewer-phone")


def test_on_a_tablet_the_panel_is_closed_on_load(as_role: Any) -> None:
    web = as_role("viewer", (900, 700))
    web.open()
    assert not web.page.locator("#hc-panel").is_visible()
    web.page.click("#hc-btn-layers")
    assert web.page.locator("#hc-panel").is_visible()


def panel_share(web: Any) -> float:
    """The share of the map's area the open layer panel covers."""
    return web.page.evaluate("""(() => {
        const p = document.getElementById('hc-panel').getBoundingClientRect();
        const m = HC.map.getContainer().getBoundingClientRect();
        return (p.width * p.height) / (m.width * m.height); })()""")


def test_the_viewers_journey(as_role: Any, builtin_basemap: None, seed: dict[str, int]) -> None:  # noqa: F811
    web = as_role("viewer")  # signed in through the login page
    basemap_answers: list[tuple[int, str]] = []
    web.page.on("response", lambda r: basemap_answers.append((r.status, r.headers.get("content-type", "")))
                if "/basemap/" in r.url else None)
    web.open()
    page = web.page

    # the map on the built-in basemap, chosen by default, its tiles from this server
    assert page.evaluate("HC.config.basemap") == "builtin"
    assert page.locator('input[name="hc-basemap"][value="builtin"]').is_checked()
    page.wait_for_function("document.querySelectorAll('img.leaflet-tile-loaded[src^=\"/basemap/\"],"
                           " img.leaflet-tile-loaded[src*=\"127.0.0.1\"][src*=\"/basemap/\"]').length >= 4")
    assert basemap_answers and all(answer == (200, "image/png") for answer in basemap_answers)
    # the layer panel is open on a desktop but leaves the map alone: at most 1/6 of it (here ≈ 1/8)
    assert page.locator("#hc-panel").is_visible()
    share = panel_share(web)
    assert 0.08 < share <= 1 / 6, share

    # find a settlement: the map zooms to it, outlines its township and its village
    page.fill("#hc-search-input", "示例村")
    page.press("#hc-search-input", "Enter")
    page.wait_for_function("document.querySelector('.hc-search-hit, #hc-search-results li')")
    if not page.locator(".hc-search-hit").count():  # several answers: pick the seeded one
        page.click(f'#hc-search-results li[data-id="{seed["place_names"]}"]')
    page.wait_for_selector("path.hc-search-townships")
    page.wait_for_selector("path.hc-search-villages")
    assert page.locator("path.hc-search-townships").count() == 1
    assert page.locator("path.hc-search-villages").count() == 1
    assert page.evaluate("HC.map.getZoom()") == POINT_LABEL_MIN_ZOOM == 15
    outlined = page.evaluate("""(() => { const out = {};
        HC.map.eachLayer(l => { if (l.feature && l.options.className && l.options.className.includes('hc-search-unit'))
          out[l.options.className.split(' ').pop()] = l.feature.properties.name; });
        return out; })()""")
    assert outlined == {"hc-search-townships": "示例街道", "hc-search-villages": "样板村"}
    # the basemap writes township and village names: the map's own labels of them are not shown twice
    assert page.evaluate("HC.layers.labels('townships')") >= 1
    assert page.locator(".hc-label-major:visible, .hc-label-minor:visible").count() == 0

    # shelters on: their names show at z15, not at z14
    page.check('input[data-layer="shelters"]')
    page.wait_for_function("HC.layers.pending() === 0 && HC.layers.count('shelters') > 0")
    label = page.locator(".hc-label-point", has_text="示例避难场所")
    label.wait_for()
    assert label.is_visible()
    page.evaluate("HC.map.setZoom(14, {animate: false})")
    page.wait_for_function("HC.layers.pending() === 0")
    assert page.locator(".hc-label-point").count() == 0
    page.evaluate("HC.map.setZoom(15, {animate: false})")
    label.wait_for()
    web.shot("j20-viewer-journey")

    # open the record from its marker's popup
    point = page.evaluate(f"""(() => {{
        const m = HC.layers.leafletLayer('shelters').getLayers().find(l => l.feature.id === {seed["shelters"]});
        const p = HC.map.latLngToContainerPoint(m.getLatLng()), r = HC.map.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }})()""")
    page.mouse.click(*point)
    link = page.locator(f'.hc-popup[data-id="{seed["shelters"]}"] a[href*="/shelters/{seed["shelters"]}"]')
    link.wait_for()
    record = as_role("viewer")
    record.page.goto(record.base + link.get_attribute("href"))
    record.page.wait_for_function("document.getElementById('hc-feature-title').textContent.includes('示例避难场所')")

    # export shelters in the view from the layer list
    page.click('[data-export="shelters"]')
    page.wait_for_selector("#hc-dialog .hc-export")
    name, content = download(web)
    assert name == "应急避难场所.xlsx"
    _, rows = read_back("xlsx", content)
    assert seed["shelters"] in [r["id"] for r in rows]
