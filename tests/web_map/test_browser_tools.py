"""More scenarios in Chromium, each signed in as the role that does it in daily work: retire and
restore, drawing a line and a polygon, moving a vertex, measuring, the cursor coordinates, the phone
layout, demo data labels, and finding a place name. Screenshots under test-output/browser/.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import httpx
from pyproj import Transformer
from sqlalchemy import text

from tests.utils.browser import click_at, show_theme, zoom_to
from tests.web_map.conftest import CENTER, OUTPUT, PageWatch

LON, LAT = CENTER
TO_4550 = Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)


def map_box(web: PageWatch) -> dict[str, float]:
    return web.page.locator(".folium-map").bounding_box()


def latlng_at(web: PageWatch, x: float, y: float) -> tuple[float, float]:
    """(lon, lat) of a container point, as the map computes it."""
    ll = web.page.evaluate("p => { const l = HC.map.containerPointToLatLng(p); return [l.lng, l.lat]; }", [x, y])
    return ll[0], ll[1]


def click_container(web: PageWatch, x: float, y: float) -> None:
    box = map_box(web)
    web.page.mouse.click(box["x"] + x, box["y"] + y)


def fill_required(web: PageWatch, values: dict[str, str]) -> None:
    """Fill the new-feature form: text inputs by name, selects by value."""
    form = ".hc-edit-dialog"
    web.page.wait_for_selector(f"{form} .hc-form")
    for name, value in values.items():
        if web.page.locator(f'{form} select[name="{name}"]').count():
            web.page.select_option(f'{form} select[name="{name}"]', value)
        else:
            web.page.fill(f'{form} [name="{name}"]', value)


# --- retire, history, restore ---------------------------------------------------------------------

def test_retire_with_reason_then_restore_from_history(as_role: Any, api: httpx.Client, seed: dict[str, int]) -> None:
    web = as_role("funeral_planner")
    fid, lon, lat = seed["grave_to_retire"], LON - 0.006, LAT - 0.006
    web.open()
    web.page.evaluate(f"HC.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    show_theme(web, "公墓与散坟")
    web.page.wait_for_function("HC.layers.pending() === 0")
    before = web.page.evaluate("HC.layers.count('scattered_graves')")
    click_at(web, lon, lat)
    web.page.wait_for_selector(f'.hc-popup[data-id="{fid}"] button[data-act="retire"]')
    web.page.click('.hc-popup button[data-act="retire"]')
    web.page.click('button[data-action="retire"]')  # without a reason: refused on the page
    assert "请填写注销原因" in web.page.locator("#hc-dialog .hc-form-error").inner_text()
    web.page.fill('#hc-dialog textarea[name="reason"]', "已迁入公墓")
    web.shot("30-retire-dialog")
    web.page.click('button[data-action="retire"]')
    web.page.wait_for_selector(".hc-toast-ok")
    web.page.wait_for_function(f"HC.layers.pending() === 0 && HC.layers.count('scattered_graves') === {before - 1}")
    web.shot("31-retired-gone")
    assert api.get(f"/api/layers/scattered_graves/features/{fid}").status_code == 404

    page = web.page
    page.goto(f"{web.base}/features/scattered_graves/{fid}")
    page.wait_for_selector("#hc-history li")
    top = page.locator("#hc-history li").first
    assert top.get_attribute("data-operation") == "retire"
    assert "注销" in top.inner_text() and "已迁入公墓" in top.inner_text() and "殡葬规划账号" in top.inner_text()
    assert page.locator(".hc-retired").count() == 1
    page.screenshot(path=str(_out("32-history-retired")))
    page.once("dialog", lambda dialog: dialog.accept("误注销，恢复"))
    loaded = page.get_attribute("body", "data-loaded")
    page.locator("#hc-history button[data-restore]").first.click()
    page.wait_for_function(f"document.body.getAttribute('data-loaded') !== '{loaded}'")
    page.wait_for_selector('#hc-history li[data-operation="restore"]')
    assert "误注销，恢复" in page.locator("#hc-history li").first.inner_text()
    page.screenshot(path=str(_out("33-history-restored")))
    assert api.get(f"/api/layers/scattered_graves/features/{fid}").status_code == 200

    web.open()
    web.page.evaluate(f"HC.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    show_theme(web, "公墓与散坟")
    web.page.wait_for_function(f"HC.layers.pending() === 0 && HC.layers.count('scattered_graves') === {before}")


def _out(name: str) -> Path:
    return OUTPUT / f"{name}.png"


def test_restore_from_the_map_history_asks_for_a_reason(as_role: Any, api: httpx.Client) -> None:
    """The same question as on the feature page; cancelling it restores nothing."""
    lon, lat = LON + 0.012, LAT - 0.009
    fid = api.post("/api/layers/shelters/features", json={
        "type": "Feature", "properties": {"name": "待恢复避难场所", "shelter_type": "emergency"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]}}).json()["id"]
    url = f"/api/layers/shelters/features/{fid}"
    etag = api.get(url).headers["etag"]
    changed = api.patch(url, headers={"If-Match": etag}, json={"properties": {"name": "改过的避难场所"}})
    assert changed.status_code == 200, changed.text
    web = as_role("admin")
    web.open()
    web.page.evaluate(f"HC.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    show_theme(web, "应急避难场所")
    asked: list[str] = []
    for answer in (None, "名称改错，恢复"):
        click_at(web, lon, lat)
        web.page.click(f'.hc-popup[data-id="{fid}"] button[data-act="history"]')

        def reply(dialog: Any, answer: str | None = answer) -> None:
            asked.append(dialog.message)
            if answer:
                dialog.accept(answer)
            else:
                dialog.dismiss()

        web.page.once("dialog", reply)
        web.page.click('#hc-dialog button[data-restore="1"]')
        assert asked[-1] == "恢复至第 1 版的原因（写入历史，可不填）"
        if answer is None:
            assert api.get(url).json()["properties"]["version"] == 2  # cancelled: nothing restored
            web.page.click("#hc-dialog .hc-close")
    web.page.wait_for_selector(".hc-toast-ok")
    last = api.get(url + "/history").json()["versions"][-1]
    assert last["operation"] == "restore" and last["reason"] == "名称改错，恢复"
    assert api.get(url).json()["properties"]["name"] == "待恢复避难场所"


# --- drawing and reshaping --------------------------------------------------------------------------

def test_draw_a_line(as_role: Any, api: httpx.Client) -> None:
    web = as_role("boundary_surveyor")
    web.open()
    zoom_to(web, 15)
    web.page.click("#hc-btn-new")
    web.page.click('button[data-new-layer="boundary_lines"]')
    box = map_box(web)
    points = [(box["width"] * 0.20, box["height"] * 0.75), (box["width"] * 0.35, box["height"] * 0.70),
              (box["width"] * 0.50, box["height"] * 0.80)]
    for x, y in points:
        click_container(web, x, y)
        web.page.wait_for_timeout(400)
    web.shot("34-draw-line")
    click_container(web, *points[-1])  # a click on the last vertex ends the line
    fill_required(web, {"name": "新画界线", "line_level": "township", "side_a": "甲镇", "side_b": "乙镇"})
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-toast-ok")
    found = api.get("/api/layers/boundary_lines/features", params={"name": "新画界线"}).json()
    assert found["numberReturned"] == 1
    coords = found["features"][0]["geometry"]["coordinates"][0]
    assert len(coords) == 3
    expected = latlng_at(web, *points[0])
    assert abs(coords[0][0] - expected[0]) < 1e-4 and abs(coords[0][1] - expected[1]) < 1e-4
    web.page.wait_for_function("HC.layers.count('boundary_lines') >= 2")
    web.shot("35-line-saved")


def test_draw_a_polygon(as_role: Any, api: httpx.Client) -> None:
    web = as_role("funeral_planner")
    web.open()
    zoom_to(web, 15)
    web.page.click("#hc-btn-new")
    web.page.click('button[data-new-layer="cemeteries"]')
    box = map_box(web)
    ring = [(box["width"] * 0.15, box["height"] * 0.20), (box["width"] * 0.28, box["height"] * 0.20),
            (box["width"] * 0.28, box["height"] * 0.35), (box["width"] * 0.15, box["height"] * 0.35)]
    for x, y in ring:
        click_container(web, x, y)
        web.page.wait_for_timeout(400)
    web.shot("36-draw-polygon")
    click_container(web, *ring[0])  # a click on the first vertex closes the ring
    fill_required(web, {"name": "新画公墓", "cemetery_type": "village_public", "status": "planned"})
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    web.page.wait_for_selector(".hc-toast-ok")
    found = api.get("/api/layers/cemeteries/features", params={"name": "新画公墓"}).json()
    assert found["numberReturned"] == 1
    geometry = found["features"][0]["geometry"]
    assert geometry["type"] == "MultiPolygon" and len(geometry["coordinates"][0][0]) == 5
    web.page.wait_for_function("HC.layers.count('cemeteries') >= 2")
    web.shot("37-polygon-saved")


def test_move_a_vertex_and_save(as_role: Any, api: httpx.Client, seed: dict[str, int]) -> None:
    web = as_role("funeral_planner")
    fid = seed["cemetery_to_reshape"]
    url = f"/api/layers/cemeteries/features/{fid}"
    before = api.get(url).json()["geometry"]["coordinates"][0][0]
    web.open()
    web.page.evaluate(f"HC.map.setView([{LAT + 0.006}, {LON - 0.010}], 16, {{animate: false}})")
    show_theme(web, "公墓与散坟")
    # a mouse click on the polygon: it lies under the scattered graves' tile canvas, which passes it on
    click_at(web, LON - 0.010, LAT + 0.006)
    web.page.wait_for_selector(f'.hc-popup[data-id="{fid}"]')
    web.page.click('.hc-popup button[data-act="geometry"]')
    web.page.wait_for_selector(".marker-icon:not(.marker-icon-middle)")
    corner = before[0]  # the south-west corner: the vertex nearest to its screen position
    x, y = web.page.evaluate("ll => { const p = HC.map.latLngToContainerPoint(ll); return [p.x, p.y]; }",
                             [corner[1], corner[0]])
    box = map_box(web)
    web.page.mouse.move(box["x"] + x, box["y"] + y)
    web.page.mouse.down()
    web.page.mouse.move(box["x"] + x - 30, box["y"] + y + 20, steps=8)
    web.page.mouse.up()
    web.shot("38-vertex-moved")
    target = latlng_at(web, x - 30, y + 20)
    web.page.click('button[data-action="save-geometry"]')
    web.page.wait_for_selector(".hc-toast-ok")
    after = api.get(url).json()
    ring = after["geometry"]["coordinates"][0][0]
    assert len(ring) == len(before) and ring != before
    moved = min(ring, key=lambda c: math.dist(c, target))
    # where the mouse let go, within ~3 px at z16 (a drag only starts after Leaflet's 3-px tolerance)
    assert math.dist(moved, target) < 6e-5 and math.dist(moved, corner) > 2e-4
    assert after["properties"]["version"] >= 2 and after["properties"]["updated_by"] == "funeral_planner"
    web.shot("39-vertex-saved")


# --- measuring and coordinates -------------------------------------------------------------------

def test_measure_a_distance(as_role: Any) -> None:
    web = as_role("viewer")
    web.open()
    zoom_to(web, 13)
    web.page.click("#hc-btn-measure-line")
    p1, p2 = (200.0, 180.0), (760.0, 520.0)
    click_container(web, *p1)
    web.page.wait_for_timeout(700)  # two separate clicks, not a double click
    click_container(web, *p2)
    shown = web.page.locator(".hc-measure-result").inner_text()
    web.shot("40-measure-distance")
    a, b = (TO_4550.transform(*latlng_at(web, *p)) for p in (p1, p2))
    expected = math.dist(a, b)
    match = re.search(r"距离 ([\d.]+) (千米|米)", shown)
    assert match, shown
    value = float(match.group(1)) * (1000 if match.group(2) == "千米" else 1)
    assert abs(value - expected) <= 1.0, (shown, expected)
    web.page.click("#hc-bar-float button:has-text('清除')")


def test_cursor_coordinates_in_epsg_4550(as_role: Any) -> None:
    web = as_role("viewer")
    web.open()
    zoom_to(web, 14)
    box = map_box(web)
    for x, y in ((333.0, 222.0), (640.0, 410.0)):
        web.page.mouse.move(box["x"] + x, box["y"] + y)
        shown = web.page.locator("#hc-coords").inner_text()
        match = re.search(r"X ([\d.]+) Y ([\d.]+)", shown)
        assert match, shown
        ex, ey = TO_4550.transform(*latlng_at(web, x, y))
        assert abs(float(match.group(1)) - ex) <= 0.01 and abs(float(match.group(2)) - ey) <= 0.01, (shown, ex, ey)
    web.shot("41-cursor-coordinates")


# --- phone ---------------------------------------------------------------------------------------

def test_phone_layout(as_role: Any, seed: dict[str, int]) -> None:
    web = as_role("viewer", (390, 844))
    web.open()
    page = web.page
    box = map_box(web)
    assert box["width"] == 390 and box["height"] > 600
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert not page.locator("#hc-panel").is_visible()
    assert page.locator("#hc-search-input").is_visible()
    assert page.locator("#hc-coords").inner_text() == "点击地图显示坐标"  # a finger does not hover
    assert page.locator(".leaflet-control-scale").inner_text().strip().endswith("km")  # metric only
    page.evaluate("HC.map.setView([41.5, 121.0], 14, {animate: false})")  # nothing drawn here: the tap is the map's
    page.touchscreen.tap(box["x"] + 200, box["y"] + 300)
    ex, ey = TO_4550.transform(*latlng_at(web, 200, 300))
    match = re.search(r"X ([\d.]+) Y ([\d.]+)", page.locator("#hc-coords").inner_text())
    assert match and abs(float(match.group(1)) - ex) < 1 and abs(float(match.group(2)) - ey) < 1
    web.shot("42-phone-map")
    page.evaluate(f"HC.map.setView([{LAT}, {LON}], 10, {{animate: false}})")
    zoom = page.evaluate("HC.map.getZoom()")
    page.click(".leaflet-control-zoom-in")
    page.wait_for_function(f"HC.map.getZoom() === {zoom + 1}")
    page.click("#hc-btn-layers")
    assert page.locator("#hc-panel").is_visible()
    panel = page.locator("#hc-panel").bounding_box()
    assert panel["y"] + panel["height"] == 844 and panel["height"] <= 844 * 0.6  # a bottom sheet
    page.locator('input[data-layer="shelters"]').check()
    page.wait_for_function("HC.layers.isVisible('shelters')")
    web.shot("43-phone-panel")
    page.click("#hc-panel .hc-close")
    assert not page.locator("#hc-panel").is_visible()
    page.click("#hc-btn-layers")
    page.click("#hc-btn-layers")
    assert not page.locator("#hc-panel").is_visible()

    page.goto(f"{web.base}/features/cemeteries/{seed['cemeteries']}")
    page.wait_for_selector("#hc-history li")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert page.locator("#hc-small-map").bounding_box()["width"] <= 390
    web.shot("44-phone-feature-page")


# --- demo data label, search ---------------------------------------------------------------------

def test_demo_rows_say_so(as_role: Any, api: httpx.Client, browser_db: Any) -> None:
    made = api.post("/api/layers/shelters/features", json={"type": "Feature", "properties": {
        "name": "演示避难场所", "shelter_type": "emergency"},
        "geometry": {"type": "Point", "coordinates": [LON + 0.008, LAT + 0.006]}}).json()
    with browser_db.begin() as conn:
        conn.execute(text("UPDATE shelters SET source = 'demo' WHERE id = :id"), {"id": made["id"]})
    web = as_role("viewer")
    web.open()
    web.page.evaluate(f"HC.map.setView([{LAT + 0.006}, {LON + 0.008}], 16, {{animate: false}})")
    show_theme(web, "应急避难场所")
    click_at(web, LON + 0.008, LAT + 0.006)
    web.page.wait_for_selector(f'.hc-popup[data-id="{made["id"]}"] .hc-demo')
    assert web.page.locator(".hc-popup .hc-demo").inner_text() == "示例数据"
    web.shot("45-demo-popup")
    web.page.goto(f"{web.base}/features/shelters/{made['id']}")
    web.page.wait_for_selector("#hc-feature-title .hc-demo")
    assert web.page.locator("#hc-feature-title .hc-demo").inner_text() == "示例数据"
    assert web.page.locator("#hc-history button[data-restore]").count() == 0  # viewers do not restore
    web.shot("46-demo-feature-page")


def test_search_a_place_name_and_zoom_to_it(as_role: Any, seed: dict[str, int]) -> None:
    web = as_role("viewer")
    web.open()
    target = (LON - 0.004, LAT + 0.004)  # 示例村

    def search_and_check(name: str) -> str:
        web.page.evaluate("HC.map.setView([40.85, 122.3], 10, {animate: false})")
        web.page.fill("#hc-search-input", "示例村")
        web.page.press("#hc-search-input", "Enter")
        web.page.wait_for_function("HC.search.last && HC.search.last.name === '示例村' && HC.map.getZoom() >= 15")
        center = web.page.evaluate("[HC.map.getCenter().lng, HC.map.getCenter().lat]")
        assert math.dist(center, target) < 1e-3
        assert web.page.locator("path.hc-search-hit").count() == 1
        web.shot(name)
        via = web.page.evaluate("HC.search.via")
        web.page.evaluate("HC.search.last = null")
        return via

    first = search_and_check("47-search")
    assert first in ("search", "features")
    # a server without the gazetteer search: the page falls back to the exact name
    web.page.route("**/api/place-names/search**", lambda route: route.fulfill(
        status=404, content_type="application/json", body='{"message": "没有此接口"}'))
    assert search_and_check("48-search-fallback") == "features"


def test_search_asks_every_searchable_layer(as_role: Any, seed: dict[str, int]) -> None:
    """The search box asks each layer the map config lists in ``searches`` (not only the first): with a
    second searchable layer declared (shelters, its API answered by the test), both layers' hits are listed,
    and choosing the shelter's opens it from its own layer."""
    web = as_role("viewer")
    second = '{"api": "/api/test-shelter-search", "layer": "shelters", "field": "name"}, '

    def with_second_search(route: Any) -> None:
        page = route.fetch()
        body = page.text()
        assert body.count('"searches": [') == 1
        route.fulfill(response=page, body=body.replace('"searches": [', '"searches": [' + second))

    web.page.route(lambda url: url.rstrip("/") == web.base, with_second_search)
    web.page.route("**/api/test-shelter-search**", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"items": [{"id": seed["shelters"], "name": "示例避难场所"}]})))
    web.open()
    web.page.fill("#hc-search-input", "示例")
    web.page.press("#hc-search-input", "Enter")
    web.page.wait_for_selector("#hc-search-results li[data-id]")
    names = web.page.locator("#hc-search-results li[data-id] strong").all_inner_texts()
    assert names[0] == "示例避难场所" and "示例村" in names[1:]
    web.page.locator("#hc-search-results li[data-id]").first.click()
    web.page.wait_for_function("HC.search.last && HC.search.last.name === '示例避难场所'")
    center = web.page.evaluate("[HC.map.getCenter().lng, HC.map.getCenter().lat]")
    assert math.dist(center, (LON + 0.004, LAT + 0.002)) < 1e-3
