"""The case office's coverage job in Chromium, end to end (issue 16 item 6): sign in through /login →
one section at a time on the map under its own legend → the uncovered list filtered by township then
village, scrolling inside its panel → a village clicked on the map for its figures → the list narrowed
to it from the popup → a 儿童主任 registered with the township → village picker. Then a viewer: the
same village's figures are the published ones (fewer than 5 households are not shown), no list, no filter.

Hand-made scene (committed in gis_browser, north-west of the other browser scenes): township 170 with
village 001 (8 临时救助 households) and 002 (3), township 171 with village 001 (6) — a category no other
browser test uses; no 幸福院 anywhere there, so every one of them is uncovered. Zero JS errors, zero
requests outside 127.0.0.1 (``as_role``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.utils.frame import LocalFrame
from tests.web_map.conftest import _create, token

ORIGIN = (122.60, 40.80)
TA, TB = "210381170", "210381171"
VA1, VA2, VB1 = TA + "001", TA + "002", TB + "001"
FRAME = LocalFrame(*ORIGIN)


@pytest.fixture(scope="session")
def journey_scene(api: httpx.Client) -> None:
    rect, pt = FRAME.rect, FRAME.pt
    _create(api, "townships", rect(-3000, -2000, 3000, 0), code=TA, name="旅程甲镇", kind="town")
    _create(api, "townships", rect(-3000, 0, 3000, 2000), code=TB, name="旅程乙镇", kind="town")
    _create(api, "villages", rect(-3000, -2000, 0, 0), code=VA1, name="甲镇一村", township_code=TA)
    _create(api, "villages", rect(0, -2000, 3000, 0), code=VA2, name="甲镇二村", township_code=TA)
    _create(api, "villages", rect(-3000, 0, 3000, 2000), code=VB1, name="乙镇一村", township_code=TB)
    for village, x, y, n in ((VA1, -1500, -1000, 8), (VA2, 1500, -1000, 3), (VB1, 0, 1000, 6)):
        for i in range(n):
            _create(api, "households", pt(x + i * 40, y), head_name=f"旅{village[-3:]}{i}",
                    categories=["temporary_relief"], village_code=village)


def wait_count(web: Any, expected: int) -> None:
    web.page.wait_for_function(
        "n => { const c = document.getElementById('hc-list-count'); return c && c.dataset.matched === String(n); }",
        arg=expected)


def click_village(web: Any, code: str) -> Any:
    """Centre the map on the village and click its shape; returns the figures popup."""
    lon, lat = FRAME.ll(1500 if code == VA2 else -1500, -1000)
    web.page.evaluate("ll => HC.coverage.map.setView(ll, 14, {animate: false})", [lat, lon])
    web.page.locator(f"path.hc-choro-{code}").dispatch_event("click")
    popup = web.page.locator(f".hc-village-figures[data-code='{code}']")
    popup.wait_for()
    return popup


def test_case_office_coverage_journey(as_role: Any, journey_scene: None, live_server: str) -> None:
    web = as_role("case_worker")
    web.open("/coverage")
    page = web.page
    page.wait_for_selector("body[data-sections='ready']")
    assert page.get_attribute("#hc-legend", "data-legend") == "choropleth"
    assert page.locator(f"path.hc-choro-{VA1}").count() == 1

    # one section on the map at a time, with its own legend; the choropleth steps aside meanwhile
    page.locator("#hc-sec-children summary").click()
    page.wait_for_selector("#hc-sec-children[data-state='ready']")
    assert page.get_attribute("#hc-legend", "data-legend") == "children"
    assert "缺儿童主任的村" in page.inner_text("#hc-legend")
    assert page.locator("path.hc-choro").count() == 0
    assert page.locator(f"path.hc-gap-director-{VA1}").count() == 1
    assert page.locator(f"#hc-gap-villages tr[data-code='{VA1}'] td").last.inner_text() == f"旅程甲镇　{TA}"
    page.locator("#hc-sec-shelters summary").click()
    page.wait_for_selector("#hc-sec-shelters[data-state='ready']")
    page.wait_for_function("!document.getElementById('hc-sec-children').open")
    assert page.get_attribute("#hc-legend", "data-legend") == "shelters"
    assert page.locator("path.hc-gap-director").count() == 0  # the children section's overlays left with it
    page.locator("#hc-sec-shelters summary").click()
    page.wait_for_function("document.getElementById('hc-legend').dataset.legend === 'choropleth'")
    assert "未覆盖户数（按村）" in page.inner_text("#hc-legend")
    assert page.locator(f"path.hc-choro-{VA1}").count() == 1

    # the uncovered list: filtered by township, then village; it scrolls inside the panel
    page.select_option("#hc-category", "temporary_relief")
    wait_count(web, 17)
    page.select_option("#hc-list-township", TA)
    wait_count(web, 11)
    assert page.locator("#hc-list-village option").count() == 3  # 全部村 + the township's two villages
    assert page.locator(f"#hc-list-village option[value='{VA1}']").inner_text() == f"甲镇一村　{VA1}"
    page.select_option("#hc-list-village", VA1)
    wait_count(web, 8)
    assert page.locator("#hc-people tbody tr").count() == 8
    # the village by its name, the code beside (was the bare 12-digit code under 村代码)
    assert page.locator("#hc-people tbody tr").first.locator("td").last.inner_text() == f"甲镇一村　{VA1}"
    assert "甲镇一村" in page.inner_text("#hc-list-count")
    assert VA1 in page.get_attribute("#hc-export-list", "href")
    page.select_option("#hc-list-township", "")
    wait_count(web, 17)
    wrap = page.locator("#hc-list-box .hc-table-wrap").bounding_box()
    side = page.locator("#hc-side").bounding_box()
    assert wrap["x"] >= side["x"] and wrap["x"] + wrap["width"] <= side["x"] + side["width"]
    assert wrap["height"] <= 342  # long lists scroll inside their box, not down the panel

    # a village on the map: its figures, and its list in one click
    popup = click_village(web, VA2)
    text = popup.inner_text()
    assert f"甲镇二村　{VA2}" in text and f"旅程甲镇　{TA}" in text
    assert "困难群众户\t3 户" in text and "未覆盖\t3 户" in text and "覆盖率\t0.0%" in text
    popup.locator("#hc-village-list").click()
    wait_count(web, 3)
    assert page.input_value("#hc-list-village") == VA2 and page.input_value("#hc-list-township") == TA
    web.shot("j-coverage-case-office-list")

    # a 儿童主任 for 甲镇一村, picked by name (township → village), never a typed code
    page.locator("#hc-sec-children summary").click()
    page.wait_for_selector("#hc-sec-children[data-state='ready']")
    assert page.locator("#hc-officer-unit").count() == 0
    page.select_option("#hc-officer-role", "director")
    page.select_option("#hc-officer-township", TA)
    option = page.locator(f"#hc-officer-village option[value='{VA1}']")
    assert option.inner_text() == f"甲镇一村　{VA1}（缺）"
    page.select_option("#hc-officer-village", VA1)
    page.fill("#hc-officer-name", "旅小红")
    page.click("#hc-officer-save")
    page.locator(f"#hc-officers tr[data-unit='{VA1}']").wait_for()
    page.wait_for_selector("#hc-sec-children[data-state='ready']")
    assert page.locator(f"path.hc-gap-director-{VA1}").count() == 0
    worker = httpx.Client(base_url=live_server, headers=token(live_server, "case_worker"), timeout=20)
    rows = worker.get("/api/coverage/child-welfare/officers", params={"unit_code": VA1}).json()["rows"]
    assert [(r["role"], r["unit_code"]) for r in rows] == [("director", VA1)]
    # a supervisor is for a township: no village to pick
    page.select_option("#hc-officer-role", "supervisor")
    assert page.locator("#hc-officer-village").is_hidden()
    web.shot("j-coverage-officer")

    # a viewer: published figures only (3 households are fewer than 5), no list and no filter
    viewer = as_role("viewer")
    viewer.open("/coverage")
    viewer.page.wait_for_selector("#hc-sec-list[data-state='forbidden']")
    assert viewer.page.locator("#hc-list-filter").is_hidden()
    small = click_village(viewer, VA2).inner_text()
    assert "少于 5 户，不显示" in small and "3 户" not in small
    assert viewer.page.locator("#hc-village-list").count() == 0
    viewer.page.keyboard.press("Escape")
    big = click_village(viewer, VA1).inner_text()
    assert "未覆盖\t8 户" in big
