"""The gazetteer page starts the 地名词典 PDF as a background job, shows its progress and then the
download link; the file it links is the PDF (issue 18 item 4). No JS errors, nothing leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any


def test_dictionary_pdf_job_shows_progress_then_the_download(as_role: Any) -> None:
    web = as_role("viewer")
    web.open("/place-names")
    web.page.wait_for_function("window.HC && HC.ready === true")
    web.page.click("#pn-dictionary")
    box = web.page.locator("#pn-dictionary-job[data-job-status='done']")
    box.wait_for(timeout=20_000)
    assert box.locator("progress").get_attribute("value") == "1"
    assert box.locator(".hc-job-text").inner_text().strip() == "已完成"
    link = box.locator("a.hc-job-result")
    assert link.inner_text() == "下载海城市地名词典.pdf"
    response = web.page.request.get(web.base + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
