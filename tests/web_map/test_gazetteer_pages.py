"""The gazetteer pages in a real browser: find a name by initials, register a new one and see the naming
rules live before saving, approve it, rename with the old name kept, export the 地名录, see the late
备案/公告 and file one (备案).

Signed in through /login as viewer and place_names_editor; the data is made through the API on the
browser database (``gis_browser``). Every page is checked for JS errors and requests leaving 127.0.0.1.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text

from layers.gazetteer.lifecycle import beijing_today
from layers.gazetteer.pinyin import suggest
from tests.web_map.conftest import CENTER, OUTPUT

LON, LAT = CENTER


def _place(api: httpx.Client, name: str, class_code: str, lon: float, lat: float, **extra: Any) -> int:
    response = api.post("/api/layers/place_names/features", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "class_code": class_code, **extra}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _on_record(db: Any, name: str, lon: float, lat: float, approval_date: str, doc_no: str) -> int:
    """A natural village approved before this system, written as an import would (the API only proposes)."""
    with db.begin() as conn:
        return conn.execute(text(
            "INSERT INTO place_names (name, class_code, specific_part, generic_part, pinyin, status, approval_date, "
            "approval_authority, approval_doc_no, geom) VALUES (:n, '06100', left(:n, -1), right(:n, 1), :p, "
            "'approved', CAST(:d AS date), '海城市人民政府', :doc, ST_SetSRID(ST_MakePoint(:x, :y), 4490)) "
            "RETURNING id"), {"n": name, "p": suggest(name, "06100").toneless, "d": approval_date, "doc": doc_no,
                             "x": lon, "y": lat}).scalar_one()


def _full(page: Any, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # the fixed top bar stays on top of a full-page shot
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def assert_small_map_names(page: Any, where: str) -> None:
    """No basemap: the record's small map draws the township and village outlines around it, those
    holding it marked and named, the others' names as labels, a scale bar; the record on top."""
    small = page.locator("#pn-map[data-context='ready']")
    small.wait_for()
    assert small.locator("path.hc-subject").count() == 1
    assert small.locator("path.hc-ctx-townships.hc-ctx-here").count() == 1
    assert small.locator("path.hc-ctx-villages.hc-ctx-here").count() == 1
    assert small.locator(".hc-ctx-where").inner_text() == where
    village = where.rsplit(" · ", 1)[1]
    assert village in small.locator(".hc-ctx-label-villages").all_text_contents()  # shown unless another is there
    assert small.locator(".hc-ctx-label:not(.hc-ctx-hidden)").count() >= 1
    assert small.locator(".leaflet-control-scale-line").count() == 1


def _search(page: Any, q: str) -> None:
    page.fill("#pn-q", q)
    page.click("#pn-search button[type=submit]")
    page.wait_for_function("q => document.getElementById('pn-summary').textContent.includes(q)", arg=q)


def test_find_by_initials_pinyin_and_old_name_and_export(as_role: Any, browser_db: Any) -> None:
    # approved names (the 地名录 lists those): on record, as imported
    place_id = _on_record(browser_db, "柳条屯", LON + 0.011, LAT + 0.006, "2018-06-01", "海政地〔2018〕6号")
    _on_record(browser_db, "柳河沟", LON + 0.012, LAT + 0.007, "2018-06-01", "海政地〔2018〕6号")
    web = as_role("viewer")
    web.open("/")  # the main map links to the gazetteer, and the gazetteer back to the map
    web.page.click("#hc-nav-place-names")
    web.page.wait_for_url("**/place-names")
    web.page.wait_for_function("window.HC && HC.ready === true")
    assert web.page.url == web.base + "/place-names"  # no filters, no stray '?'
    assert web.page.locator(".hc-nav a[href='/']").count() == 1
    assert web.page.locator("#pn-new").count() == 0  # viewers do not register names
    _search(web.page, "ltt")
    first = web.page.locator("#pn-results tbody tr").first
    assert first.get_attribute("data-id") == str(place_id)
    assert "柳条屯" in first.inner_text() and "Liutiaotun" in first.inner_text()
    web.shot("gazetteer-01-search-initials")
    _search(web.page, "liutiao")
    assert web.page.locator(f"#pn-results tr[data-id='{place_id}']").count() == 1
    # filters travel in the URL and into the 地名录 export links
    web.page.select_option("#pn-status", "approved")
    web.page.wait_for_function("location.search.includes('status=approved')")
    web.page.select_option("#pn-class", "06100")
    web.page.wait_for_function("document.getElementById('pn-export-xlsx').href.includes('class_code=06100')")
    for fmt, kind in (("xlsx", "spreadsheetml"), ("csv", "text/csv")):
        href = web.page.get_attribute(f"#pn-export-{fmt}", "href")
        response = web.page.request.get(web.base + href)
        assert response.status == 200 and kind in response.headers["content-type"]
        if fmt == "csv":
            assert "柳条屯" in response.text()
    web.page.click(f"#pn-results tr[data-id='{place_id}'] a")
    web.page.wait_for_url(f"**/place-names/{place_id}")
    web.page.wait_for_selector("#pn-names tbody tr.pn-standard")
    assert web.page.locator("#pn-title").inner_text().startswith("柳条屯")
    assert_small_map_names(web.page, "位于：示例街道 · 样板村")
    _full(web.page, "gazetteer-02-record-viewer")
    web.page.locator("#pn-map").screenshot(path=str(OUTPUT / "gazetteer-02-record-map.png"))
    phone = as_role("viewer", (390, 844))  # the same search on a phone
    phone.open("/place-names?q=ltt")
    phone.page.wait_for_selector(f"#pn-results tr[data-id='{place_id}']")
    assert phone.page.locator(f"#pn-results tr[data-id='{place_id}']").count() == 1
    phone.shot("gazetteer-08-search-phone")
    phone.open(f"/place-names/{place_id}")  # the record on a phone: its map is readable there too
    assert_small_map_names(phone.page, "位于：示例街道 · 样板村")
    phone.page.locator("#pn-map").scroll_into_view_if_needed()
    phone.shot("gazetteer-15-record-map-phone")


def test_a_late_answer_for_an_earlier_page_is_ignored(as_role: Any) -> None:
    """下一页 while page 1 is still loading: page 1's answer, arriving last, does not overwrite page 2."""
    web = as_role("viewer")
    held: list[Any] = []

    def hold_page_one(route: Any) -> None:
        if not held and "offset=0" in route.request.url:
            held.append(route)  # answered below, after page 2
        else:
            route.continue_()

    web.page.route("**/api/layers/place_names/features?*", hold_page_one)
    web.page.goto(web.base + "/place-names")
    web.page.wait_for_function("document.getElementById('pn-summary').textContent === '正在查找…'")
    web.page.click("#pn-next")
    web.page.wait_for_function("document.getElementById('pn-page').textContent.startsWith('第 2 ')")
    shown = web.page.locator("#pn-results tbody").inner_html()
    with web.page.expect_response(lambda r: "offset=0" in r.url):
        held[0].continue_()
    web.page.wait_for_timeout(300)  # time for the page to handle that answer
    assert "page=2" in web.page.url and web.page.locator("#pn-page").inner_text().startswith("第 2 ")
    assert web.page.locator("#pn-results tbody").inner_html() == shown


def test_new_name_shows_the_homophone_warning_live_then_saves_and_approves(as_role: Any, api: httpx.Client) -> None:
    wang = _place(api, "王家村", "04100", LON - 0.011, LAT + 0.012)
    web = as_role("place_names_editor")
    web.open("/place-names")
    page = web.page
    page.fill("#pn-new-lon", f"{LON + 0.013:.6f}")
    page.fill("#pn-new-lat", f"{LAT - 0.009:.6f}")
    page.select_option("#pn-new-class", "04100")
    page.locator("#pn-new-name").press_sequentially("汪家村", delay=40)  # typed, not submitted
    warning = page.locator("#pn-new-check .pn-problem[data-rule='homophone']")
    warning.wait_for()
    assert warning.get_attribute("data-severity") == "warning"
    assert "王家村" in warning.inner_text() and "同音" in warning.inner_text()
    assert warning.locator("a.pn-conflict").get_attribute("href") == f"/place-names/{wang}"
    assert page.input_value("#pn-new-pinyin") == "Wangjia Cun"  # the suggestion, which staff may override
    found = api.get("/api/place-names/search", params={"q": "汪家村"}).json()
    assert [i["name"] for i in found["items"]] == []  # nothing saved yet
    page.locator("#pn-new-check").scroll_into_view_if_needed()
    web.shot("gazetteer-03-live-homophone-warning")
    # an error blocks saving: a name that is only a generic part
    page.fill("#pn-new-name", "村")
    page.wait_for_selector("#pn-new-check .pn-problem[data-rule='generic_only'][data-severity='error']")
    page.click("#pn-new-save")
    page.wait_for_function("document.querySelector('#pn-new-form .hc-form-error').textContent.includes('错误')")
    page.fill("#pn-new-name", "汪家村")
    warning.wait_for()
    page.click("#pn-new-save")
    page.wait_for_url("**/place-names/*")
    page.wait_for_selector("#pn-actions button[data-act='approve']")
    new_id = int(page.url.rsplit("/", 1)[1])
    assert api.get(f"/api/layers/place_names/features/{new_id}").json()["properties"]["status"] == "proposed"
    page.click("#pn-actions button[data-act='approve']")
    page.fill("form[data-form='approve'] input[name='approval_doc_no']", "海政地〔2025〕21号")
    page.click(".hc-dialog-actions button[data-action='approve']")
    page.wait_for_selector("#pn-actions button[data-act='announce']")
    props = api.get(f"/api/layers/place_names/features/{new_id}").json()["properties"]
    assert (props["status"], props["approval_doc_no"]) == ("approved", "海政地〔2025〕21号")
    assert len(props["code"]) == 20
    _full(page, "gazetteer-04-approved")


def test_rename_keeps_the_old_name_in_history(as_role: Any, browser_db: Any) -> None:
    place_id = _on_record(browser_db, "杏花屯", LON - 0.014, LAT - 0.011, "2020-03-01", "海政地〔2020〕2号")
    web = as_role("place_names_editor")
    page = web.page
    web.open(f"/place-names/{place_id}")
    page.click("#pn-actions button[data-act='rename']")
    form = "form[data-form='rename']"
    page.locator(f"{form} input[name='new_name']").press_sequentially("梨花屯", delay=30)
    page.wait_for_selector(f"{form} .pn-check .pn-suggest")
    assert page.input_value(f"{form} input[name='pinyin']") == "Lihuatun"
    page.fill(f"{form} input[name='approval_doc_no']", "海政地〔2025〕30号")
    page.fill(f"{form} input[name='rename_date']", "2025-09-01")
    page.fill(f"{form} textarea[name='justification']", "村屯合并，原名与实际不符")
    web.shot("gazetteer-05-rename-form")
    page.click(".hc-dialog-actions button[data-action='rename']")
    page.wait_for_selector("#pn-names tbody tr[data-kind='historical']")
    old = page.locator("#pn-names tbody tr[data-kind='historical']").inner_text()
    assert "杏花屯" in old and "历史名称" in old and "2025-09-01" in old and "2020-03-01" in old
    assert page.locator("#pn-title").inner_text().startswith("梨花屯")
    versions = page.locator("#pn-history li")
    assert versions.count() == 2 and "更名：杏花屯 → 梨花屯" in versions.first.inner_text()
    _full(page, "gazetteer-06-renamed")
    web.open("/place-names?q=" + "杏花屯")
    row = page.locator(f"#pn-results tr[data-id='{place_id}']")
    row.wait_for()
    assert "梨花屯" in row.inner_text() and "曾用名" in row.inner_text()
    web.shot("gazetteer-07-old-name-finds-new")


def test_late_filing_is_flagged_then_filed_through_the_dialog(as_role: Any, api: httpx.Client,
                                                              browser_db: Any) -> None:
    """Approved 20 days ago, neither filed nor announced: overdue on the list and on the record; 备案 leaves 公告."""
    today = beijing_today()  # as the server counts

    def approved(name: str, days_ago: int, lon: float, lat: float) -> int:  # through the approval step
        place_id = _place(api, name, "06100", lon, lat, status="proposed")
        response = api.post(f"/api/place-names/{place_id}/approve", headers={"If-Match": '"1"'}, json={
            "approval_authority": "海城市人民政府", "approval_doc_no": f"海政地〔2025〕{40 + days_ago}号",
            "approval_date": (today - timedelta(days=days_ago)).isoformat()})
        assert response.status_code == 200, response.text
        return place_id

    legacy = _on_record(browser_db, "旧录屯", LON + 0.019, LAT - 0.016, "2019-05-01", "海政地〔2019〕1号")
    late = approved("迟报屯", 20, LON + 0.016, LAT - 0.013)
    soon = approved("将满屯", 12, LON + 0.017, LAT - 0.014)
    fresh = approved("新批屯", 0, LON + 0.018, LAT - 0.015)
    viewer = as_role("viewer")  # read-only: no notice, and no error for it
    viewer.open("/place-names")
    assert viewer.page.locator("#pn-deadlines").count() == 0
    web = as_role("place_names_editor")
    page = web.page
    web.open("/place-names")
    notice = page.locator("#pn-deadlines")
    assert notice.is_visible() and notice.get_attribute("data-state") == "overdue"
    assert re.search(r"\d+ 条地名备案或公告已逾期，另有 \d+ 条即将到期", notice.locator("summary").inner_text())
    page.click("#pn-deadlines summary")
    item = notice.locator(f"li[data-id='{late}']")
    item.wait_for()
    assert "迟报屯" in item.inner_text() and "备案、公告已逾期 5 天" in item.inner_text()
    assert item.get_attribute("data-state") == "overdue"
    assert notice.locator(f"li[data-id='{soon}']").get_attribute("data-state") == "due"
    assert notice.locator(f"li[data-id='{fresh}']").count() == 0  # due in 15 days: not yet
    assert notice.locator(f"li[data-id='{legacy}']").count() == 0  # approved before this system: not held to it
    assert "新批屯" not in notice.inner_text()
    _full(page, "gazetteer-09-deadlines-notice")
    item.locator("a").click()
    page.wait_for_url(f"**/place-names/{late}")
    page.wait_for_function("window.HC && HC.ready === true")
    banner = page.locator("#pn-deadline")
    assert banner.is_visible() and banner.get_attribute("data-state") == "overdue"
    assert "备案、公告已逾期 5 天" in banner.inner_text()
    assert banner.evaluate("b => getComputedStyle(b).borderLeftColor") == "rgb(198, 40, 40)"  # --danger
    assert_small_map_names(page, "位于：示例街道 · 东邻村")
    web.shot("gazetteer-10-record-overdue")
    page.click("#pn-actions button[data-act='file']")
    form = "form[data-form='file']"
    assert page.input_value(f"{form} input[name='filed_date']") == today.isoformat()
    assert page.input_value(f"{form} input[name='filed_to']") == ""
    assert page.get_attribute(f"{form} input[name='filed_to']", "placeholder") == "如：鞍山市人民政府"
    page.click(".hc-dialog-actions button[data-action='file']")  # no authority: stopped in the page
    page.wait_for_function(f"document.querySelector(\"{form} .hc-form-error\").textContent === '请填写备案机关'")
    page.fill(f"{form} input[name='filed_to']", "鞍山市人民政府")
    page.fill(f"{form} input[name='filed_date']", (today - timedelta(days=21)).isoformat())
    page.click(".hc-dialog-actions button[data-action='file']")  # before the approval: the server's 422
    page.wait_for_function(f"document.querySelector(\"{form} .hc-form-error\").textContent.includes('早于批准日期')")
    web.shot("gazetteer-11-file-dialog-error")
    page.fill(f"{form} input[name='filed_date']", today.isoformat())
    page.click(".hc-dialog-actions button[data-action='file']")
    page.wait_for_selector("#hc-dialog", state="hidden")
    page.wait_for_function("!document.querySelector(\"#pn-actions button[data-act='file']\")")
    page.wait_for_function("!document.getElementById('pn-deadline').textContent.includes('备案')")
    attrs = page.locator("#pn-attrs").inner_text()
    assert re.search(r"备案日期\s+" + today.isoformat(), attrs) and re.search(r"备案机关\s+鞍山市人民政府", attrs)
    assert banner.is_visible() and banner.get_attribute("data-state") == "overdue"
    assert "公告已逾期 5 天" in banner.inner_text() and "备案" not in banner.inner_text()
    props = api.get(f"/api/layers/place_names/features/{late}").json()["properties"]
    assert (props["filed_date"], props["filed_to"]) == (today.isoformat(), "鞍山市人民政府")
    assert "备案（鞍山市人民政府）" in page.locator("#pn-history li").first.inner_text()
    _full(page, "gazetteer-12-filed")
    web.open(f"/place-names/{soon}")  # due in 3 days: amber
    assert banner.is_visible() and banner.get_attribute("data-state") == "due"
    assert "备案、公告须在 3 天内完成" in banner.inner_text()
    web.shot("gazetteer-13-record-due-soon")
    web.open(f"/place-names/{fresh}")  # approved today: nothing yet
    assert banner.is_hidden()
    assert page.locator("#pn-actions button[data-act='file']").count() == 1
    phone = as_role("place_names_editor", (390, 844))
    phone.open("/place-names")
    phone.page.click("#pn-deadlines summary")
    still = phone.page.locator(f"#pn-deadlines li[data-id='{late}']")  # filed; the announcement is still late
    still.wait_for()
    assert "公告已逾期 5 天" in still.inner_text() and "备案" not in still.inner_text()
    phone.shot("gazetteer-14-deadlines-phone")
