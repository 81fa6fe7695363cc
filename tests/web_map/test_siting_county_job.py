"""Issue 18: the siting page runs the county suitable-land background job from a button, shows its
progress and then draws the result on the map, named by township and village (issue 16: no bare
codes). No JS errors, nothing leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any


def test_county_suitable_land_job_from_the_siting_page(as_role: Any, api: Any) -> None:
    web = as_role("funeral_planner")
    web.open("/siting")
    web.page.click("#hc-county-suitable")
    box = web.page.locator("#hc-county-job[data-job-status='done']")
    box.wait_for(timeout=60_000)
    assert box.locator("progress").get_attribute("value") == "1"
    assert box.locator(".hc-job-text").inner_text().strip() == "已完成"
    stored = api.get("/api/siting/suitable/county").json()
    features = stored["features"]
    assert features, "the seed has room for a cemetery somewhere"
    assert all(f["properties"]["village_name"] for f in features)
    web.page.wait_for_function("document.getElementById('hc-county-note').textContent.length > 0")
    villages = {f["properties"]["village_code"] for f in features}
    note = web.page.locator("#hc-county-note").inner_text()
    assert note.startswith(f"（全市可选址用地 {len(features)} 块，分布在 {len(villages)} 个村，共 ")
    assert web.page.locator("path.hc-suitable-county").count() == len(features)
    assert not web.page.locator("#hc-county-suitable").is_disabled()


def test_the_button_is_only_for_planners(as_role: Any) -> None:
    web = as_role("viewer")
    web.open("/siting")
    assert web.page.locator("#hc-county-suitable").count() == 0
