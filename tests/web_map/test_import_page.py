"""The import page: a case worker uploads a roster, sees the report (a bad row named), then imports a good
file and sees the progress reach its end; a viewer has nothing to import into."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.imports.corpus import id_number
from tests.web_map.conftest import CENTER, OUTPUT

HEADER = "户主姓名,身份证号码,救助类别,家庭人口,所在村,经度,纬度\n"


def _roster(path: Path, *rows: tuple[Any, ...]) -> Path:
    path.write_text(HEADER + "".join(",".join(str(v) for v in row) + "\n" for row in rows), "utf-8")
    return path


def test_import_page_report_progress_and_commit(as_role: Any, api: Any, tmp_path: Path) -> None:
    lon, lat = CENTER
    bad = _roster(tmp_path / "坏名单.csv", ("页面甲", id_number(701), "低保", 2, "样板村", lon - 0.01, lat),
                  ("页面乙", id_number(702), "不存在的类别", 1, "样板村", lon - 0.011, lat))
    good = _roster(tmp_path / "名单.csv", ("页面甲", id_number(701), "低保", 2, "样板村", lon - 0.01, lat),
                   ("页面乙", id_number(702), "特困（分散供养）", 1, "样板村", lon - 0.011, lat))
    web = as_role("case_worker")
    web.open("/imports/households")
    page = web.page
    page.set_input_files("#im-file", str(bad))
    page.click("#im-check")
    page.wait_for_selector("#im-report:not([hidden])")
    cells = page.eval_on_selector_all("#im-problems tbody tr",
                                      "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    labels = ["低保", "低保边缘家庭", "特困（分散供养）", "特困（集中供养）", "散居孤儿", "机构孤儿",
              "事实无人抚养儿童", "残疾", "重度残疾（一、二级）", "独居/空巢老人", "留守儿童", "困境儿童", "临时救助"]
    assert cells == [["3", "救助类别", "救助类别：“不存在的类别”不是可选值：可选 " + "、".join(labels)]]
    assert page.is_disabled("#im-commit")
    assert page.text_content("#im-progress-text") == "2 / 2 行"

    page.set_input_files("#im-file", str(good))
    page.click("#im-check")
    page.wait_for_function("document.querySelector('#im-problems tbody').children.length === 0 && "
                           "!document.querySelector('#im-commit').disabled")
    assert "共 2 行：新建 2，更新 0，不变 0，有问题 0 行" in page.text_content("#im-summary")
    page.click("#im-commit")
    page.wait_for_function("document.querySelector('#im-state').textContent === '已导入'")
    assert page.text_content("#im-progress-text") == "2 / 2 行"
    assert page.eval_on_selector("#im-progress", "p => [p.value, p.max]") == [2, 2]
    assert "已导入：新建 2，更新 0，不变 0" in page.text_content("#hc-toast")
    page.screenshot(path=str(OUTPUT / "import-page.png"))
    worker = api.get("/api/layers/households/features", params={"source": "import"}).json()
    assert worker["numberMatched"] == 2


def test_viewer_has_no_layer_to_import_into(as_role: Any) -> None:
    web = as_role("viewer")
    web.open("/imports/households")
    assert "您没有可以导入数据的图层。" in web.page.text_content("main")
    assert web.page.locator("#im-form").count() == 0
