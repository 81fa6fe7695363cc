"""The 待办 count on the top bar and the /changes page in Chromium, with the real background worker: a road
upgraded through the API is re-checked without anyone asking, the planner sees the item, acknowledges it.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import text

from tests.web_map.conftest import CENTER

FAR = (CENTER[0] + 0.2, CENTER[1] + 0.1)  # away from the other tests' features


def settled(api: httpx.Client, since: str) -> None:
    """Wait for the background worker to process every change since ``since`` (it is woken by them)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        changes = api.get("/api/changes", params={"since": since}).json()["changes"]
        if changes and all(c["processed"] for c in changes):
            return
        time.sleep(0.2)
    raise AssertionError("the compliance worker did not process the changes")


def test_the_planner_sees_a_new_violation_on_the_top_bar_and_acknowledges_it(api: httpx.Client, as_role: Any,
                                                                            browser_db: Any) -> None:
    with browser_db.connect() as conn:
        since = conn.execute(text("SELECT to_char(now(), 'YYYY-MM-DD\"T\"HH24:MI:SS.USOF')")).scalar_one() + ":00"
    lon, lat = FAR
    road = api.post("/api/layers/roads/features", json={"type": "Feature", "properties": {
        "name": "待办测试县道", "road_class": "county"},
        "geometry": {"type": "LineString", "coordinates": [[lon - 0.02, lat], [lon + 0.02, lat]]}})
    assert road.status_code == 201, road.text
    ring = [[lon, lat + 0.003], [lon + 0.001, lat + 0.003], [lon + 0.001, lat + 0.004], [lon, lat + 0.004],
            [lon, lat + 0.003]]  # ≈ 333 m north: outside the county road's 200 m, inside a provincial road's 500 m
    cemetery = api.post("/api/layers/cemeteries/features", json={"type": "Feature", "properties": {
        "name": "待办测试公墓", "cemetery_type": "village_public", "status": "existing"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}})
    assert cemetery.status_code == 201, cemetery.text
    settled(api, since)
    upgraded = api.patch(f"/api/layers/roads/features/{road.json()['id']}", headers={"If-Match": '"1"'},
                         json={"properties": {"road_class": "provincial"}})
    assert upgraded.status_code == 200, upgraded.text
    settled(api, since)

    web = as_role("funeral_planner")
    web.open("/")
    mine = web.page.evaluate("fetch('/api/compliance/todo?limit=200').then(r => r.json())")
    (item,) = [i for i in mine["items"] if i["record_layer"] == "cemeteries"
               and i["record_id"] == cemetery.json()["id"]]
    assert (item["rule"], item["cause_id"], item["state"]) == ("highway.provincial", road.json()["id"], "open")
    web.page.wait_for_selector("#hc-todo:not([hidden])")
    assert web.page.text_content("#hc-todo-count") == str(mine["count"])
    web.page.click("#hc-todo")
    web.page.wait_for_function("window.HC && HC.ready === true")
    row = web.page.locator(f"#hc-todo-table tr[data-id='{item['id']}']")
    assert "待办测试公墓" in row.text_content() and "省道" in row.text_content()
    row.locator("input").fill("已通知乡镇核实")
    row.locator(".hc-ack").click()
    web.page.wait_for_selector(f"#hc-todo-table tr[data-id='{item['id']}'] >> text=已知悉")
    web.shot("95-todo-changes-page")
    assert web.page.text_content("#hc-todo-count") == str(mine["count"] - 1)

    viewer = as_role("viewer")
    viewer.open("/")
    viewer.page.wait_for_load_state("networkidle")
    assert viewer.page.locator("#hc-todo").is_hidden()


def test_a_candidate_sites_item_link_opens_its_report_on_the_siting_page(api: httpx.Client, as_role: Any,
                                                                         seed: dict[str, int]) -> None:
    lon, lat = CENTER[0] - 0.02, CENTER[1] - 0.015  # in the seed's 样板村
    ring = [[lon, lat], [lon + 0.0005, lat], [lon + 0.0005, lat + 0.0005], [lon, lat + 0.0005], [lon, lat]]
    saved = api.post("/api/siting/candidates", json={"name": "待办链接候选地",
                                                     "geometry": {"type": "Polygon", "coordinates": [ring]}})
    assert saved.status_code == 201, saved.text
    web = as_role("funeral_planner")
    web.open(f"/siting?candidate={saved.json()['id']}")  # the url a 待办 item of a candidate site carries
    web.page.wait_for_selector("#hc-report >> text=候选地“待办链接候选地”保存时的检查报告（冻结）")
