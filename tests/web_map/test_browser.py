"""The map in Chromium: loads clean, every theme draws, edit and reload, the 412 dialog, drawing.

Every page is signed in through the login page (``web`` = admin, ``as_role(role)`` = that role), so
writes from the page also prove the session cookie + CSRF header work. Each scenario saves a
screenshot under test-output/browser/. Every test also asserts zero JS errors and zero requests
that leave 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from layers.catalog import THEMES
from tests.utils.browser import click_at, click_until, drawn, show_theme, zoom_to
from tests.web_map.conftest import CENTER, OUTPUT, PageWatch
from web_map.settings import MapSettings

LON, LAT = CENTER


def open_popup(web: PageWatch, layer: str) -> None:
    web.page.locator(f"path.hc-f-{layer}").first.click()
    web.page.wait_for_selector(".hc-popup")


def test_page_loads_clean(web: PageWatch) -> None:
    web.open()
    web.page.wait_for_load_state("networkidle")
    assert web.page.locator("html").get_attribute("lang") == "zh-CN"
    assert drawn(web, "行政区划") > 0  # admin units are on from the start
    assert web.page.locator("input[data-theme]").count() == len(THEMES)
    assert "海城民政一张图" in web.page.title()
    web.shot("01-page-loads")


def outline_requests(web: PageWatch) -> list[str]:
    """Start listing the page's requests for the township and village outlines (either source)."""
    seen: list[str] = []
    web.page.on("request", lambda r: seen.append(r.url) if any(
        part in r.url for part in ("/api/outlines/", "/api/layers/villages/", "/api/layers/townships/")) else None)
    return seen


def test_county_outlines_come_in_one_request_per_zoom(web: PageWatch) -> None:
    """Up to zoom 13 the map draws the townships and villages from /api/outlines (the whole county,
    simplified for the zoom: issue 21, the villages by viewport were 740 kB on the first map), and a
    move at the same zoom asks for nothing; closer in they come by viewport again."""
    seen = outline_requests(web)
    web.open()
    web.page.wait_for_function("HC.layers.count('villages') > 0 && HC.layers.count('townships') > 0 "
                               "&& HC.layers.pending() === 0")
    zoom = web.page.evaluate("HC.map.getZoom()")
    assert sorted(u.split("/api/", 1)[1] for u in seen) == [f"outlines/townships?z={zoom}",
                                                            f"outlines/villages?z={zoom}"]
    # a timer set after the move, longer than the reload's debounce, fires after it: the reload has run
    web.page.evaluate("ms => { HC.map.panBy([200, 120], {animate: false}); "
                      "return new Promise(done => setTimeout(done, ms)); }", 2 * MapSettings().bbox_debounce_ms)
    web.page.wait_for_load_state("networkidle")
    assert len(seen) == 2  # the same zoom: nothing asked again
    with web.page.expect_request(lambda r: "/api/layers/villages/features?bbox=" in r.url):  # closer in
        zoom_to(web, 15)
    assert not any("/api/outlines/" in u for u in seen[2:]), seen


@pytest.mark.parametrize("theme", THEMES)
def test_each_theme_toggles_and_draws(web: PageWatch, theme: str) -> None:
    web.open()
    zoom_to(web, 14)
    show_theme(web, theme)
    assert drawn(web, theme) > 0
    web.shot(f"02-theme-{THEMES.index(theme)}")
    web.page.locator(f'input[data-theme="{theme}"]').uncheck()
    assert drawn(web, theme) == 0


def test_edit_feature_and_reload(as_role: Any, api: httpx.Client, seed: dict[str, int]) -> None:
    web = as_role("case_worker")  # care facilities are written by the case office
    web.open()
    zoom_to(web)
    show_theme(web, "养老与福利设施")
    open_popup(web, "care_facilities")
    web.page.click('.hc-popup button[data-act="edit"]')
    web.page.fill('.hc-edit-dialog input[name="name"]', "示例幸福院（已改）")
    web.page.fill('.hc-edit-dialog input[name="beds"]', "24")
    web.page.fill('.hc-edit-dialog input[name="__reason"]', "浏览器测试")
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-toast-ok")
    web.shot("03-edit-saved")
    web.open()
    zoom_to(web)
    show_theme(web, "养老与福利设施")
    open_popup(web, "care_facilities")
    assert web.page.locator(".hc-popup h3").inner_text() == "示例幸福院（已改）"
    web.shot("04-edit-after-reload")
    saved = api.get(f"/api/layers/care_facilities/features/{seed['care_facilities']}").json()
    assert saved["properties"]["beds"] == 24


def test_conflict_dialog(web: PageWatch, api: httpx.Client, seed: dict[str, int]) -> None:
    web.open()
    zoom_to(web)
    show_theme(web, "应急避难场所")
    open_popup(web, "shelters")
    web.page.click('.hc-popup button[data-act="edit"]')
    web.page.wait_for_selector('.hc-edit-dialog input[name="name"]')
    url = f"/api/layers/shelters/features/{seed['shelters']}"
    current = api.get(url)
    behind = api.patch(url, headers={"If-Match": current.headers["etag"]}, json={"properties": {"capacity": 500}})
    assert behind.status_code == 200, behind.text
    web.page.fill('.hc-edit-dialog input[name="name"]', "示例避难场所（页面修改）")
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-conflict-title")
    assert web.page.locator(".hc-conflict-title").inner_text() == "此要素已被他人修改"
    web.shot("05-conflict-412")
    web.page.click('button[data-action="reapply"]')  # reload the latest version, keep my change
    web.page.wait_for_selector('.hc-edit-dialog input[name="name"]')
    assert web.page.input_value('.hc-edit-dialog input[name="name"]') == "示例避难场所（页面修改）"
    assert web.page.input_value('.hc-edit-dialog input[name="capacity"]') == "500"
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-toast-ok")
    final = api.get(url).json()["properties"]
    assert final["name"] == "示例避难场所（页面修改）" and final["capacity"] == 500


def test_draw_new_point(web: PageWatch, api: httpx.Client) -> None:
    web.open()
    zoom_to(web)
    web.page.click("#hc-btn-new")
    web.page.click('button[data-new-layer="shelters"]')
    box = web.page.locator(".folium-map").bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6
    web.page.mouse.move(x - 20, y - 20)
    web.page.mouse.move(x, y, steps=5)
    web.shot("06-draw-mode")
    web.page.mouse.click(x, y)
    web.page.wait_for_selector('.hc-edit-dialog input[name="name"]')
    web.page.fill('.hc-edit-dialog input[name="name"]', "新画的避难场所")
    web.page.select_option('.hc-edit-dialog select[name="shelter_type"]', "fixed")
    web.shot("06-draw-form")
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-toast-ok")
    web.page.wait_for_function("HC.layers.count('shelters') >= 2")
    web.shot("07-draw-saved")
    found = api.get("/api/layers/shelters/features", params={"name": "新画的避难场所"}).json()
    assert found["numberReturned"] == 1
    assert found["features"][0]["properties"]["shelter_type"] == "fixed"


def test_geometry_error_is_shown_where_it_is(web: PageWatch) -> None:
    web.open()
    zoom_to(web)
    web.page.evaluate("loc => HC.edit.showGeometryError({message: '几何无效：自相交', location: loc})", [LON, LAT])
    assert web.page.locator("path.hc-geom-error").count() == 1
    assert "自相交" in web.page.locator(".hc-error-tip").inner_text()


# whether the element of the first selector lies in a map pane above that of the second
ABOVE = """([a, b]) => {
  const z = s => Number(document.querySelector(s).closest('.leaflet-pane:not(.leaflet-map-pane)').style.zIndex);
  return z(a) > z(b);
}"""


def test_feature_page(web: PageWatch, as_role: Any, seed: dict[str, int]) -> None:
    web.page.goto(f"{web.base}/features/cemeteries/{seed['cemeteries']}")
    web.page.wait_for_selector("#hc-history li")
    assert web.page.locator("#hc-feature-title").inner_text() == "示例公墓"
    assert "农村公益性墓地" in web.page.locator("#hc-attrs").inner_text()
    # no basemap: the small map shows the township and village outlines around, with their names
    small = web.page.locator("#hc-small-map[data-context='ready']")
    small.wait_for()
    assert small.locator("path.hc-subject").count() == 1  # the cemetery itself
    assert small.locator("path.hc-ctx-townships.hc-ctx-here").count() == 1
    assert small.locator("path.hc-ctx-villages.hc-ctx-here").count() == 1  # 样板村, not 东邻村
    assert small.locator("path.hc-ctx-villages").count() == 2
    assert small.locator(".hc-ctx-where").inner_text() == "中心位于：示例街道 · 样板村"
    assert "样板村" in small.locator(".hc-ctx-label-villages").all_text_contents()
    assert "示例街道" in small.locator(".hc-ctx-label-townships:not(.hc-ctx-hidden)").all_inner_texts()
    assert small.locator(".leaflet-control-scale-line").inner_text().endswith(("m", "km"))
    # the record is drawn above the outlines and their names
    assert web.page.evaluate(ABOVE, ["#hc-small-map path.hc-subject", "#hc-small-map path.hc-ctx-here"])
    assert web.page.evaluate(ABOVE, ["#hc-small-map path.hc-subject", "#hc-small-map .hc-ctx-label"])
    web.shot("08-feature-page")
    web.page.locator("#hc-small-map").screenshot(path=str(OUTPUT / "08-feature-page-map.png"))
    phone = as_role("admin", (390, 844))
    phone.page.goto(f"{phone.base}/features/cemeteries/{seed['cemeteries']}")
    phone.page.wait_for_selector("#hc-small-map[data-context='ready'] path.hc-ctx-villages.hc-ctx-here")
    phone.page.locator("#hc-small-map").scroll_into_view_if_needed()
    phone.shot("08-feature-page-phone")


def test_vector_tile_popup(web: PageWatch) -> None:
    web.open()
    zoom_to(web, 16)
    show_theme(web, "困难群众户")
    click_at(web, LON - 0.002, LAT + 0.001)
    web.page.wait_for_selector(".hc-popup")
    assert "困难群众户" in web.page.locator(".hc-popup").inner_text()
    web.shot("09-vector-tile-popup")


def test_edit_scattered_grave_as_funeral_planner(as_role: Any, api: httpx.Client, seed: dict[str, int]) -> None:
    """A vector-tile feature edited from its popup by the role that owns the layer (cookie + CSRF)."""
    web = as_role("funeral_planner")
    web.open()
    zoom_to(web, 16)
    show_theme(web, "公墓与散坟")
    click_until(web, LON + 0.002, LAT - 0.004, '.hc-popup button[data-act="edit"]')
    # a grave is titled by its layer, its status's label and its number, never by a raw code (issue 16 item 3)
    assert web.page.locator(".hc-popup h3").first.inner_text() == f"散坟：待迁移（编号 {seed['scattered_graves']}）"
    web.page.click('.hc-popup button[data-act="edit"]')
    web.page.fill('.hc-edit-dialog input[name="grave_count"]', "3")
    web.page.fill('.hc-edit-dialog input[name="__reason"]', "现场核实")
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-toast-ok")
    web.shot("10-edit-grave-funeral-planner")
    saved = api.get(f"/api/layers/scattered_graves/features/{seed['scattered_graves']}").json()["properties"]
    assert saved["grave_count"] == 3 and saved["updated_by"] == "funeral_planner"


def drawn_marker_count(web: PageWatch) -> int:
    """Markers Geoman put on the map (a point being drawn); the layers' own points are circle markers."""
    return web.page.locator(".leaflet-marker-pane .leaflet-marker-icon").count()


@pytest.mark.parametrize("how", ["close", "escape"])
def test_closing_the_new_feature_form_drops_the_drawing(web: PageWatch, how: str) -> None:
    web.open()
    zoom_to(web)
    web.page.click("#hc-btn-new")
    web.page.click('button[data-new-layer="shelters"]')
    box = web.page.locator(".folium-map").bounding_box()
    web.page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    web.page.wait_for_selector('.hc-edit-dialog input[name="name"]')
    assert drawn_marker_count(web) == 1
    if how == "close":
        web.page.click("#hc-dialog .hc-close")
    else:
        web.page.keyboard.press("Escape")
    assert web.page.locator("#hc-dialog").is_hidden()
    assert drawn_marker_count(web) == 0
    assert web.page.evaluate("HC.mode.current()") is None and web.page.locator("#hc-bar-float").is_hidden()
    web.page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)  # no longer drawing
    assert drawn_marker_count(web) == 0 and web.page.locator("#hc-dialog").is_hidden()
    web.shot(f"11-new-feature-closed-{how}")


def test_new_place_name_is_registered_on_the_gazetteer_page(web: PageWatch) -> None:
    """Not a raw form (status, codes): the layer chooser leads to the registration of a proposed name."""
    web.open()
    web.page.click("#hc-btn-new")
    item = web.page.locator('#hc-dialog [data-new-layer="place_names"]')
    assert "地名管理" in item.inner_text()
    web.shot("12-new-feature-choose")
    item.click()
    web.page.wait_for_url("**/place-names#pn-new")
    web.page.wait_for_function("document.activeElement && document.activeElement.id === 'pn-new-name'")
    field = web.page.locator("#pn-new-name").bounding_box()
    bar = web.page.locator(".hc-bar").bounding_box()
    assert bar["height"] <= field["y"] and field["y"] + field["height"] <= 800  # in view, not under the bar
