"""The funeral-reform planner's job in Chromium, end to end (issue 16): sign in through /login →
/siting on the built-in basemap with the 三沿六区 layers near the view already on → with 公路 drawn as
vector tiles, draw a site → its report (三沿六区 findings with distances to the decimetre) → the same
site uploaded as a file gives the same findings → 保存为候选地 (the button disabled while saving; two
quick clicks make one candidate) → the approval steps by two accounts, the same account refused the
next step in Chinese → the report PDF read back (pdftotext) → a grave acted on from the clustered map.

Hand-made scene (committed in gis_browser, east of the other siting scenes), in metres from ORIGIN:
one township and village (±3 km), a 国道 west–east 620 m north of the site's centre (14 m wide by its
class), a basic-farmland zone 300–600 m east of it and 12 graves to move in that farmland. The site is
the 200 m square around ORIGIN. Expected distances are measured here with shapely in EPSG:4550 on the
geometry the page drew, independently of the SQL. Zero JS errors, zero requests outside 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import LineString, shape

from layers.geometry import reproject
from tests.utils.browser import builtin_basemap, show_tiles  # noqa: F401  (builtin_basemap: a fixture)
from tests.utils.frame import LocalFrame
from tests.utils.siting_page import click_at, open_siting, view, wait_report
from tests.web_map.conftest import PageWatch, _create, _line

ORIGIN = (122.90, 40.72)
FRAME = LocalFrame(*ORIGIN)
TOWNSHIP, VILLAGE = "210381180", "210381180001"
ROAD_Y, FARMLAND_X = 620.0, 300.0
CORNERS = [(-100, -100), (100, -100), (100, 100), (-100, 100)]
NAME = "南坡公墓候选地"


@pytest.fixture(scope="module")
def scene(api: httpx.Client) -> dict[str, Any]:
    road = [FRAME.ll(-3000, ROAD_Y), FRAME.ll(3000, ROAD_Y)]
    return {
        "township": _create(api, "townships", FRAME.rect(-3000, -3000, 3000, 3000), code=TOWNSHIP, name="旅程选址镇",
                            kind="town"),
        "village": _create(api, "villages", FRAME.rect(-3000, -3000, 3000, 3000), code=VILLAGE, name="南坡村",
                           township_code=TOWNSHIP, population=900),
        "road": _create(api, "roads", _line(*map(tuple, road)), name="旅程国道", road_class="national"),
        "road_line": road,
        "farmland": _create(api, "basic_farmland", FRAME.rect(FARMLAND_X, -200, 600, 200), name="南坡基本农田"),
        "graves": [_create(api, "scattered_graves", FRAME.pt(350 + 50 * i, -100 + 100 * j), status="to_move")
                   for i in range(4) for j in range(3)],
    }


def metric(geojson: dict[str, Any]) -> Any:
    return reproject(shape(geojson), "EPSG:4490", "EPSG:4550")


def draw_site(web: PageWatch) -> dict[str, Any]:
    """Draw the square vertex by vertex (closing on the first one); returns the geometry the page checked."""
    view(web, *ORIGIN, 18)
    web.page.click("#hc-draw-polygon")
    for x, y in [*CORNERS, CORNERS[0]]:
        click_at(web, *FRAME.ll(x, y))
        web.page.wait_for_timeout(300)  # separate clicks, not a double click
    wait_report(web, None)
    return web.page.evaluate("HC.siting.current().geometry")


def shown_distance(web: PageWatch, rule: str) -> float:
    row = web.page.locator(f'#hc-rules tr[data-rule="{rule}"]')
    return float(row.locator("td[data-distance]").get_attribute("data-distance"))


def step(web: PageWatch, to_status: str, note: str) -> None:
    """Press the candidate's next-step button, give a note and confirm."""
    item = web.page.locator("#hc-candidates li[data-candidate]", has_text=NAME)
    item.locator(f'button[data-next="{to_status}"]').click()
    web.page.fill("#hc-dialog textarea[name=note]", note)
    web.page.click('#hc-dialog [data-action="confirm-status"]')


def refusal(web: PageWatch, to_status: str) -> str:
    """Try a step that must be refused; the dialog's error line."""
    step(web, to_status, "再办一个环节")
    web.page.wait_for_function("document.querySelector('#hc-dialog .hc-form-error').textContent.length > 0")
    return web.page.locator("#hc-dialog .hc-form-error").inner_text()


def refused_text(other: str, last: str, step_title: str) -> str:
    return f"同一账号不能连续办理两个审批环节：上一环节“{last}”由 {other} 办理，“{step_title}”须由另一名审批人办理"


def test_the_planners_siting_journey(as_role: Any, scene: dict[str, Any], builtin_basemap: None,  # noqa: F811
                                     api: httpx.Client, tmp_path: Path) -> None:
    web = as_role("funeral_planner")  # signed in through the login page
    basemap = []
    web.page.on("response", lambda r: basemap.append(r.status) if "/basemap/" in r.url else None)
    open_siting(web)
    page = web.page

    # the built-in basemap answers, and the constraint layers near the view are on without a click
    assert page.evaluate("HC.layers.isVisible('roads') && HC.layers.isVisible('basic_farmland')")
    view(web, *ORIGIN, 16)
    page.wait_for_load_state("networkidle")
    assert basemap and set(basemap) <= {200, 304}  # drawn by the service (304: the browser's copy is current)
    show_tiles(web, "roads")

    # draw the site beside the road (a vector-tile layer) and read its report
    drawn = draw_site(web)
    site = metric(drawn)
    assert abs(site.area - 40_000) < 400  # the 200 m square, as clicked at z18 (0.45 m a pixel)
    road_edge = site.distance(LineString([reproject(shape({"type": "Point", "coordinates": p}), "EPSG:4490",
                                                    "EPSG:4550").coords[0] for p in scene["road_line"]])) - 14 / 2
    farmland = site.distance(metric(FRAME.rect(FARMLAND_X, -200, 600, 200)))
    assert round(road_edge) == 513 and round(farmland) == 200  # to the metre, as planned
    assert page.locator("#hc-verdict").inner_text() == "合规"
    assert abs(shown_distance(web, "highway.national") - road_edge) <= 0.06  # shown to the decimetre
    assert abs(shown_distance(web, "basic_farmland") - farmland) <= 0.06
    national = page.locator('#hc-rules tr[data-rule="highway.national"]')
    assert "通过" in national.inner_text() and "旅程国道" in national.inner_text()
    assert f"{shown_distance(web, 'highway.national'):.1f} 米" in national.inner_text()
    assert "南坡村" in page.locator("#hc-report").inner_text()
    web.shot("j-siting-report")

    # the same square as a file: the same findings
    upload = tmp_path / "南坡选址.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "南坡"}, "geometry": drawn}]}), encoding="utf-8")
    before = page.get_attribute("body", "data-report")
    page.set_input_files("#hc-upload", str(upload))
    wait_report(web, before)
    assert page.locator("#hc-verdict").inner_text() == "合规"
    assert abs(shown_distance(web, "highway.national") - road_edge) <= 0.06

    # the report PDF, read back
    with page.expect_download() as download:
        page.click("#hc-report-pdf")
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    words = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                                   text=True).stdout.split())
    shown = shown_distance(web, "highway.national")
    assert f"距用地边缘{shown:,.1f}米" in words and "宽14米" in words
    assert "公墓选址合规检查报告" in words and "南坡村" in words and "旅程国道" in words
    assert "检查人殡葬规划账号" in words and "funeral_planner" not in words  # the account by its role's title

    # 保存为候选地: disabled while saving, two quick clicks make one candidate
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith(
        "/api/siting/candidates") else None)
    page.evaluate("""() => { const send = window.fetch; window.hcSaveDisabled = [];
      window.fetch = function (url, options) {
        if (String(url).endsWith('/api/siting/candidates') && options && options.method === 'POST') {
          window.hcSaveDisabled.push(document.querySelector('#hc-dialog [data-action="save-candidate"]').disabled);
        }
        return send.apply(this, arguments); }; }""")
    before_count = len(api.get("/api/siting/candidates", params={"village": VILLAGE}).json())
    page.click("#hc-save")
    page.fill("#hc-dialog input[name=name]", NAME)
    page.locator('#hc-dialog [data-action="save-candidate"]').dblclick()
    item = page.locator("#hc-candidates li[data-candidate]", has_text=NAME)
    item.wait_for()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.hcSaveDisabled") == [True]
    assert len(posts) == 1
    saved = api.get("/api/siting/candidates", params={"village": VILLAGE}).json()
    assert len(saved) == before_count + 1 and [c["name"] for c in saved].count(NAME) == 1
    assert page.locator("#hc-save").is_disabled()

    # the approval steps: never two in a row by one account
    step(web, "township_review", "提交乡镇审核")
    page.wait_for_selector('#hc-candidates li[data-status="township_review"]')
    assert refusal(web, "county_approval") == refused_text("殡葬规划账号", "乡镇审核", "县民政局审批")
    page.click('#hc-dialog button:has-text("取消")')
    admin = as_role("admin")
    open_siting(admin)
    step(admin, "county_approval", "县局同意")
    admin.page.wait_for_selector('#hc-candidates li[data-status="county_approval"]')
    assert refusal(admin, "under_construction") == refused_text("系统管理员账号", "县民政局审批", "建设中")
    admin.page.click('#hc-dialog button:has-text("取消")')
    open_siting(web)
    step(web, "under_construction", "开工")
    page.wait_for_selector('#hc-candidates li[data-status="under_construction"]')
    open_siting(admin)
    step(admin, "in_use", "建成使用")
    admin.page.wait_for_selector('#hc-candidates li[data-status="in_use"]')
    done = admin.page.locator("#hc-candidates li[data-candidate]", has_text=NAME)
    assert done.locator('[data-step-by="county_approval"]').inner_text().startswith("县民政局审批：系统管理员账号（")
    assert done.locator('[data-step-by="under_construction"]').inner_text().startswith("建设中：殡葬规划账号（")
    candidate = next(c for c in api.get("/api/siting/candidates", params={"village": VILLAGE}).json()
                     if c["name"] == NAME)
    events = api.get(f"/api/siting/candidates/{candidate['id']}").json()["events"]
    assert [(e["to_status"], e["by"]) for e in events] == [
        ("candidate", "funeral_planner"), ("township_review", "funeral_planner"), ("county_approval", "admin"),
        ("under_construction", "funeral_planner"), ("in_use", "admin")]
    admin.shot("j-siting-approved")

    # a grave acted on from the map: 12 in the farmland, one cluster at z13, one grave's popup at z18
    open_siting(web)
    view(web, *FRAME.ll(425, 0), 13)
    page.check("#hc-tog-graves")
    cluster = page.locator(".hc-cluster", has_text="12")
    cluster.wait_for()
    assert cluster.inner_text().strip() == "12"
    cluster.click()
    page.wait_for_function("HC.siting.map.getZoom() >= 16")
    grave = scene["graves"][0]
    view(web, *FRAME.ll(350, -100), 18)
    click_at(web, *FRAME.ll(350, -100))
    popup = page.locator(f'.hc-grave-popup[data-grave="{grave}"]')
    popup.wait_for()
    assert popup.locator("strong").inner_text() == f"散埋乱葬 · 南坡村（编号 {grave}，1 座）"
    popup.locator('input[name="reason"]').fill("已迁入南坡公墓")
    popup.locator('button[data-grave-status="moved"]').click()
    page.wait_for_selector(".hc-toast-ok")
    got = api.get(f"/api/layers/scattered_graves/features/{grave}").json()["properties"]
    assert (got["status"], got["status_reason"], got["version"]) == ("moved", "已迁入南坡公墓", 2)
    web.shot("j-siting-grave")
    # the grave's record: who moved it, by the account's title (not its code)
    page.goto(f"{web.base}/features/scattered_graves/{grave}")
    latest = page.locator("#hc-history li[data-version='2'] .hc-history-who")
    latest.wait_for()
    assert latest.inner_text() == "殡葬规划账号"
