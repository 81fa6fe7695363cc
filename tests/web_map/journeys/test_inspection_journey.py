"""The boundary surveyor's joint inspection, end to end in Chromium (issue 16): the field package is
downloaded from the campaign page, filled in as QField does, and uploaded through the page; the
records appear with arrows sized by their displacement, and a table row finds its marker on the map.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from tests.utils.inspections import moved
from tests.web_map.conftest import PageWatch, _create

START, END = (122.86, 40.76), (122.88, 40.765)  # away from the other tests' scenes
CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def campaign(api: httpx.Client) -> dict[str, Any]:
    line = _create(api, "boundary_lines", {"type": "LineString", "coordinates": [list(START), list(END)]},
                   name="联检旅程界线", line_level="township", side_a="甲镇", side_b="乙镇")
    markers = []
    for i, t in enumerate((0.25, 0.75, 0.5)):  # the third: the phone's, not in the uploaded file
        lon, lat = START[0] + (END[0] - START[0]) * t, START[1] + (END[1] - START[1]) * t
        markers.append({"id": _create(api, "boundary_markers", {"type": "Point", "coordinates": [lon, lat]},
                                      line_id=line, number=f"{i + 21:03d}Q", marker_type="single"),
                        "lon": lon, "lat": lat})
    created = api.post("/api/inspections/campaigns", json={
        "name": "旅程测试联检", "year": 2026, "round": 1, "line_ids": [line],
        "team_a": {"side": "甲镇", "leader": "王一"}, "team_b": {"side": "乙镇", "leader": "赵三"}})
    assert created.status_code == 201, created.text
    return {"id": created.json()["id"], "markers": markers}


def fill_in_the_field(path: Path, markers: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """What QField does: one record per marker appended to ``inspection_records``."""
    at = [moved(markers[0]["lon"], markers[0]["lat"], 0.02, 0.0), moved(markers[1]["lon"], markers[1]["lat"], 0.0, 1.2)]
    when = datetime(2026, 5, 2, 9, 30, tzinfo=CST)
    rows = [{"marker_id": markers[0]["id"], "condition": "intact", "measured_at": when, "inspector": "王一"},
            {"marker_id": markers[1]["id"], "condition": "displaced", "measured_at": when, "inspector": "王一",
             "inspector_partner": "赵三", "notes": "疑被车辆撞击"}]
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[Point(*p) for p in at], crs="EPSG:4490")
    pyogrio.write_dataframe(frame, path, layer="inspection_records", append=True)
    return at


def upload(web: PageWatch, path: Path) -> str:
    web.page.set_input_files("#ins-results-file", str(path))
    web.page.click("#ins-results-send")
    web.page.wait_for_selector("#ins-results-summary .hc-notice, #ins-results-error:not(:empty)")
    return web.page.locator("#ins-results-summary").inner_text()


def test_gpkg_round_trip_through_the_campaign_page(as_role: Any, campaign: dict[str, Any], tmp_path: Path) -> None:
    web = as_role("boundary_surveyor")
    web.open(f"/inspections/{campaign['id']}")
    with web.page.expect_download() as got:
        web.page.click('#ins-downloads a[href$="/package.gpkg"]')
    package = tmp_path / "field.gpkg"
    got.value.save_as(package)
    at = fill_in_the_field(package, campaign["markers"])
    assert upload(web, package).startswith("已导入“field.gpkg”：新增 2 条，更新 0 条，未变 0 条")
    web.page.wait_for_function("document.querySelectorAll('#ins-records tr[data-record]').length === 2")
    rows = web.page.locator("#ins-records tr[data-record]")
    texts = rows.all_inner_texts()
    assert any("022Q 号" in t and "疑被车辆撞击" in t and "王一、赵三" in t for t in texts), texts
    # arrows by size: 2 cm and 1.2 m are 42 and 96 px wide (16 + 15.4·log10(d / 1 cm), doubled)
    widths = sorted(web.page.eval_on_selector_all(".hc-arrow", "els => els.map(e => e.offsetWidth)"))
    assert widths == [42, 96]
    # a row finds its marker: the map centres on the measured position at zoom 18
    rows.filter(has_text="022Q 号").click()
    view = web.page.evaluate("(() => { const c = HC.inspections.view(); return [c.lng, c.lat, c.zoom]; })()")
    assert abs(view[0] - at[1][0]) < 1e-6 and abs(view[1] - at[1][1]) < 1e-6 and view[2] == 18
    web.shot("j10-campaign-results")
    # the same file again: nothing new
    assert upload(web, package).startswith("已导入“field.gpkg”：新增 0 条，更新 0 条，未变 2 条")


@pytest.fixture
def phone_position(campaign: dict[str, Any]) -> dict[str, float]:
    """The phone (tests/utils/browser.py) stands at the marker not in the uploaded file."""
    marker = campaign["markers"][2]
    return {"longitude": marker["lon"], "latitude": marker["lat"], "accuracy": 0.02}


def test_field_reloads_offline_and_sends_later(phone: PageWatch, api: httpx.Client, campaign: dict[str, Any]) -> None:
    """Issue 16: reloading /field with no network failed; now the page, its markers and the queue come back."""
    page, marker = phone.page, campaign["markers"][2]
    phone.open(f"/field?campaign={campaign['id']}")
    page.wait_for_selector("body[data-offline-ready='true']")  # the service worker holds the shell
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("window.HC && HC.ready === true")
    assert page.input_value("#fd-campaign") == str(campaign["id"])
    page.wait_for_function("document.getElementById('fd-net').dataset.online === 'false'")
    page.click("#fd-locate")
    first = page.locator("#fd-markers input[name=marker]").first
    first.wait_for()
    assert first.get_attribute("value") == str(marker["id"])  # the nearest, from what was kept
    # which markers are done: the two of the uploaded file, not this one
    assert page.locator("#fd-progress").inner_text() == "本任务界桩 3 个，已检 2 个"
    assert page.locator("#fd-markers li[data-inspected='false']").first.inner_text().startswith("023Q 号界桩未检")
    page.check("input[name=condition][value=tilted]")
    page.fill("#fd-notes", "离线重新打开后记录")
    page.click("#fd-save")
    page.wait_for_selector("#fd-queue li[data-state='queued']")
    page.reload()  # still offline: the queued record is still there
    page.wait_for_function("window.HC && HC.ready === true")
    page.wait_for_selector("#fd-queue li[data-state='queued']")
    page.context.set_offline(False)
    page.locator("#fd-queue li[data-state='sent']").wait_for(timeout=30_000)
    records = [r for r in api.get(f"/api/inspections/campaigns/{campaign['id']}/records").json()
               if r["marker_id"] == marker["id"]]
    assert len(records) == 1 and records[0]["condition"] == "tilted" and records[0]["notes"] == "离线重新打开后记录"
    phone.shot("j11-field-offline-sent")
    # a second record of the same marker is refused for good: it can be discarded, not left stuck
    page.click("#fd-locate")
    page.wait_for_function("(document.getElementById('fd-progress') || {textContent: ''})"
                           ".textContent.endsWith('已检 3 个')")
    assert "本次已检：倾斜" in page.locator("#fd-markers li[data-inspected='true']").first.inner_text()
    page.locator(f"#fd-markers input[name=marker][value='{marker['id']}']").check()
    page.check("input[name=condition][value=intact]")
    page.click("#fd-save")
    failed = page.locator("#fd-queue li[data-state='failed']")
    failed.wait_for(timeout=30_000)
    assert "该界桩在本次联检中已有另一条记录" in failed.inner_text()
    page.once("dialog", lambda d: d.accept())
    failed.locator("button[data-act='discard']").click()
    page.wait_for_function("document.querySelectorAll(\"#fd-queue li[data-state='failed']\").length === 0")
    assert page.locator("#fd-queue li").count() == 1  # the sent one stays as a receipt
    assert len([r for r in api.get(f"/api/inspections/campaigns/{campaign['id']}/records").json()
                if r["marker_id"] == marker["id"]]) == 1
