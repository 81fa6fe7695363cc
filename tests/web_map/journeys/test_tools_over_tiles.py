"""Drawing and measuring with vector-tile layers shown (issue 16, defect 1): a tile canvas swallowed
every click while a tool was active, so nobody could draw beside a road. Also the keys every tool
shares: Ctrl+Z undoes the last vertex, Enter finishes, Esc cancels.
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import httpx
import pytest
from pyproj import Transformer

from tests.utils.browser import click_at, show_tiles, zoom_to
from tests.utils.siting_page import click_at as siting_click
from tests.utils.siting_page import open_siting, view, wait_report
from tests.web_map.conftest import CENTER, PageWatch, _create, _line, _pt

LON, LAT = CENTER
TO_4550 = Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)
TO_4490 = Transformer.from_crs("EPSG:4550", "EPSG:4490", always_xy=True)
ORIGIN = TO_4550.transform(122.80, 40.70)  # away from the other tests' scenes
TOWNSHIP = "210381160"


def ll(dx: float, dy: float) -> tuple[float, float]:
    """lon/lat of the point dx, dy metres east and north of ORIGIN."""
    return TO_4490.transform(ORIGIN[0] + dx, ORIGIN[1] + dy)


def square(half: float) -> dict[str, Any]:
    ring = [ll(-half, -half), ll(half, -half), ll(half, half), ll(-half, half), ll(-half, -half)]
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


@pytest.fixture(scope="module")
def tiles_scene(api: httpx.Client) -> dict[str, Any]:
    """A road and a basic-farmland zone, both served as vector tiles, in a village of its own."""
    ring = [ll(-400, -400), ll(0, -400), ll(0, 0), ll(-400, 0), ll(-400, -400)]
    return {
        "township": _create(api, "townships", square(2000), code=TOWNSHIP, name="切片测试镇", kind="town"),
        "village": _create(api, "villages", square(2000), code=TOWNSHIP + "001", name="切片测试村",
                           township_code=TOWNSHIP, population=500),
        "road": _create(api, "roads", _line(ll(-1500, 300), ll(1500, 300)), name="切片测试公路",
                        road_class="county"),
        "farmland": _create(api, "basic_farmland", {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
                            name="切片测试农田"),
        # 36 graves to move, in the farmland (a hard rule): they cluster until zoomed in
        "graves": [_create(api, "scattered_graves", _pt(*ll(-380 + 60 * i, -380 + 60 * j)), status="to_move")
                   for i in range(6) for j in range(6)],
    }


def click_lonlat(web: PageWatch, lon: float, lat: float) -> tuple[float, float]:
    """A real click on the whole pixel nearest (lon, lat) on the main map; the lon/lat of that pixel."""
    x, y = web.page.evaluate("ll => { const p = HC.map.latLngToContainerPoint(ll); return [Math.round(p.x), "
                             "Math.round(p.y)]; }", [lat, lon])
    box = web.page.locator(".folium-map").bounding_box()
    web.page.mouse.click(box["x"] + x, box["y"] + y)
    got = web.page.evaluate("p => { const l = HC.map.containerPointToLatLng(p); return [l.lng, l.lat]; }", [x, y])
    return got[0], got[1]


def measured(web: PageWatch) -> float:
    shown = web.page.locator(".hc-measure-result").inner_text()
    match = re.search(r"距离 ([\d.]+) (千米|米)", shown)
    assert match, shown
    return float(match.group(1)) * (1000 if match.group(2) == "千米" else 1)


def test_measure_on_a_road_tile_with_undo_and_enter(as_role: Any, seed: dict[str, int]) -> None:
    web = as_role("viewer")
    web.open()
    zoom_to(web, 16)
    show_tiles(web, "roads", "place_names")
    web.page.click("#hc-btn-measure-line")
    road = LAT - 0.001  # the seeded 示例公路 runs west–east here: every click lands on its tile
    points = []
    for lon, lat in [(LON - 0.004, road), (LON + 0.003, road), (LON + 0.003, road + 0.002)]:
        points.append(click_lonlat(web, lon, lat))
        web.page.wait_for_timeout(600)  # separate clicks, not a double click
    three = sum(math.dist(TO_4550.transform(*a), TO_4550.transform(*b)) for a, b in itertools.pairwise(points))
    assert abs(measured(web) - three) <= 0.5
    web.page.keyboard.press("Control+z")  # the third point goes
    two = math.dist(TO_4550.transform(*points[0]), TO_4550.transform(*points[1]))
    assert abs(measured(web) - two) <= 0.5
    web.page.keyboard.press("Enter")  # finished: a later click adds nothing
    click_at(web, LON - 0.002, LAT + 0.003)
    web.page.wait_for_timeout(300)
    assert abs(measured(web) - two) <= 0.5
    web.shot("j01-measure-over-tiles")
    web.page.keyboard.press("Escape")
    assert web.page.locator("#hc-bar-float").is_hidden()


def test_draw_a_site_over_roads_and_farmland(as_role: Any, tiles_scene: dict[str, Any]) -> None:
    web = as_role("funeral_planner")
    open_siting(web)
    view(web, *ll(0, 0), 15)
    show_tiles(web, "roads", "basic_farmland")
    web.page.click("#hc-draw-polygon")
    # on the expressway, in the farmland, beside both, and one too many (undone with Ctrl+Z)
    corners = [ll(-200, 300), ll(-300, -200), ll(300, -200), ll(400, 250)]
    for lon, lat in corners:
        siting_click(web, lon, lat)
        web.page.wait_for_timeout(300)
    web.page.keyboard.press("Control+z")
    web.page.keyboard.press("Enter")
    wait_report(web, None)
    ring = web.page.evaluate("HC.siting.current().geometry")["coordinates"][0]
    assert len(ring) == 4  # three corners and the closing one
    for (lon, lat), got in zip(corners[:3], ring[:3], strict=True):
        assert abs(got[0] - lon) < 2e-5 and abs(got[1] - lat) < 2e-5
    farmland = web.page.locator('#hc-rules tr[data-rule="basic_farmland"]')
    assert "违反" in farmland.inner_text() and "切片测试农田" in farmland.inner_text()
    # Esc cancels a drawing: the next click on a tile is not a vertex, and the page is usable again
    web.page.click("#hc-draw-polygon")
    siting_click(web, *ll(-100, -100))
    web.page.keyboard.press("Escape")
    assert web.page.evaluate("HC.mode.current()") is None
    assert not web.page.evaluate("HC.siting.map.pm.globalDrawModeEnabled()")
    web.shot("j02-draw-over-tiles")


def test_save_once_withdraw_a_draft_and_name_each_approver(as_role: Any, tiles_scene: dict[str, Any]) -> None:
    """Issue 16: 保存为候选地 twice made two candidates; a draft could not be withdrawn; steps named nobody."""
    web = as_role("funeral_planner")
    open_siting(web)
    before = web.page.locator("#hc-candidates li[data-candidate]").count()
    web.page.evaluate("g => HC.siting.check(g)", {"type": "Point", "coordinates": list(ll(800, -800))})
    wait_report(web, None)
    web.page.click("#hc-save")
    web.page.fill("#hc-dialog input[name=name]", "撤回测试候选地")
    save = web.page.locator('#hc-dialog [data-action="save-candidate"]')
    save.dblclick()  # two quick clicks: one candidate
    item = web.page.locator("#hc-candidates li[data-candidate]", has_text="撤回测试候选地")
    item.wait_for()
    web.page.wait_for_timeout(500)
    assert web.page.locator("#hc-candidates li[data-candidate]").count() == before + 1
    assert web.page.locator("#hc-save").is_disabled()
    assert item.locator('[data-step-by="candidate"]').inner_text().startswith("候选：殡葬规划账号（")
    item.locator('button[data-next="withdrawn"]').click()
    web.page.click('#hc-dialog [data-action="confirm-status"]')
    web.page.wait_for_selector('#hc-candidates li[data-status="withdrawn"] .hc-steps li[data-step="withdrawn"]')
    withdrawn = web.page.locator('#hc-candidates li[data-status="withdrawn"]', has_text="撤回测试候选地")
    assert withdrawn.locator("button[data-next]").count() == 0
    assert withdrawn.locator('[data-step-by="withdrawn"]').inner_text().startswith("已撤回：殡葬规划账号（")


def test_graves_clustered_and_disposed_from_the_map(as_role: Any, tiles_scene: dict[str, Any],
                                                    api: httpx.Client) -> None:
    """Issue 16: 1,851 grave points hid the map and none could be acted on from it."""
    web = as_role("funeral_planner")
    open_siting(web)
    view(web, *ll(-200, -200), 13)
    web.page.check("#hc-tog-graves")
    web.page.wait_for_selector(".hc-cluster")
    todo = [g for g in api.get("/api/siting/graves").json()["graves"] if g["status"] == "to_move" and g["violations"]]
    counts = web.page.locator(".hc-cluster span").all_inner_texts()
    singles = web.page.locator("path.hc-grave").count()
    assert sum(map(int, counts)) + singles == len(todo)  # every grave once, in a cluster or alone
    assert max(map(int, counts)) == 36 and singles < len(todo) - 35  # ours: one cluster at z13
    web.page.locator(".hc-cluster", has_text="36").click()  # zooms in to them
    web.page.wait_for_function("HC.siting.map.getZoom() >= 16")
    view(web, *ll(-380, -380), 18)
    grave = tiles_scene["graves"][0]
    siting_click(web, *ll(-380, -380))
    popup = web.page.locator(f'.hc-grave-popup[data-grave="{grave}"]')
    popup.wait_for()
    assert popup.locator("strong").inner_text() == f"散埋乱葬 · 切片测试村（编号 {grave}，1 座）"
    popup.locator('button[data-grave-status="retained"]').click()  # 保留 needs a reason
    web.page.wait_for_function("document.querySelector('.hc-grave-popup .hc-form-error').textContent.includes('理由')")
    popup.locator('input[name="reason"]').fill("已迁入公墓")
    popup.locator('button[data-grave-status="moved"]').click()
    web.page.wait_for_selector(".hc-toast-ok")
    got = api.get(f"/api/layers/scattered_graves/features/{grave}").json()["properties"]
    assert got["status"] == "moved" and got["status_reason"] == "已迁入公墓" and got["version"] == 2
    web.shot("j03-graves-clustered")


def test_uncovered_villages_are_marked_without_a_click(as_role: Any, tiles_scene: dict[str, Any],
                                                       api: httpx.Client) -> None:
    web = as_role("viewer")
    open_siting(web)
    web.page.check("#hc-tog-uncovered")
    uncovered = api.get("/api/siting/coverage").json()["uncovered"]
    assert "切片测试村" in [u["name"] for u in uncovered]
    web.page.wait_for_selector(".hc-cluster-uncovered, .hc-uncovered-mark")
    view(web, *ll(0, 0), 13)
    mark = web.page.locator(".hc-uncovered-mark", has_text="切片测试村")
    mark.wait_for()
    assert mark.is_visible()
