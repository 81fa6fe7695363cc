"""The place-names editor's job in Chromium, end to end (issue 16 item 7): search → open the record →
rename it to a name the rules refuse (a 村委会 name already used in the county: the refusal says so in
Chinese, names the other record's township and links it) → fix the name → the history shows the rename →
公告 through the record's dialog → back on the list page, the 公告 and 地名录 PDFs from their buttons (the
地名录 dated today in Beijing), and the census import one click away.

The names are made through the API in the seed's township (示例街道), apart from the other gazetteer tests'
names. Zero JS errors, zero requests outside 127.0.0.1 (``as_role``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from layers.gazetteer.lifecycle import beijing_today
from tests.utils.documents import pdf_text
from tests.web_map.conftest import CENTER

LON, LAT = CENTER


def _place(api: httpx.Client, name: str, lon: float, lat: float) -> int:
    response = api.post("/api/layers/place_names/features", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "class_code": "04100"}})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _download(web: Any, selector: str, tmp_path: Path, name: str) -> str:
    """Fetch a link's target with the page's session, as its button would; the PDF's text."""
    href = web.page.get_attribute(selector, "href")
    assert href.startswith("/api/place-names/")
    response = web.page.request.get(web.base + href)
    assert response.status == 200, response.text()
    assert response.headers["content-type"] == "application/pdf"
    return pdf_text(response.body(), tmp_path, name)


def test_place_names_journey(as_role: Any, api: httpx.Client, tmp_path: Path) -> None:
    today = beijing_today().isoformat()
    other = _place(api, "旅伴村", LON - 0.021, LAT + 0.021)
    mine = _place(api, "旅途村", LON - 0.022, LAT + 0.018)
    approved = api.post(f"/api/place-names/{mine}/approve", headers={"If-Match": '"1"'}, json={
        "approval_authority": "海城市人民政府", "approval_doc_no": "海政地〔2026〕7号", "approval_date": today})
    assert approved.status_code == 200, approved.text

    web = as_role("place_names_editor")
    page = web.page
    web.open("/place-names")
    page.fill("#pn-q", "旅途")
    page.click("#pn-search button[type=submit]")
    row = page.locator(f"#pn-results tr[data-id='{mine}'] a")
    row.wait_for()
    row.click()
    page.wait_for_url(f"**/place-names/{mine}")
    page.wait_for_function("window.HC && HC.ready === true")
    page.wait_for_selector("#pn-actions button[data-act='rename']")

    # rename to a name already held by another 村委会 in the county: refused, in Chinese, with where it is
    page.click("#pn-actions button[data-act='rename']")
    form = "form[data-form='rename']"
    page.locator(f"{form} input[name='new_name']").press_sequentially("旅伴村", delay=30)
    problem = page.locator(f"{form} .pn-problem[data-rule='duplicate'][data-severity='error']")
    problem.wait_for()
    assert f"与全市（县级行政区域）内已有地名重名：旅伴村（示例街道，编号 {other}）" in problem.inner_text()
    link = problem.locator("a.pn-conflict")
    assert (link.get_attribute("href"), link.inner_text()) == (f"/place-names/{other}", "查看“旅伴村”（示例街道）")
    page.fill(f"{form} input[name='approval_doc_no']", "海政地〔2026〕8号")
    page.fill(f"{form} textarea[name='justification']", "与村委会驻地名称一致")
    page.click(".hc-dialog-actions button[data-action='rename']")
    page.wait_for_function(
        "f => document.querySelector(f + ' .hc-form-error').textContent === '新名称存在命名规则错误'", arg=form)
    assert api.get(f"/api/layers/place_names/features/{mine}").json()["properties"]["name"] == "旅途村"
    web.shot("j-place-names-refused")

    # fixed: saved, the old name kept in the history
    page.fill(f"{form} input[name='new_name']", "旅新村")
    page.wait_for_selector(f"{form} .pn-check:is([data-state='ok'], [data-state='warning'])")
    assert page.locator(f"{form} .pn-problem[data-severity='error']").count() == 0
    page.click(".hc-dialog-actions button[data-action='rename']")
    page.wait_for_function("document.getElementById('pn-title').textContent.startsWith('旅新村')")
    versions = page.locator("#pn-history li")
    versions.first.wait_for()
    assert "更名：旅途村 → 旅新村" in versions.first.inner_text()

    # 公告 through the record's dialog (today, Beijing)
    page.click("#pn-actions button[data-act='announce']")
    assert page.input_value("form[data-form='announce'] input[name='announced_date']") == today
    page.click(".hc-dialog-actions button[data-action='announce']")
    page.wait_for_function("!document.querySelector(\"#pn-actions button[data-act='announce']\")")
    props = api.get(f"/api/layers/place_names/features/{mine}").json()["properties"]
    assert (props["status"], props["announced_date"], props["name"]) == ("announced", today, "旅新村")

    # the list page: 公告 and 地名录 PDFs from their buttons, the census import linked
    web.open("/place-names")
    assert page.input_value("#pn-announce-end") == today
    assert page.input_value("#pn-announce-start") == today[:8] + "01"
    announcement = _download(web, "#pn-announce-pdf", tmp_path, "announcement")
    assert "旅新村" in announcement and "海政地〔2026〕8号" in announcement
    page.fill("#pn-announce-start", today)
    page.fill("#pn-announce-end", "2000-01-01")
    page.dispatch_event("#pn-announce-form", "change")
    assert page.get_attribute("#pn-announce-pdf", "href") is None
    assert page.inner_text("#pn-announce-error") == "请填写公告期间：开始日期不能晚于结束日期"
    directory = _download(web, "#pn-export-pdf", tmp_path, "directory")
    assert "旅新村" in directory and f"截至 {today}" in directory
    web.shot("j-place-names-exports")
    page.click("#pn-import")
    page.wait_for_url("**/imports/place_names")
