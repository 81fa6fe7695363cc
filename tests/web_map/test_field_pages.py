"""The phone field form and the inspection pages in a real browser.

A boundary surveyor on a phone (390×844, touch, geolocation granted) loses the network, records a
marker's condition with a photo (kept in IndexedDB), comes back online (sent once), reloads (not sent
again); the campaign page then shows the record with its photo arrived and a displacement arrow; the
campaign list's map colours lines by inspection status. Data is made through the API on gis_browser.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.utils.inspections import jpeg, moved
from tests.web_map.conftest import OUTPUT, PageWatch, new_context, sign_in

START, END = (122.78, 40.88), (122.80, 40.885)
COLOURS = {"overdue": "#d62728", "due": "#f28e2b", "done": "#2ca02c"}


def _create(api: httpx.Client, layer: str, geometry: dict[str, Any], **properties: Any) -> int:
    response = api.post(f"/api/layers/{layer}/features",
                        json={"type": "Feature", "geometry": geometry, "properties": properties})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _line(api: httpx.Client, name: str, shift: float, next_date: date) -> int:
    coords = [[START[0], START[1] + shift], [END[0], END[1] + shift]]
    return _create(api, "boundary_lines", {"type": "LineString", "coordinates": coords}, name=name,
                   line_level="township", side_a="甲镇", side_b="乙镇", next_inspection_date=next_date.isoformat())


@pytest.fixture(scope="module")
def scene(api: httpx.Client) -> dict[str, Any]:
    """Three lines (overdue, due within a year, done) and a campaign on the due one with two markers."""
    today = date.today()
    lines = {"overdue": _line(api, "联检逾期界线", 0.0, today - timedelta(days=30)),
             "due": _line(api, "联检待检界线", 0.01, today + timedelta(days=100)),
             "done": _line(api, "联检已检界线", 0.02, today + timedelta(days=1000))}
    markers = []
    for i, t in enumerate((0.3, 0.7)):
        lon, lat = START[0] + (END[0] - START[0]) * t, START[1] + 0.01 + (END[1] - START[1]) * t
        markers.append({"id": _create(api, "boundary_markers", {"type": "Point", "coordinates": [lon, lat]},
                                      line_id=lines["due"], number=f"{i + 1:03d}Q", marker_type="single"),
                        "lon": lon, "lat": lat})
    campaign = api.post("/api/inspections/campaigns", json={
        "name": "甲镇—乙镇界线联检（浏览器测试）", "year": today.year, "round": 1, "line_ids": [lines["due"]],
        "team_a": {"side": "甲镇", "leader": "王一"}, "team_b": {"side": "乙镇", "leader": "赵三"}})
    assert campaign.status_code == 201, campaign.text
    return {"lines": lines, "markers": markers, "campaign": campaign.json()["id"]}


@pytest.fixture
def phone_position() -> dict[str, float]:
    """The phone (tests/utils/browser.py) stands at the lines' west end."""
    return {"longitude": START[0], "latitude": START[1]}


def _full(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # the fixed top bar stays on top of a full-page shot
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def test_field_form_offline_queue_sends_once(phone: PageWatch, api: httpx.Client, scene: dict[str, Any]) -> None:
    page, campaign = phone.page, scene["campaign"]
    marker = scene["markers"][0]
    posts: list[str] = []
    page.on("requestfinished",  # requests that reached the server (not those refused offline)
            lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/records") else None)
    phone.open(f"/field?campaign={campaign}")
    assert page.input_value("#fd-campaign") == str(campaign)
    at = moved(marker["lon"], marker["lat"], 1.5, 0.0)  # 1.5 m east of the registered position
    page.context.set_geolocation({"longitude": at[0], "latitude": at[1], "accuracy": 0.02})
    page.context.set_offline(True)
    page.wait_for_function("document.getElementById('fd-net').dataset.online === 'false'")
    page.click("#fd-locate")
    first = page.locator("#fd-markers input[name=marker]").first
    first.wait_for()
    assert first.get_attribute("value") == str(marker["id"])  # nearest, from the cached markers while offline
    page.check("input[name=condition][value=displaced]")
    page.fill("#fd-notes", "疑被车辆撞击，向东偏移")
    page.set_input_files("#fd-photos", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    page.wait_for_selector("#fd-photo-list li")
    page.check("#fd-use-position")
    page.click("#fd-save")
    page.wait_for_selector("#fd-queue li[data-state='queued']")
    assert page.locator("#fd-queue li").count() == 1 and posts == []
    assert api.get(f"/api/inspections/campaigns/{campaign}/records").json() == []
    _full(page, "field-01-offline-queued")

    page.context.set_offline(False)
    sent = page.locator("#fd-queue li[data-state='sent']")
    sent.wait_for(timeout=30_000)
    assert "照片已到达 1/1" in sent.inner_text()
    record_id = int(sent.get_attribute("data-record-id"))
    _full(page, "field-02-online-sent")

    page.reload()
    page.wait_for_function("window.HC && HC.ready === true")
    page.wait_for_timeout(500)
    assert page.locator("#fd-queue li[data-state='sent']").count() == 1
    assert posts == [f"{phone.base}/api/inspections/campaigns/{campaign}/records"]  # sent exactly once
    records = api.get(f"/api/inspections/campaigns/{campaign}/records").json()
    assert [r["id"] for r in records] == [record_id]
    record = records[0]
    assert record["condition"] == "displaced" and record["notes"] == "疑被车辆撞击，向东偏移"
    assert record["photos"]["arrived"] == 1 and record["photos"]["expected"] == 1
    assert record["displacement_m"] == pytest.approx(1.5, abs=0.02) and record["exceeds_tolerance"] is True
    _full(page, "field-03-reloaded-not-resent")

    # the campaign page shows the record, its photo arrived (thumbnail loads) and the displacement arrow
    phone.open(f"/inspections/{campaign}")
    row = page.locator(f"#ins-records tr[data-record='{record_id}']")
    assert "移位" in row.inner_text() and "已到达 1/1" in row.inner_text() and "超限" in row.inner_text()
    thumb = row.locator("img[data-photo]")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.locator(".hc-arrow-bad").count() == 1
    assert page.locator(f"path.hc-marker-id-{marker['id']}").get_attribute("fill") == "#9467bd"  # 移位
    _full(page, "field-04-campaign-phone")


def test_campaign_list_colours_lines_by_status(browser: Any, live_server: str, scene: dict[str, Any]) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, live_server, "viewer")
    watch = PageWatch(page, live_server)
    try:
        watch.open("/inspections")
        for status, line_id in scene["lines"].items():
            path = page.locator(f"path.hc-line-id-{line_id}")
            assert path.get_attribute("stroke") == COLOURS[status], status
            assert f"hc-line-{status}" in path.get_attribute("class")
        row = page.locator(f"#ins-campaigns tr[data-id='{scene['campaign']}']")
        assert "联检待检界线" in row.inner_text() and row.locator("a[href^='/field']").count() == 0  # viewer
        watch.shot("field-05-inspections-list")
        watch.open(f"/inspections/{scene['campaign']}")
        line = page.locator(f"#ins-lines tr[data-line='{scene['lines']['due']}']")
        assert line.get_attribute("data-status") == "due" and "乡级界线" in line.inner_text()
        links = page.eval_on_selector_all("#ins-downloads a", "as => as.map(a => a.getAttribute('href'))")
        assert any(h.endswith("/package.gpkg") for h in links) and any(h.endswith("/report.pdf") for h in links)
        response = page.request.get(live_server + next(h for h in links if h.endswith("/package.gpkg")))
        assert response.status == 200 and response.body()[:15] == b"SQLite format 3"
        _full(page, "field-06-campaign-desktop")
        watch.open("/field")
        assert page.locator("#fd-save").is_disabled()  # viewers only look
    finally:
        context.close()
    watch.assert_clean()


def test_campaign_list_on_a_phone(phone: PageWatch, scene: dict[str, Any]) -> None:
    """The task table scrolls sideways instead of squeezing the name to a character per line."""
    page = phone.page
    phone.open("/inspections")
    name = page.locator(f"#ins-campaigns tr[data-id='{scene['campaign']}'] td").first
    assert name.bounding_box()["width"] >= 100
    last = page.locator("#ins-campaigns th", has_text="位移超限")
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    last.evaluate("th => th.closest('.hc-scroll').scrollLeft = 0")
    name.scroll_into_view_if_needed()
    phone.shot("field-07-inspections-phone")


def test_phone_form_small_map_shows_the_marker_and_my_position(phone: PageWatch, scene: dict[str, Any]) -> None:
    """Issue 16 item 5: the phone form has a small map with the chosen marker and the phone's position."""
    page, marker = phone.page, scene["markers"][1]
    phone.open(f"/field?campaign={scene['campaign']}")
    at = moved(marker["lon"], marker["lat"], 30.0, 40.0)  # 50 m from the marker
    page.context.set_geolocation({"longitude": at[0], "latitude": at[1], "accuracy": 5})
    page.click("#fd-locate")
    page.locator("#fd-markers input[name=marker]").first.wait_for()
    assert page.locator("#fd-map").is_visible()
    assert page.locator("#fd-map .fd-map-marker").count() == 1 and page.locator("#fd-map .fd-map-me").count() == 1
    assert page.locator("#fd-map .leaflet-tooltip").first.inner_text() == "002Q 号界桩"
    note = page.locator("#fd-map-note").inner_text()
    assert note.startswith("我的位置距 002Q 号界桩约 ") and 49.5 <= float(note.split("约 ")[1].split(" 米")[0]) <= 50.5
    # both dots inside the small map's box
    box = page.locator("#fd-map").bounding_box()
    for selector in ("#fd-map .fd-map-marker", "#fd-map .fd-map-me"):
        dot = page.locator(selector).bounding_box()
        assert box["x"] <= dot["x"] and dot["x"] + dot["width"] <= box["x"] + box["width"]
        assert box["y"] <= dot["y"] and dot["y"] + dot["height"] <= box["y"] + box["height"]
    # choosing the other marker moves the map to it
    page.check(f"#fd-markers input[value='{scene['markers'][0]['id']}']")
    page.wait_for_function("document.getElementById('fd-map-note').textContent.indexOf('001Q') >= 0")
    assert page.locator("#fd-map .leaflet-tooltip").first.inner_text() == "001Q 号界桩"
    _full(page, "field-05-small-map")
