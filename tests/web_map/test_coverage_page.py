"""The coverage page (/coverage) in Chromium: bars per township, the choropleth of uncovered households,
the uncovered list for the case office (masked, one row revealed and audited), XLSX links, and the
'where to build next' suggestion; a viewer gets aggregates only.

Hand-made features (committed in gis_browser, away from the map tests' centre): two townships with a
village each, a 农村幸福院 (1,000 m) in the first, elderly households inside and outside its radius
and in the second township. Signed in through /login as case_worker and viewer. Zero JS errors,
zero requests outside 127.0.0.1 (``as_role``), a screenshot per scenario under test-output/browser/.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.utils.frame import LocalFrame
from tests.web_map.conftest import _create

ORIGIN = (123.02, 40.95)
T1, T2 = "210381130", "210381131"
V1, V2 = T1 + "001", T2 + "001"
Q = {"facility_type": "happiness_home", "category": "elderly_alone", "method": "euclidean"}


FRAME = LocalFrame(*ORIGIN)
ll, pt, rect = FRAME.ll, FRAME.pt, FRAME.rect


@pytest.fixture(scope="session")
def coverage_scene(api: httpx.Client) -> dict[str, Any]:
    _create(api, "townships", rect(-4000, -2000, 0, 2000), code=T1, name="覆盖一镇", kind="town")
    _create(api, "townships", rect(0, -2000, 4000, 2000), code=T2, name="覆盖二镇", kind="town")
    _create(api, "villages", rect(-4000, -2000, 0, 2000), code=V1, name="覆盖东村", township_code=T1)
    _create(api, "villages", rect(0, -2000, 4000, 2000), code=V2, name="覆盖西村", township_code=T2)
    _create(api, "care_facilities", pt(-2000, 0), name="东村幸福院", facility_type="happiness_home",
            village_code=V1, township_code=T1)
    households = []
    for i in range(6):  # in the 幸福院's village, near it: covered
        households.append(_create(api, "households", pt(-2000 + i * 100, 300), head_name=f"王{i}",
                                  categories=["elderly_alone"], village_code=V1, phone="13812345678"))
    for i in range(6):  # 1,400 m and more, in its village all the same: covered (a 幸福院 serves its village)
        households.append(_create(api, "households", pt(-3600, -1500 + i * 100), head_name=f"李{i}",
                                  categories=["elderly_alone"], village_code=V1, phone="13812345678"))
    for i in range(7):  # the second township has no facility
        households.append(_create(api, "households", pt(2000 + i * 100, 0), head_name=f"赵{i}",
                                  categories=["elderly_alone"], village_code=V2, phone="13812345678"))
    return {"households": households}


def open_coverage(web: Any, category: str | None = "elderly_alone") -> None:
    web.page.goto(web.base + "/coverage")
    web.page.wait_for_function("window.HC && HC.ready === true")
    if category:
        before = web.page.get_attribute("body", "data-loaded")
        web.page.select_option("#hc-category", category)
        web.page.wait_for_function("b => document.body.getAttribute('data-loaded') !== b", arg=before)


def audits(engine: Any, action: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log WHERE action = :a AND layer = 'households'"),
                            {"a": action}).scalar_one()


def test_case_worker_sees_bars_choropleth_and_the_masked_list(as_role: Any, coverage_scene: dict[str, Any],
                                                               live_server: str, browser_db: Any) -> None:
    web = as_role("case_worker")
    open_coverage(web)
    worker = httpx.Client(base_url=live_server, headers=_bearer(live_server, "case_worker"), timeout=20)
    rows = worker.get("/api/coverage", params={**Q, "by": "township"}).json()["rows"]
    with_data = [r for r in rows if r["households"]]
    assert {r["code"] for r in with_data} >= {T1, T2}
    assert web.page.locator("#hc-chart g.hc-bar-row").count() == len(with_data)  # one bar per township with data
    t1 = web.page.locator(f'#hc-chart g.hc-bar-row[data-code="{T1}"]')
    assert "12/12 户 100.0%" in t1.inner_html()
    t2 = web.page.locator(f'#hc-chart g.hc-bar-row[data-code="{T2}"] rect.hc-bar-covered')
    assert t2.get_attribute("width") == "0"
    villages = worker.get("/api/coverage/choropleth", params=Q).json()["features"]
    assert web.page.evaluate("HC.coverage.count()") == len(villages)
    fills = web.page.eval_on_selector_all("path.hc-choro", "ps => ps.map(p => p.getAttribute('fill'))")
    assert "#fdae6b" in fills  # 5–9 uncovered (7 in 覆盖西村; none in 覆盖东村)
    legend = web.page.locator("#hc-legend").inner_text()
    assert "1–4" in legend and "不显示" not in legend  # exact counts: nothing is greyed out
    assert "DOMAIN" not in web.page.locator("#hc-radius-note").inner_text()
    assert "服务本村" in web.page.locator("#hc-radius-note").inner_text()  # the 幸福院's rule, said
    table = web.page.locator("#hc-people tbody tr")
    assert table.count() == 7
    assert all("*" in n for n in web.page.eval_on_selector_all("#hc-people tbody tr td:nth-child(2)",
                                                               "tds => tds.map(t => t.textContent)"))
    assert web.page.get_attribute("#hc-export-list", "href").startswith("/api/coverage/uncovered/export?")
    export = web.page.context.request.get(web.base + web.page.get_attribute("#hc-export-coverage", "href"))
    assert export.status == 200 and export.headers["content-type"].startswith("application/vnd.openxml")
    before = audits(browser_db, "reveal")
    first = table.first
    first.locator("button[data-reveal]").click()
    web.page.wait_for_selector("#hc-people tr.hc-revealed")
    assert "*" not in web.page.locator("#hc-people tr.hc-revealed td").nth(1).inner_text()
    assert audits(browser_db, "reveal") == before + 1
    assert web.page.locator("#hc-people tr.hc-revealed").count() == 1  # only the one asked for
    web.shot("70-coverage-case-worker")


def _bearer(base: str, role: str) -> dict[str, str]:
    from tests.web_map.conftest import token

    return token(base, role)


def test_where_to_build_next(as_role: Any, coverage_scene: dict[str, Any], api: httpx.Client) -> None:
    web = as_role("case_worker")
    open_coverage(web)
    web.page.fill("#hc-k", "2")
    web.page.click("#hc-suggest-go")
    web.page.wait_for_selector("#hc-sites li")
    kind = web.page.input_value("#hc-suggest-type")  # a type with a radius (a 幸福院 serves its village)
    assert kind != "happiness_home"
    expected = api.post("/api/coverage/suggest", json={**Q, "facility_type": kind, "k": 2}).json()
    gains = web.page.eval_on_selector_all("#hc-sites li", "ls => ls.map(l => Number(l.dataset.gain))")
    assert gains == [s["newly_covered"] for s in expected["sites"]] and sum(gains) >= 7
    assert web.page.locator(".hc-rank-icon").count() == len(expected["sites"])
    assert "新增覆盖" in web.page.locator("#hc-sites li").first.inner_text()
    web.shot("71-coverage-suggest")


def test_viewer_gets_aggregates_only(as_role: Any, coverage_scene: dict[str, Any], live_server: str) -> None:
    web = as_role("viewer")
    open_coverage(web, category=None)
    web.page.wait_for_selector("#hc-no-list")
    assert web.page.locator("#hc-people").count() == 0 and web.page.locator("#hc-export-list").count() == 0
    assert web.page.get_attribute("#hc-sec-list", "data-state") == "forbidden"
    viewer = httpx.get(f"{live_server}/api/coverage", params={"facility_type": "happiness_home", "by": "township"},
                       headers=_bearer(live_server, "viewer"), timeout=20).json()["rows"]
    assert web.page.locator("#hc-chart g.hc-bar-row").count() == len([r for r in viewer if r["households"] != 0])
    # small cells (the seed's township: 1–4 households) are suppressed for the viewer, and say so
    assert web.page.locator("#hc-chart g.hc-bar-suppressed").count() == len([r for r in viewer if r["suppressed"]])
    legend = web.page.locator("#hc-legend").inner_text()
    assert "少于 5 户，不显示" in legend and "1–4" not in legend  # 1–4 is never drawn for this role
    web.shot("72-coverage-viewer")


def test_network_method_and_phone(as_role: Any, coverage_scene: dict[str, Any]) -> None:
    web = as_role("case_worker", (390, 844))
    open_coverage(web)
    before = web.page.get_attribute("body", "data-loaded")
    web.page.select_option("#hc-method", "network")
    web.page.wait_for_function("b => document.body.getAttribute('data-loaded') !== b", arg=before)
    assert web.page.locator("#hc-mode-row").is_visible()
    assert web.page.evaluate("document.documentElement.scrollWidth") <= 390
    web.shot("73-coverage-phone")


def test_main_map_links_to_the_coverage_page(as_role: Any) -> None:
    web = as_role("viewer")
    web.open("/")
    web.page.click("#hc-nav-coverage")
    web.page.wait_for_url("**/coverage")
    web.page.wait_for_function("window.HC && HC.ready === true")
