"""Driving the siting page (/siting) in the browser: open it, move its map, click on it, wait for a report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.web_map.conftest import PageWatch


def open_siting(web: PageWatch) -> None:
    web.page.goto(web.base + "/siting")
    web.page.wait_for_function("window.HC && HC.ready === true")


def click_at(web: PageWatch, lon: float, lat: float) -> None:
    point = web.page.evaluate(f"HC.siting.map.latLngToContainerPoint([{lat}, {lon}])")
    box = web.page.locator("#hc-map").bounding_box()
    web.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def view(web: PageWatch, lon: float, lat: float, zoom: int) -> None:
    web.page.evaluate(f"HC.siting.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")


def wait_report(web: PageWatch, before: str | None) -> None:
    web.page.wait_for_function("b => document.body.getAttribute('data-report') !== b", arg=before)
