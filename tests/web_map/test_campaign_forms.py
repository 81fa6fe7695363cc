"""The joint-inspection forms in Chromium: a boundary surveyor prepares a campaign on /inspections (lines
ticked in the list and clicked on the map, both sides' teams, dates), lands on its page with the chosen
lines, moves it 计划 → 进行中 → 已完成 and records a finding along a line; a viewer gets none of the forms.

Lines are made through the API on gis_browser, north of the field-page scene. Signed in through /login;
zero JS errors, zero requests outside 127.0.0.1 (``as_role``), screenshots under test-output/browser/.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from tests.web_map.conftest import OUTPUT, _create

START, END = (122.60, 41.00), (122.64, 41.005)


def _line(api: httpx.Client, name: str, shift: float) -> int:
    coords = [[START[0], START[1] + shift], [END[0], END[1] + shift]]
    return _create(api, "boundary_lines", {"type": "LineString", "coordinates": coords}, name=name,
                   line_level="township", side_a="丙镇", side_b="丁镇",
                   next_inspection_date=date(date.today().year + 1, 1, 1).isoformat())


@pytest.fixture(scope="module")
def lines(api: httpx.Client) -> dict[str, int]:
    return {"north": _line(api, "表单测试北线", 0.02), "south": _line(api, "表单测试南线", 0.0),
            "other": _line(api, "表单测试不选线", 0.04)}


def test_surveyor_prepares_a_campaign_and_lands_on_its_page(as_role: Any, lines: dict[str, int],
                                                             api: httpx.Client) -> None:
    web = as_role("boundary_surveyor")
    web.open("/inspections")
    page = web.page
    page.wait_for_selector("body[data-forms='ready']")
    page.click("#ins-new-box summary")
    page.fill("#ins-new-name", "丙镇—丁镇界线联检（表单测试）")
    assert page.input_value("#ins-new-year") == str(date.today().year)
    page.fill("#ins-new-round", "2")
    page.check(f"#ins-new-lines input[value='{lines['north']}']")
    # the second line is picked on the map
    path = page.locator(f"path.hc-line-id-{lines['south']}")
    path.scroll_into_view_if_needed()
    path.dispatch_event("click")
    assert page.is_checked(f"#ins-new-lines input[value='{lines['south']}']")
    assert "hc-line-picked" in path.get_attribute("class")
    assert not page.is_checked(f"#ins-new-lines input[value='{lines['other']}']")
    assert page.input_value("#ins-new-a-side") == "丙镇" and page.input_value("#ins-new-b-side") == "丁镇"
    page.fill("#ins-new-a-org", "海城市民政局")
    page.fill("#ins-new-a-leader", "孙一")
    page.fill("#ins-new-a-members", "孙二、孙三")
    page.fill("#ins-new-b-leader", "李四")
    page.fill("#ins-new-start", f"{date.today().year}-05-01")
    page.fill("#ins-new-end", f"{date.today().year}-06-30")
    page.locator("#ins-new-box").scroll_into_view_if_needed()
    web.shot("80-campaign-form")
    page.click("#ins-new-save")
    page.wait_for_url("**/inspections/*")
    page.wait_for_function("window.HC && HC.ready === true")
    page.wait_for_selector("body[data-forms='ready']")
    campaign_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    stored = api.get(f"/api/inspections/campaigns/{campaign_id}").json()
    assert stored["name"] == "丙镇—丁镇界线联检（表单测试）" and stored["round"] == 2
    assert sorted(stored["line_ids"]) == sorted([lines["north"], lines["south"]])
    assert stored["team_a"] == {"side": "丙镇", "organisation": "海城市民政局", "leader": "孙一",
                                "members": ["孙二", "孙三"]}
    assert stored["team_b"] == {"side": "丁镇", "leader": "李四"}
    assert stored["start_date"] == f"{date.today().year}-05-01" and stored["status"] == "planned"
    shown = page.eval_on_selector_all("#ins-lines tbody tr", "rs => rs.map(r => Number(r.dataset.line))")
    assert sorted(shown) == sorted([lines["north"], lines["south"]])
    assert page.inner_text("#ins-title") == "丙镇—丁镇界线联检（表单测试）"
    assert page.locator(f"path.hc-line-id-{lines['other']}").count() == 0

    # statuses: 计划 → 进行中 → 已完成 (the lines' inspection dates move on)
    assert page.get_attribute("#ins-status-actions", "data-status") == "planned"
    page.click("#ins-status-actions button[data-status='in_progress']")
    page.wait_for_selector("#ins-status-actions[data-status='in_progress']")
    assert "进行中" in page.inner_text("#ins-status")
    assert api.get(f"/api/inspections/campaigns/{campaign_id}").json()["status"] == "in_progress"
    web.shot("81-campaign-in-progress")

    # a finding along the north line, with a point picked on the map
    page.click("#ins-finding-box summary")
    page.select_option("#ins-finding-line", str(lines["north"]))
    page.select_option("#ins-finding-kind", "construction")
    page.fill("#ins-finding-description", "北线中段新修乡道，跨界约 200 米")
    page.fill("#ins-finding-handling", "双方协商，维持原界线")
    page.click("#ins-finding-pick")
    box = page.locator("#ins-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.inner_text("#ins-finding-where").startswith("位置：")
    page.click("#ins-finding-save")
    item = page.locator(f"#ins-findings li[data-line='{lines['north']}']")
    item.wait_for()
    said = item.inner_text()
    assert "跨界建设" in said and "北线中段新修乡道" in said and "维持原界线" in said
    assert "— 界线测绘账号 " in said and "boundary_surveyor" not in said  # who recorded it, by the role's title
    findings = api.get(f"/api/inspections/campaigns/{campaign_id}/findings").json()
    assert len(findings) == 1 and findings[0]["kind"] == "construction" and findings[0]["geometry"]["type"] == "Point"
    assert page.locator("path.hc-finding").count() == 1

    end = f"{date.today().year}-06-30"
    page.fill("#ins-status-end", end)
    page.click("#ins-status-actions button[data-status='completed']")
    page.wait_for_selector("#ins-status-actions[data-status='completed']")
    assert page.locator("#ins-status-actions button").count() == 0
    line = api.get(f"/api/layers/boundary_lines/features/{lines['north']}").json()["properties"]
    assert line["last_inspection_date"] == end
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(OUTPUT / "82-campaign-completed-with-finding.png"), full_page=True)


def test_form_errors_and_viewer(as_role: Any, lines: dict[str, int]) -> None:
    web = as_role("boundary_surveyor")
    web.open("/inspections")
    page = web.page
    page.wait_for_selector("body[data-forms='ready']")
    page.click("#ins-new-box summary")
    page.fill("#ins-new-name", "没有界线的任务")
    page.click("#ins-new-save")
    assert "至少选择一条界线" in page.inner_text("#ins-new-error")
    page.check(f"#ins-new-lines input[value='{lines['other']}']")
    page.fill("#ins-new-year", "1800")  # the API refuses it; the message is shown, the page stays
    page.click("#ins-new-save")
    page.wait_for_selector("#ins-new-error[data-field='year']")
    assert "年度" in page.inner_text("#ins-new-error") and page.url.endswith("/inspections")

    viewer = as_role("viewer")
    viewer.open("/inspections")
    assert viewer.page.locator("#ins-new").count() == 0
    first = viewer.page.locator("#ins-campaigns tbody tr a").first
    first.click()
    viewer.page.wait_for_function("window.HC && HC.ready === true")
    assert viewer.page.locator("#ins-status-actions").count() == 0 and viewer.page.locator("#ins-finding").count() == 0


def test_the_records_name_a_role_account_by_its_title_and_people_by_name(as_role: Any, lines: dict[str, int],
                                                                        api: httpx.Client) -> None:
    """Issue 16: a 检查人 typed as an account name (boundary_surveyor) showed as stored; people's names stay."""
    marker = _create(api, "boundary_markers", {"type": "Point", "coordinates": [START[0] + 0.01, START[1] + 0.04]},
                     line_id=lines["other"], number="077Q", marker_type="single")
    created = api.post("/api/inspections/campaigns", json={"name": "检查人称呼测试", "year": date.today().year,
                                                          "round": 1, "line_ids": [lines["other"]]})
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    sent = api.post(f"/api/inspections/campaigns/{campaign_id}/records", json={
        "client_id": "inspector-title-077Q", "marker_id": marker, "condition": "intact",
        "measured_at": f"{date.today().year}-05-02T09:30:00+08:00", "inspector": "boundary_surveyor",
        "inspector_partner": "李四"})
    assert sent.status_code == 201, sent.text
    web = as_role("boundary_surveyor")
    web.open(f"/inspections/{campaign_id}")
    row = web.page.locator("#ins-records tr[data-record]")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[3] == "界线测绘账号、李四" and "boundary_surveyor" not in row.inner_text()
