"""打印 on the four map pages: the button opens the print dialog, 生成 sends the view and the visible
layers to /api/print, shows progress, then saves the sheet (issue 16, 'Print the map'). No JS errors,
nothing leaves 127.0.0.1."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest


@pytest.fixture(scope="module")
def campaign(api: Any, seed: dict[str, int]) -> int:
    created = api.post("/api/inspections/campaigns", json={
        "name": "打印测试联检", "year": date.today().year, "round": 1, "line_ids": [seed["boundary_lines"]]})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def print_sheet(web: Any, orientation: str = "landscape") -> tuple[str, bytes, str]:
    """Print the open page as an A4 PDF; returns (the layers line of the dialog, the file, the status line)."""
    web.page.click(".hc-print-button")
    form = web.page.locator(".hc-print-form")
    form.wait_for()
    form.locator("select[name=orientation]").select_option(orientation)
    layers = form.locator(".hc-print-layers").inner_text()
    with web.page.expect_download() as download:
        web.page.click(".hc-print-dialog .hc-primary")
    status = web.page.locator(".hc-print-status[data-done='1']")
    status.wait_for(timeout=30_000)
    return layers, open(download.value.path(), "rb").read(), status.inner_text()


def test_print_from_the_map_page(web: Any) -> None:
    web.open("/")
    box = web.page.locator("input[data-layer='shelters']")
    if not box.is_checked():
        box.check()
    layers, content, status = print_sheet(web)
    assert "应急避难场所" in layers
    assert content.startswith(b"%PDF") and status.startswith("已生成：A4 横向，比例尺 1:")


@pytest.mark.parametrize("path", ["/siting", "/coverage"])
def test_print_from_the_analysis_pages(web: Any, path: str) -> None:
    web.open(path)
    _layers, content, status = print_sheet(web, "portrait")
    assert content.startswith(b"%PDF") and status.startswith("已生成：A4 纵向，比例尺 1:")


def test_print_from_a_campaign_page(web: Any, campaign: int) -> None:
    web.open(f"/inspections/{campaign}")
    layers, content, status = print_sheet(web)
    assert layers == "图层：行政区域界线、界桩"
    assert content.startswith(b"%PDF") and status.startswith("已生成：A4 横向")
