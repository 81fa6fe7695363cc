"""The siting page (/siting) in Chromium: draw a site and read its report, upload site files, save
candidates and move them through the approval steps, suitable land, uncovered villages, graves.

Hand-made features (committed in gis_browser, away from the map tests' centre): two villages, an
expressway 300 m north of the drawn site, a basic-farmland zone 200 m west of it, a public cemetery
in the second village and a scattered grave beside the expressway. Signed in through /login as
funeral_planner (saves, approves) and viewer (checks only). Zero JS errors, zero requests outside
127.0.0.1 (checked by ``as_role``), a screenshot per scenario under test-output/browser/.
"""

from __future__ import annotations

import json
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
from pyproj import Transformer
from shapely.geometry import Polygon, shape

from tests.utils.browser import print_sheet
from tests.utils.siting_page import click_at, open_siting, view, wait_report
from tests.web_map.conftest import OUTPUT, PageWatch, _create, _line

ORIGIN = (122.95, 40.62)
TOWNSHIP, VILLAGE_A, VILLAGE_B = "210381120", "210381120001", "210381120002"


@cache
def _xy() -> tuple[float, float]:
    return Transformer.from_crs(4490, 4550, always_xy=True).transform(*ORIGIN)


def ll(dx: float, dy: float) -> tuple[float, float]:
    """lon/lat of the point dx, dy metres (EPSG:4550) from ORIGIN."""
    x, y = _xy()
    return Transformer.from_crs(4550, 4490, always_xy=True).transform(x + dx, y + dy)


def rect(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    ring = [ll(x0, y0), ll(x1, y0), ll(x1, y1), ll(x0, y1), ll(x0, y0)]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


SITE = ll(-1000, 0)  # 300 m south of the expressway, 200 m east of the farmland


@pytest.fixture(scope="session")
def siting_scene(api: httpx.Client) -> dict[str, int]:
    ids = {
        "township": _create(api, "townships", rect(-3000, -3000, 3000, 3000), code=TOWNSHIP, name="选址测试镇",
                            kind="town"),
        "village_a": _create(api, "villages", rect(-3000, -3000, 0, 3000), code=VILLAGE_A, name="选址甲村",
                             township_code=TOWNSHIP, population=800),
        "village_b": _create(api, "villages", rect(0, -3000, 3000, 3000), code=VILLAGE_B, name="选址乙村",
                             township_code=TOWNSHIP, population=600),
        "expressway": _create(api, "roads", _line(ll(-3000, 300), ll(3000, 300)), name="测试高速",
                              road_class="expressway"),
        "farmland": _create(api, "basic_farmland", rect(-1500, -400, -1200, -100), name="测试基本农田"),
        "cemetery": _create(api, "cemeteries", rect(2000, -2500, 2100, -2400), name="乙村公墓",
                            cemetery_type="village_public", status="existing", village_code=VILLAGE_B),
        "grave": _create(api, "scattered_graves", {"type": "Point", "coordinates": list(ll(-1000, 200))},
                         status="to_move"),
    }
    return ids


def draw_the_site(web: PageWatch) -> None:
    """Open /siting and draw the point SITE with the 点 tool, as a planner does; wait for its report."""
    open_siting(web)
    view(web, *SITE, 15)
    web.page.click("#hc-draw-point")
    click_at(web, *SITE)
    wait_report(web, None)


def test_draw_a_site_report_and_highlights(as_role: Any, siting_scene: dict[str, int], api: httpx.Client) -> None:
    web = as_role("funeral_planner")
    draw_the_site(web)
    assert web.page.locator("#hc-verdict").inner_text() == "不合规"
    drawn = web.page.evaluate("HC.siting.current().geometry")
    truth = api.post("/api/siting/check", json={"geometry": drawn}).json()
    expressway = next(r for r in truth["results"] if r["rule"] == "highway.expressway")
    assert expressway["violated"] and expressway["nearest"]["id"] == siting_scene["expressway"]
    # 300 m from its centreline, 286 m from the edge of its 28 m wide land (the law measures from the edge)
    assert 290 < expressway["centreline_distance_m"] < 310
    assert expressway["distance_m"] == round(expressway["centreline_distance_m"] - 14, 1)
    row = web.page.locator('#hc-rules tr[data-rule="highway.expressway"]')
    assert float(row.locator("td[data-distance]").get_attribute("data-distance")) == expressway["distance_m"]
    assert f"{expressway['distance_m']:.1f} 米" in row.inner_text() and "违反" in row.inner_text()
    assert row.locator(".hc-centreline").inner_text() == (
        f"距边缘；距中心线 {expressway['centreline_distance_m']:.1f} 米（宽 28 米，按等级默认）")
    assert row.locator(".hc-fail").bounding_box()["height"] < 24  # 违反 on one line, not a letter per line
    assert web.page.locator("#hc-toast").is_hidden()  # 在地图上点击选址位置 is done with
    farmland = web.page.locator('#hc-rules tr[data-rule="basic_farmland"]')
    assert "通过" in farmland.inner_text() and "测试基本农田" in farmland.inner_text()
    assert "测试高速" in web.page.locator('#hc-nearest dd[data-kind="highway"]').inner_text()
    assert web.page.locator('#hc-nearest dd[data-kind="basic_farmland"]').inner_text().startswith("2")
    web.page.wait_for_selector("path.hc-hit")  # the expressway, fetched and drawn in red
    assert web.page.locator("path.hc-ring-bad").count() >= 1 and web.page.locator("path.hc-site").count() == 1
    web.shot("60-siting-report")
    with web.page.expect_download() as download:
        web.page.click("#hc-report-pdf")
    assert download.value.suggested_filename.endswith(".pdf")


def test_print_has_the_drawn_site_its_rings_and_what_it_violates(as_role: Any, siting_scene: dict[str, int],
                                                                 api: httpx.Client, tmp_path: Path) -> None:
    """Issue 16: 打印 on /siting sent only the registry layers; the sheet lacked the site the planner drew."""
    web = as_role("funeral_planner")
    draw_the_site(web)
    web.page.wait_for_selector("path.hc-hit")
    drawn = web.page.evaluate("HC.siting.current().geometry")
    truth = api.post("/api/siting/check", json={"geometry": drawn}).json()
    expressway = next(r for r in truth["results"] if r["rule"] == "highway.expressway")
    body, words = print_sheet(web, tmp_path)
    by_title = {o["title"]: o for o in body["overlays"]}
    site = by_title["选址"]
    assert (site["color"], site["fill"], site["dashed"]) == ("#6a1b9a", "#6a1b9a", False)
    # the drawn point itself (Leaflet sends 6 decimals: 0.1 m)
    point = {"type": "Point", "coordinates": [round(c, 6) for c in drawn["coordinates"]]}
    assert site["features"] == [{"geometry": point}]
    ring = by_title[f"距选址 {expressway['required_distance_m']:g} 米（有违反）"]
    assert (ring["color"], ring["fill"], ring["dashed"], ring["opacity"]) == ("#d32f2f", None, True, 0)
    assert ring["features"][0]["geometry"]["type"] == "Polygon"
    hit = by_title[f"{expressway['label']}（违反）"]
    assert hit["color"] == "#d32f2f" and hit["features"][0]["geometry"]["type"] == "MultiLineString"
    assert all(t.replace(" ", "") in words for t in by_title) and "图例" in words


def test_save_candidates_and_approval_steps(as_role: Any, siting_scene: dict[str, int]) -> None:
    web = as_role("funeral_planner")
    open_siting(web)
    # a compliant polygon far from the expressway, drawn vertex by vertex
    corners = [ll(-2500, -2000), ll(-2400, -2000), ll(-2400, -1900), ll(-2500, -1900)]
    view(web, *ll(-2450, -1950), 16)
    web.page.click("#hc-draw-polygon")
    for corner in [*corners, corners[0]]:
        click_at(web, *corner)
    wait_report(web, None)
    assert web.page.locator("#hc-verdict").inner_text() == "合规"
    web.page.click("#hc-save")
    web.page.fill("#hc-dialog input[name=name]", "甲村南公墓候选地")
    web.page.click('#hc-dialog [data-action="save-candidate"]')
    item = web.page.locator("#hc-candidates li[data-candidate]", has_text="甲村南公墓候选地")
    item.wait_for()
    assert item.locator(".hc-steps li.hc-current").inner_text() == "候选"
    item.locator('button[data-next="township_review"]').click()
    web.page.fill("#hc-dialog textarea[name=note]", "提交乡镇审核")
    web.page.click('#hc-dialog [data-action="confirm-status"]')
    web.page.wait_for_selector('#hc-candidates li[data-status="township_review"]')
    item = web.page.locator("#hc-candidates li[data-candidate]", has_text="甲村南公墓候选地")
    assert item.locator(".hc-steps li.hc-done").count() == 1
    assert item.locator(".hc-steps li.hc-current").inner_text() == "乡镇审核"
    # the non-compliant site: saved, may not go to review (the API says why), may be rejected
    before = web.page.get_attribute("body", "data-report")
    web.page.evaluate(f"HC.siting.check({{type: 'Point', coordinates: [{SITE[0]}, {SITE[1]}]}})")
    wait_report(web, before)
    web.page.click("#hc-save")
    web.page.fill("#hc-dialog input[name=name]", "近高速候选地")
    web.page.click('#hc-dialog [data-action="save-candidate"]')
    bad = web.page.locator("#hc-candidates li[data-candidate]", has_text="近高速候选地")
    bad.wait_for()
    assert bad.locator(".hc-badge").inner_text() == "不合规"
    bad.locator('button[data-next="township_review"]').click()
    web.page.click('#hc-dialog [data-action="confirm-status"]')
    web.page.wait_for_function(
        "document.querySelector('#hc-dialog .hc-form-error').textContent.includes('合规检查未通过')")
    web.page.click('#hc-dialog button:has-text("取消")')
    bad.locator('button[data-next="rejected"]').click()
    web.page.click('#hc-dialog [data-action="confirm-status"]')
    web.page.wait_for_selector('#hc-candidates li[data-status="rejected"] .hc-steps li.hc-rejected')
    web.shot("61-siting-candidates")
    # a candidate's frozen report on the map
    web.page.locator("#hc-candidates li[data-candidate] strong", has_text="甲村南公墓候选地").click()
    web.page.wait_for_function("document.querySelector('#hc-report').textContent.includes('冻结')")
    web.page.click("#hc-recheck")
    web.page.wait_for_selector("#hc-recheck-result .hc-notice")


def write_upload_files(folder: Path) -> dict[str, Path]:
    site = Polygon([ll(-1100, -100), ll(-900, -100), ll(-900, 100), ll(-1100, 100)])
    files = {"geojson": folder / "选址.geojson", "shp": folder / "选址.zip", "two": folder / "两个要素.geojson"}
    gpd.GeoDataFrame({"name": ["上传选址"]}, geometry=[site], crs=4490).to_file(files["geojson"], driver="GeoJSON",
                                                                              engine="pyogrio")
    gpd.GeoDataFrame({"name": ["上传选址"]}, geometry=[site], crs=4490).to_crs(4550).to_file(
        folder / "site.shp", engine="pyogrio", encoding="utf-8")
    with zipfile.ZipFile(files["shp"], "w") as z:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            z.write(folder / f"site.{ext}", f"site.{ext}")
    files["two"].write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": list(p)}}
        for p in (ll(0, 0), ll(100, 0))]}))
    return files


def test_upload_geojson_and_zipped_shapefile(as_role: Any, siting_scene: dict[str, int], tmp_path: Path) -> None:
    files = write_upload_files(tmp_path)
    web = as_role("viewer")
    open_siting(web)
    assert web.page.locator("#hc-save").count() == 0
    web.page.set_input_files("#hc-upload", str(files["geojson"]))
    wait_report(web, None)
    first = web.page.evaluate("HC.siting.current().geometry")
    assert web.page.locator("#hc-verdict").inner_text() == "不合规"
    assert web.page.locator("#hc-save").count() == 0  # a viewer checks, does not save
    before = web.page.get_attribute("body", "data-report")
    web.page.set_input_files("#hc-upload", str(files["shp"]))
    wait_report(web, before)
    second = web.page.evaluate("HC.siting.current().geometry")
    assert second["type"] == "Polygon"
    # the same square, read back from EPSG:4550 (a Shapefile stores the ring clockwise)
    assert shape(first).symmetric_difference(shape(second)).area < 1e-12
    web.page.wait_for_selector("path.hc-hit")
    web.shot("62-siting-upload-shapefile")
    web.page.set_input_files("#hc-upload", str(files["two"]))
    web.page.wait_for_function("document.getElementById('hc-upload-error').textContent.includes('含 2 个要素')")
    web.shot("63-siting-upload-refused")


def test_suitable_land_uncovered_villages_and_graves(as_role: Any, siting_scene: dict[str, int],
                                                     api: httpx.Client) -> None:
    web = as_role("funeral_planner")
    open_siting(web)
    web.page.evaluate(f"HC.siting.check({{type: 'Point', coordinates: [{SITE[0]}, {SITE[1]}]}})")
    wait_report(web, None)
    web.page.check("#hc-tog-suitable")
    web.page.wait_for_function("document.getElementById('hc-suitable-note').textContent.includes('块')")
    expected = api.get("/api/siting/suitable", params={"village": VILLAGE_A}).json()
    assert len(expected["features"]) > 0
    assert web.page.locator("path.hc-suitable").count() == len(expected["features"])
    assert "选址甲村" in web.page.locator("#hc-suitable-note").inner_text()
    web.page.check("#hc-tog-uncovered")
    web.page.wait_for_selector(f'#hc-uncovered-list li[data-code="{VILLAGE_A}"]')
    assert web.page.locator(f'#hc-uncovered-list li[data-code="{VILLAGE_B}"]').count() == 0  # has its cemetery
    web.page.check("#hc-tog-graves")
    web.page.wait_for_selector("path.hc-grave", state="attached")  # every grave to move, some out of view
    view(web, *ll(0, 0), 13)
    web.page.wait_for_selector("path.hc-uncovered")
    web.page.wait_for_load_state("networkidle")
    web.shot("64-siting-suitable-uncovered-graves")


def test_a_site_in_no_village_is_not_offered_as_a_candidate(as_role: Any, siting_scene: dict[str, int]) -> None:
    web = as_role("funeral_planner")
    open_siting(web)
    outside = ll(0, 4000)  # in Haicheng, north of the test villages
    web.page.evaluate(f"HC.siting.check({{type: 'Point', coordinates: [{outside[0]}, {outside[1]}]}})")
    wait_report(web, None)
    assert "不在任何村（社区）内" in web.page.locator("#hc-report").inner_text()
    web.page.click("#hc-save")
    toast = web.page.locator("#hc-toast")
    assert toast.inner_text() == "选址不在任何村（社区）范围内，不能保存为候选地"
    assert "hc-toast-error" in toast.get_attribute("class")
    assert web.page.locator("#hc-dialog").is_hidden()
    web.shot("67-siting-no-village")


def test_phone_layout(as_role: Any, siting_scene: dict[str, int]) -> None:
    web = as_role("viewer", (390, 844))
    open_siting(web)
    web.page.evaluate(f"HC.siting.check({{type: 'Point', coordinates: [{SITE[0]}, {SITE[1]}]}})")
    wait_report(web, None)
    assert web.page.locator(".hc-menu").is_visible()  # the page links, folded
    width = web.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    web.shot("65-siting-phone")
    web.page.locator("#hc-report").scroll_into_view_if_needed()
    web.page.screenshot(path=str(OUTPUT / "66-siting-phone-report.png"), full_page=True)


def test_main_map_links_to_the_siting_page(as_role: Any) -> None:
    web = as_role("funeral_planner")
    web.open("/")
    web.page.click("#hc-nav-siting")
    web.page.wait_for_url("**/siting")
    web.page.wait_for_function("window.HC && HC.ready === true")
    web.page.click("#hc-nav-map")
    web.page.wait_for_url(web.base + "/")


def test_signed_out_goes_to_login(browser: Any, live_server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/siting")
    assert page.url == f"{live_server}/login?next=/siting"
    context.close()

