"""The viewer's map on a phone (issue 16): the whole county in view on load, the layer panel closed."""

from __future__ import annotations

from typing import Any

from layers.geometry import HAICHENG_EXTENT


def test_on_a_phone_the_county_fits_and_the_panel_is_closed(as_role: Any) -> None:
    web = as_role("viewer", (390, 844))
    web.open()
    west, south, east, north = web.page.evaluate(
        "(() => { const b = HC.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    assert west <= HAICHENG_EXTENT[0] and south <= HAICHENG_EXTENT[1]
    assert east >= HAICHENG_EXTENT[2] and north >= HAICHENG_EXTENT[3]
    assert web.page.evaluate("HC.map.getZoom()") == 9  # the largest zoom that holds it at 390 px
    assert not web.page.locator("#hc-panel").is_visible()
    web.shot("j20-viewer-phone")
