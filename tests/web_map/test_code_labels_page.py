"""Issue 16 item 3: a place name's record page shows its class as 名称（代码）, not the bare code 06100
(the names come with the layer's description, layers/labels.py). No JS errors, nothing leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any

from tests.utils.browser import CENTER
from tests.web_map.conftest import _create, _pt


def test_place_name_page_names_its_class(web: Any, seed: dict[str, int]) -> None:
    web.page.goto(f"{web.base}/features/place_names/{seed['place_names']}")  # a record page sets no HC.ready
    cell = web.page.locator("tr[data-field='class_code'] td")
    cell.wait_for()
    assert cell.inner_text() == "自然村（06100）"


def test_a_markers_reference_objects_read_as_words_not_json(web: Any, api: Any, seed: dict[str, int]) -> None:
    """方位物 were shown as JSON ({"name": "独立树", "bearing_deg": 45, …}): English keys on the page."""
    refs = [{"name": "独立树", "bearing_deg": 45, "distance_m": 12.5}, {"name": "水井", "bearing_deg": 180.5,
                                                                     "distance_m": 30}]
    marker = _create(api, "boundary_markers", _pt(CENTER[0] + 0.001, CENTER[1] + 0.01), line_id=seed["boundary_lines"],
                     number="020Q", marker_type="single", reference_objects=refs)
    web.page.goto(f"{web.base}/features/boundary_markers/{marker}")
    cell = web.page.locator("tr[data-field='reference_objects'] td")
    cell.wait_for()
    assert cell.inner_text() == "独立树（方位 45°，距离 12.5 米）、水井（方位 180.5°，距离 30 米）"
