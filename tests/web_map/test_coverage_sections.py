"""The coverage page's on-demand sections in Chromium: shelters (over capacity highlighted, villages no
shelter reaches listed and drawn), care facilities (occupancy as the API computes it; 特困集中供养 beds
against demand), child welfare (a village without a 儿童主任 listed and drawn; adding one through the
form removes it) and the household overlay (the case office only; never for a viewer).

Hand-made features (committed in gis_browser, south-west of the other browser tests' scenes): one
township with three villages, two shelters (one over capacity by area, one roomy), a 敬老院 and an
overfull 幸福院, 特困集中供养 households, and 残疾 households inside and outside the 幸福院's 1,000 m.
Signed in through /login; zero JS errors, zero requests outside 127.0.0.1 (``as_role``), screenshots
under test-output/browser/.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.utils.frame import LocalFrame
from tests.web_map.conftest import _create, token

ORIGIN = (122.50, 40.65)
T3 = "210381150"
VA, VB, VC = T3 + "001", T3 + "002", T3 + "003"


FRAME = LocalFrame(*ORIGIN)
ll, pt, rect = FRAME.ll, FRAME.pt, FRAME.rect


@pytest.fixture(scope="session")
def sections_scene(api: httpx.Client) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    _create(api, "townships", rect(-3000, -1500, 3000, 3000), code=T3, name="避难三镇", kind="town")
    _create(api, "villages", rect(-3000, -1500, 0, 1500), code=VA, name="避难东村", township_code=T3, population=6000)
    _create(api, "villages", rect(0, -1500, 3000, 1500), code=VB, name="避难西村", township_code=T3, population=600)
    _create(api, "villages", rect(-3000, 1500, 3000, 3000), code=VC, name="无避难村", township_code=T3, population=300)
    # 150 m² → 100 people; ~524 people live within 500 m (6,000 × π·0.25 km² / 9 km²): over capacity
    ids["over"] = _create(api, "shelters", pt(-1500, 0), name="超容避难场所", shelter_type="emergency",
                          usable_area_m2=150.0)
    ids["roomy"] = _create(api, "shelters", pt(1500, 0), name="宽裕避难场所", shelter_type="emergency", capacity=5000)
    ids["nursing"] = _create(api, "care_facilities", pt(-1000, -1000), name="避难三镇敬老院",
                             facility_type="nursing_home", beds=40, residents=30, township_code=T3)
    ids["full"] = _create(api, "care_facilities", pt(1500, -1000), name="满员幸福院", facility_type="happiness_home",
                          beds=10, residents=12, village_code=VB, township_code=T3)
    for i, members in enumerate((3, 2)):  # 特困集中供养 demand in the township: 2 households, 2 + 1 特困 persons
        _create(api, "households", pt(-2000 + i * 50, 800), head_name=f"孙{i}", categories=["tekun_central"],
                members=members, village_code=VA, **({"special_care_persons": 2} if i == 0 else {}))
    for i in range(3):  # in the 幸福院's village: covered
        _create(api, "households", pt(1400 + i * 60, -800), head_name=f"周{i}", categories=["disabled"],
                village_code=VB)
    for i in range(2):  # in another village: uncovered
        _create(api, "households", pt(-2600, 1000 + i * 60), head_name=f"吴{i}", categories=["disabled"],
                village_code=VA)
    return ids


def client(base: str, role: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers=token(base, role), timeout=20)


def open_section(web: Any, name: str) -> Any:
    """Open /coverage and the section ``name`` (a <details>); wait until it has loaded."""
    web.open("/coverage")
    web.page.wait_for_selector("body[data-sections='ready']")
    section = web.page.locator(f"#hc-sec-{name}")
    section.locator("summary").click()
    web.page.wait_for_selector(f"#hc-sec-{name}[data-state='ready']")
    return section


def test_shelter_over_capacity_is_listed_highlighted_and_drawn(as_role: Any, sections_scene: dict[str, Any],
                                                                live_server: str) -> None:
    web = as_role("viewer")
    section = open_section(web, "shelters")
    api = client(live_server, "viewer").get("/api/coverage/shelters").json()
    over = next(r for r in api["rows"] if r["id"] == sections_scene["over"])
    assert over["capacity"] == 100 and over["capacity_basis"] == "area" and over["over_capacity"] is True
    row = web.page.locator(f"#hc-shelters tr[data-id='{sections_scene['over']}']")
    assert row.get_attribute("data-over") == "true" and "hc-over" in row.get_attribute("class")
    assert "100 人（按面积）" in row.inner_text() and f"约 {over['population_est']}" in row.inner_text()
    assert "超容量" in row.inner_text()
    roomy = web.page.locator(f"#hc-shelters tr[data-id='{sections_scene['roomy']}']")
    assert roomy.get_attribute("data-over") == "false" and "hc-over" not in (roomy.get_attribute("class") or "")
    assert f"{api['over_capacity']} 处服务区人口超出容量" in web.page.inner_text("#hc-shelter-summary")
    # on the map: the over-capacity shelter in red, the roomy one not
    assert web.page.locator(f"path.hc-shelter-id-{sections_scene['over']}.hc-shelter-over").count() == 1
    assert web.page.locator(f"path.hc-shelter-id-{sections_scene['roomy']}.hc-shelter-ok").count() == 1
    # the village no shelter reaches: listed and drawn; the reached ones not
    gaps = client(live_server, "viewer").get("/api/coverage/shelters/gaps").json()
    codes = {f["properties"]["code"] for f in gaps["villages"]["features"]}
    assert VC in codes and VA not in codes and VB not in codes
    assert web.page.locator(f"#hc-shelter-gap-villages tr[data-code='{VC}']").count() == 1
    assert web.page.locator(f"path.hc-gap-shelter-{VC}").count() == 1
    assert web.page.locator(f"path.hc-gap-shelter-{VA}").count() == 0
    assert web.page.locator("#hc-shelter-gap-villages tbody tr").count() == len(codes)
    towns = [t["code"] for t in gaps["townships_without_shelter"]]
    assert web.page.locator("#hc-shelter-gap-townships tbody tr").count() == len(towns) and T3 not in towns
    # closing the section takes its layers off the map
    row.click()  # zooms to the shelter
    section.scroll_into_view_if_needed()
    web.shot("74-coverage-shelters")
    section.locator("summary").click()
    web.page.wait_for_function("document.querySelectorAll('path.hc-shelter').length === 0")


def test_care_occupancy_and_central_support_match_the_api(as_role: Any, sections_scene: dict[str, Any],
                                                           live_server: str) -> None:
    web = as_role("case_worker")
    open_section(web, "care")
    worker = client(live_server, "case_worker")
    rows = {r["id"]: r for r in worker.get("/api/coverage/care").json()["rows"]}
    assert web.page.locator("#hc-care tbody tr").count() == len(rows)
    for key, shown in (("nursing", "75.0%"), ("full", "120.0%")):
        fid = sections_scene[key]
        row = web.page.locator(f"#hc-care tr[data-id='{fid}']")
        assert float(row.get_attribute("data-occupancy")) == rows[fid]["occupancy"]
        assert row.locator("td.hc-occupancy").inner_text() == f"{rows[fid]['occupancy'] * 100:.1f}%" == shown
    assert "hc-over" in web.page.locator(f"#hc-care tr[data-id='{sections_scene['full']}']").get_attribute("class")
    assert web.page.locator(f"path.hc-care-id-{sections_scene['full']}").count() == 1
    central = {r["code"]: r for r in worker.get("/api/coverage/care/central-support").json()["rows"]}
    assert central[T3]["beds"] == 40 and central[T3]["demand_persons"] == 3 and central[T3]["balance"] == 37
    t3 = web.page.locator(f"#hc-central tr[data-code='{T3}']")
    assert t3.get_attribute("data-balance") == "37" and "2 户 3 人" in t3.inner_text() and "+37" in t3.inner_text()
    # filter by type: only 敬老院 rows remain
    web.page.select_option("#hc-care-type", "nursing_home")
    web.page.wait_for_function(
        "id => !document.querySelector(`#hc-care tr[data-id='${id}']`)", arg=sections_scene["full"])
    assert web.page.locator(f"#hc-care tr[data-id='{sections_scene['nursing']}']").count() == 1
    web.page.locator("#hc-sec-care").scroll_into_view_if_needed()
    web.shot("75-coverage-care")


def test_village_without_child_director_is_listed_drawn_then_filled(as_role: Any, sections_scene: dict[str, Any],
                                                                    live_server: str) -> None:
    web = as_role("case_worker")
    open_section(web, "children")
    row = web.page.locator(f"#hc-gap-villages tr[data-code='{VB}']")
    assert row.count() == 1 and "避难西村" in row.inner_text()
    assert web.page.locator(f"path.hc-gap-director-{VB}").count() == 1
    assert web.page.locator(f"#hc-gap-townships tr[data-code='{T3}']").count() == 1
    assert web.page.locator(f"path.hc-gap-supervisor-{T3}").count() == 1
    web.page.select_option("#hc-officer-role", "director")
    web.page.select_option("#hc-officer-township", T3)
    web.page.select_option("#hc-officer-village", VB)
    web.page.fill("#hc-officer-name", "钱小红")
    web.page.fill("#hc-officer-phone", "13900001234")
    web.page.click("#hc-officer-save")
    officer = web.page.locator(f"#hc-officers tr[data-unit='{VB}']")
    officer.wait_for()
    web.page.wait_for_selector("#hc-sec-children[data-state='ready']")
    assert web.page.locator(f"#hc-gap-villages tr[data-code='{VB}']").count() == 0
    assert web.page.locator(f"path.hc-gap-director-{VB}").count() == 0
    assert web.page.locator(f"path.hc-gap-director-{VC}").count() == 1  # the others stay
    text = officer.inner_text()
    assert "钱**" in text and "139****1234" in text and "钱小红" not in text and "13900001234" not in text  # masked
    gaps = client(live_server, "case_worker").get("/api/coverage/child-welfare/gaps").json()
    assert VB not in {f["id"] for f in gaps["villages"]["features"]}
    web.page.locator("#hc-sec-children").scroll_into_view_if_needed()
    web.shot("76-coverage-children-case-worker")


def test_household_overlay_is_for_the_case_office_only(as_role: Any, sections_scene: dict[str, Any],
                                                       live_server: str) -> None:
    web = as_role("case_worker")
    web.open("/coverage")
    web.page.wait_for_selector("body[data-sections='ready']")
    before = web.page.get_attribute("body", "data-loaded")
    web.page.select_option("#hc-category", "disabled")
    web.page.wait_for_function("b => document.body.getAttribute('data-loaded') !== b", arg=before)
    web.page.locator("#hc-sec-points summary").click()
    web.page.wait_for_selector("#hc-sec-points[data-state='ready']")
    expected = client(live_server, "case_worker").get("/api/coverage/uncovered", params={
        "facility_type": "happiness_home", "category": "disabled", "method": "euclidean"}).json()
    assert expected["numberMatched"] == 2
    assert web.page.locator("path.hc-hh-uncovered").count() == 2
    assert web.page.locator("path.hc-hh-covered").count() == 3
    web.page.locator("path.hc-hh-uncovered").first.dispatch_event("click")
    popup = web.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "吴*" in popup.inner_text() and "未覆盖" in popup.inner_text() and "已脱敏" in popup.inner_text()
    web.page.locator("#hc-sec-points").scroll_into_view_if_needed()
    web.shot("77-coverage-household-overlay")

    viewer = as_role("viewer")
    requests: list[str] = []
    viewer.page.on("request", lambda r: requests.append(r.url))
    viewer.open("/coverage")
    viewer.page.wait_for_selector("body[data-sections='ready']")
    assert viewer.page.locator("#hc-sec-points").count() == 0
    assert viewer.page.locator("path.hc-hh").count() == 0
    assert not [u for u in requests if "/api/layers/households" in u]
    # the viewer still gets the aggregated choropleth, and the officer form is not offered
    assert viewer.page.evaluate("HC.coverage.count()") > 0
    viewer.page.locator("#hc-sec-children summary").click()
    viewer.page.wait_for_selector("#hc-sec-children[data-state='ready']")
    assert viewer.page.locator("#hc-officer-form").count() == 0
    assert viewer.page.locator("#hc-officers button[data-retire]").count() == 0
    viewer.shot("78-coverage-viewer-sections")
