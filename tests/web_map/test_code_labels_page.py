"""Issue 16 item 3: a place name's record page shows its class as 名称（代码）, not the bare code 06100
(the names come with the layer's description, layers/labels.py). No JS errors, nothing leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any


def test_place_name_page_names_its_class(web: Any, seed: dict[str, int]) -> None:
    web.page.goto(f"{web.base}/features/place_names/{seed['place_names']}")  # a record page sets no HC.ready
    cell = web.page.locator("tr[data-field='class_code'] td")
    cell.wait_for()
    assert cell.inner_text() == "自然村（06100）"
