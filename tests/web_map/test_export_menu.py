"""The export menu of the layer list: a file downloaded through the page, with the range and filter chosen."""

from __future__ import annotations

from typing import Any

import httpx

from tests.exports.readback import read_back
from tests.utils.browser import download
from tests.web_map.conftest import CENTER, token

LON, LAT = CENTER


def open_menu(web: Any, layer: str) -> None:
    web.open()
    web.page.evaluate(f"HC.map.setView([{LAT}, {LON}], 15, {{animate: false}})")
    assert web.page.locator("#hc-panel").is_visible()  # open from the start on a desktop
    web.page.click(f'[data-export="{layer}"]')
    web.page.wait_for_selector("#hc-dialog .hc-export")


def test_a_case_worker_downloads_households_filtered_by_category(as_role: Any, live_server: str,
                                                                  seed: dict[str, int]) -> None:
    web = as_role("case_worker")
    open_menu(web, "households")
    assert web.page.locator("#hc-dialog h2").inner_text() == "导出“困难群众户”"
    web.page.select_option("#hc-export-format", "csv")
    assert web.page.locator('[data-row="encoding"]').is_visible()
    web.page.select_option("#hc-export-range", "all")
    web.page.select_option("#hc-export-field", "categories")
    web.page.select_option("#hc-export-value", "dibao")
    name, content = download(web)
    assert name == "困难群众户.csv"
    labels, rows = read_back("csv", content)
    with httpx.Client(base_url=live_server, headers=token(live_server, "case_worker"), timeout=20) as api:
        expected = api.get("/api/layers/households/features", params={"categories": "dibao", "limit": 1000}).json()
    assert sorted(int(r["id"]) for r in rows) == sorted(f["id"] for f in expected["features"])
    assert seed["households"] in [int(r["id"]) for r in rows] and labels[1] == "户主姓名"
    assert next(r for r in rows if int(r["id"]) == seed["households"])["head_name"] == "示**"
    progress = web.page.locator("#hc-export-progress")
    assert progress.is_visible() and progress.get_attribute("value") == progress.get_attribute("max")
    assert web.page.locator("#hc-export-status").inner_text().startswith("已导出：困难群众户.csv")
    web.shot("export-menu-households")


def test_the_map_view_is_the_default_range(as_role: Any, api: httpx.Client, seed: dict[str, int]) -> None:
    web = as_role("admin")
    open_menu(web, "shelters")
    assert not web.page.locator('[data-row="encoding"]').is_visible()  # XLSX: no encoding choice
    bbox = web.page.evaluate("HC.layers.bbox()")
    name, content = download(web)
    assert name == "应急避难场所.xlsx"
    _, rows = read_back("xlsx", content)
    expected = api.get("/api/layers/shelters/features", params={"bbox": bbox, "limit": 1000}).json()
    assert [r["id"] for r in rows] == [f["id"] for f in expected["features"]]
    assert seed["shelters"] in [r["id"] for r in rows]
