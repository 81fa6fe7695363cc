"""打印 on /coverage prints what the page shows (issue 16): the open section's overlays (a shelter's
service radius, household points for the case office) or the shaded villages, each under its legend
entry — and for a viewer nothing personal (no household point is sent nor printed). No JS errors,
nothing leaves 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.utils.browser import CENTER, print_sheet

LON, LAT = CENTER


def open_coverage(web: Any, zoom: int = 14) -> None:
    web.open("/coverage")
    web.page.wait_for_selector("body[data-sections='ready']")
    web.page.evaluate(f"HC.coverage.map.setView([{LAT}, {LON}], {zoom}, {{animate: false}})")


def open_section(web: Any, name: str) -> None:
    web.page.locator(f"#hc-sec-{name} summary").click()
    web.page.wait_for_selector(f"#hc-sec-{name}[data-state='ready']")


def test_case_office_prints_the_shelter_radius_and_household_points(as_role: Any, seed: dict[str, int],
                                                                   tmp_path: Path) -> None:
    web = as_role("case_worker")
    open_coverage(web)
    open_section(web, "shelters")
    body, words = print_sheet(web, tmp_path)
    radii = [o for o in body["overlays"] if o["title"].startswith("服务半径")]
    assert len(radii) == 1 and radii[0]["color"] == radii[0]["fill"]
    assert [round(f["radius_m"]) > 0 for f in radii[0]["features"]] == [True] * len(radii[0]["features"])
    assert radii[0]["title"] in words and "避难场所（" in words and "图例" in words
    assert not any("困难群众户" in o["title"] for o in body["overlays"])  # the points section is closed
    open_section(web, "points")
    web.page.wait_for_selector("path.hc-hh", state="attached")
    body, words = print_sheet(web, tmp_path)
    titles = {o["title"] for o in body["overlays"]}
    assert "未覆盖的困难群众户" in titles or "已覆盖的困难群众户" in titles
    assert not any(t.startswith("服务半径") for t in titles)  # one section on the map (and the sheet) at a time
    assert all(t in words for t in titles)
    assert all(set(f) == {"geometry"} for o in body["overlays"] for f in o["features"])  # geometry only


def test_a_viewer_prints_the_published_villages_and_nothing_personal(as_role: Any, seed: dict[str, int],
                                                                    tmp_path: Path) -> None:
    web = as_role("viewer")
    open_coverage(web, 12)
    assert web.page.locator("#hc-sec-points").count() == 0
    body, words = print_sheet(web, tmp_path)
    titles = [o["title"] for o in body["overlays"]]
    assert titles and all(t.startswith("未覆盖户数（按村）：") for t in titles), titles
    assert "1–4" not in "".join(titles)  # the viewer's legend has no 1–4 class (suppressed, grey)
    assert all(t.replace(" ", "") in words for t in titles)
    assert "困难群众户" not in words and "示例户" not in words
