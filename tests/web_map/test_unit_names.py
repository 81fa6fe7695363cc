"""Issue 16: the pages named a township code with a request per code (GET /api/layers/townships/features
?code=…), one more round trip for every popup and record page. The names now come with the layer's
description the page loads once per layer (layers/labels.py): the township is named, 名称（代码）, with no
request for it. No JS errors, nothing leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

NAMED = "示例街道（210381001）"  # the seed's township: its village 样板村 and place name 示例村 lie in it


def watch(web: Any) -> list[str]:
    sent: list[str] = []
    web.page.on("request", lambda r: sent.append(r.url) if "/api/layers/" in r.url else None)
    return sent


@pytest.mark.parametrize("layer", ["place_names", "villages"])
def test_a_record_page_names_the_township_in_its_one_description(web: Any, seed: dict[str, int], layer: str) -> None:
    sent = watch(web)
    web.page.goto(f"{web.base}/features/{layer}/{seed[layer]}")  # a record page sets no HC.ready
    cell = web.page.locator("tr[data-field='township_code'] td")
    cell.wait_for()
    assert cell.inner_text() == NAMED
    web.page.wait_for_load_state("networkidle")
    assert [u for u in sent if "/townships/features" in u and "code=" in u] == []
    assert len([u for u in sent if u.endswith(f"/api/layers/{layer}")]) == 1  # the description, once
