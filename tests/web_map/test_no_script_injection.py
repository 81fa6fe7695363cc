"""Stored XSS regression: text from the data is shown as text on every page, never run as HTML.

Leaflet's tooltips, popups and ``divIcon({html})`` take HTML strings, so every name, description or API
message that reaches them must go through ``HC.esc`` (or be a DOM node / textContent). Here the names
of a township, a village, a care facility, a shelter, a cemetery, a road, a boundary line, a place name,
a household, an inspection campaign, a finding's description and a siting candidate all carry a
payload that breaks out of an attribute and adds an ``<img onerror>`` counting into ``window.__xss``.
Each page is opened as the role that works with those features, the popups and tooltips on them are
opened, and ``window.__xss`` must stay undefined while the payload is readable as text.

Hand-made features (committed in gis_browser, in the west of the county, away from the other scenes).
Signed in through /login; zero JS errors, zero requests outside 127.0.0.1 (``as_role``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.utils.frame import LocalFrame
from tests.web_map.conftest import _create, _line

PAYLOAD = '"\'><img src=x onerror="window.__xss=(window.__xss||0)+1">'
ORIGIN = (122.40, 40.90)
TOWNSHIP = "210381190"
VILLAGE = TOWNSHIP + "001"
FRAME = LocalFrame(*ORIGIN)
ll, pt, rect = FRAME.ll, FRAME.pt, FRAME.rect
SITE = ll(0, -100)  # 100 m south of the payload expressway, in the payload village

# Every tooltip and popup bound on a Leaflet map, opened one after the other: their text, and whether
# any of them holds an element parsed from the data (an <img>).
OPEN_ALL = """map => {
  const out = {texts: [], images: 0};
  const read = el => { if (el) { out.texts.push(el.textContent); out.images += el.querySelectorAll('img').length; } };
  map.eachLayer(l => { const t = l.getTooltip && l.getTooltip(); if (t) { l.openTooltip(); read(t.getElement()); } });
  map.eachLayer(l => { const p = l.getPopup && l.getPopup(); if (p) { l.openPopup(); read(p.getElement()); } });
  return out;
}"""

# The main map's click on feature ``id`` of ``name`` (a GeoJSON layer's feature, or a vector-tile hit).
CLICK_FEATURE = """([name, id, lat, lon]) => {
  const layer = HC.layers.leafletLayer(name), at = L.latLng(lat, lon);
  if (!layer) { return false; }
  if (HC.layers.get(name).large) { layer.fire('click', {layer: {properties: {id: id}}, latlng: at}); return true; }
  let hit = null;
  layer.eachLayer(f => { if (f.feature && f.feature.id === id) { hit = f; } });
  if (hit) { hit.fire('click', {latlng: at}); }
  return !!hit;
}"""


def named(what: str) -> str:
    return PAYLOAD + what


@pytest.fixture(scope="module")
def scene(api: httpx.Client, browser_db: Any) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    ids["townships"] = _create(api, "townships", rect(-3000, -3000, 3000, 3000), code=TOWNSHIP, name=named("镇"),
                               kind="town")
    ids["villages"] = _create(api, "villages", rect(-3000, -3000, 3000, 3000), code=VILLAGE, name=named("村"),
                              township_code=TOWNSHIP, population=800)
    ids["care_facilities"] = _create(api, "care_facilities", pt(-2000, -2000), name=named("幸福院"),
                                     facility_type="happiness_home", beds=10, residents=5, village_code=VILLAGE,
                                     township_code=TOWNSHIP)
    ids["shelters"] = _create(api, "shelters", pt(2000, -2000), name=named("避难场所"), shelter_type="emergency",
                              capacity=100)
    ids["cemeteries"] = _create(api, "cemeteries", rect(-2500, 1000, -2400, 1100), name=named("公墓"),
                                cemetery_type="commercial", status="existing")
    ids["roads"] = _create(api, "roads", _line(ll(-3000, 0), ll(3000, 0)), name=named("公路"),
                           road_class="expressway")
    ids["boundary_lines"] = _create(api, "boundary_lines", _line(ll(-2500, 2000), ll(2500, 2000)),
                                    name=named("界线"), line_level="township", side_a=named("甲镇"), side_b="乙镇",
                                    next_inspection_date=date(date.today().year + 1, 1, 1).isoformat())
    ids["place_names"] = _create(api, "place_names", pt(1000, 1500), name="示例屯", class_code="06100",
                                 township_code=TOWNSHIP)
    with browser_db.begin() as conn:  # the API refuses markup in a place name (naming rules): as from QGIS
        conn.execute(text("UPDATE place_names SET name = :n WHERE id = :i"),
                     {"n": named("屯"), "i": ids["place_names"]})
    ids["scattered_graves"] = _create(api, "scattered_graves", pt(500, 50), status="to_move")
    # uncovered (the 幸福院 is 3 km away) but within 1 km of the village: the village is a suggested site
    ids["households"] = [_create(api, "households", pt(300, 300 + i * 20), head_name=named(f"户{i}"),
                                 categories=["dibao"], village_code=VILLAGE, members=2) for i in range(6)]
    campaign = api.post("/api/inspections/campaigns", json={
        "name": named("联检"), "year": date.today().year, "round": 1, "line_ids": [ids["boundary_lines"]]})
    assert campaign.status_code == 201, campaign.text
    ids["campaign"] = campaign.json()["id"]
    finding = api.post(f"/api/inspections/campaigns/{ids['campaign']}/findings", json={
        "line_id": ids["boundary_lines"], "kind": "construction", "description": named("跨界建设"),
        "handling": named("处理"), "geometry": pt(0, 2000)})
    assert finding.status_code == 201, finding.text
    candidate = api.post("/api/siting/candidates", json={"geometry": pt(-1000, -2000), "name": named("候选地")})
    assert candidate.status_code == 201, candidate.text
    return ids


def assert_not_run(page: Any) -> None:
    """No payload ran, and none was parsed into an element (an <img src=x> fails to load at once)."""
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0


def assert_context_names(page: Any, small_map: str) -> None:
    """A record page's small map names the township and village around the record as text."""
    page.wait_for_selector(f"{small_map}[data-context='ready']")
    assert any(named("村") == t for t in page.locator(f"{small_map} .hc-ctx-label-villages").all_text_contents())
    assert PAYLOAD in page.locator(f"{small_map} .hc-ctx-where").text_content()
    assert page.locator(f"{small_map} img").count() == 0


def open_everything(page: Any, map_expression: str) -> list[str]:
    shown = page.evaluate(f"({OPEN_ALL})({map_expression})")
    assert shown["images"] == 0, shown
    return [t for t in shown["texts"] if PAYLOAD in t]


def test_main_map_popups_and_feature_pages(as_role: Any, scene: dict[str, Any]) -> None:
    web = as_role("admin")
    web.open()
    web.page.evaluate(f"HC.map.setView([{ORIGIN[1]}, {ORIGIN[0]}], 13, {{animate: false}})")
    at = {"townships": ll(-2900, -2900), "villages": ll(-2900, -2900), "care_facilities": ll(-2000, -2000),
          "shelters": ll(2000, -2000), "cemeteries": ll(-2450, 1050), "roads": ll(0, 0),
          "boundary_lines": ll(0, 2000), "place_names": ll(1000, 1500)}
    for name, (lon, lat) in at.items():
        fid = scene[name]
        web.page.evaluate("name => HC.layers.setVisible(name, true)", name)
        web.page.wait_for_function(CLICK_FEATURE, arg=[name, fid, lat, lon], timeout=10000)
        popup = web.page.locator(f'.hc-popup[data-layer="{name}"][data-id="{fid}"]')
        popup.wait_for()
        assert PAYLOAD in popup.locator("h3").text_content(), name
        assert popup.locator("img").count() == 0, name
    assert any(named("村") in t for t in web.page.locator(".hc-label").all_text_contents())  # names on the map
    assert_not_run(web.page)
    web.shot("90-xss-main-map")

    for name in ("villages", "care_facilities", "shelters", "cemeteries", "roads", "boundary_lines"):
        web.page.goto(f"{web.base}/features/{name}/{scene[name]}")
        web.page.wait_for_selector("body[data-loaded]")
        assert PAYLOAD in web.page.locator("#hc-feature-title").text_content(), name
        assert_context_names(web.page, "#hc-small-map")
        assert_not_run(web.page)


def test_geometry_error_tooltip_shows_the_message_as_text(as_role: Any, scene: dict[str, Any]) -> None:
    """An API error that echoes what was sent is drawn where it is, as text (the response is stubbed:
    the server's geometry messages carry only numbers, but the page may not rely on that)."""
    web = as_role("admin")
    web.open()
    lon, lat = ll(2000, -2000)
    message = named("几何无效")

    def refuse(route: Any) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        route.fulfill(status=422, content_type="application/json", body=json.dumps(
            {"code": "invalid_geometry", "message": message, "field": "geometry", "location": [lon, lat]}))

    web.page.route(f"**/api/layers/shelters/features/{scene['shelters']}*", refuse)
    web.page.evaluate(f"HC.map.setView([{lat}, {lon}], 14, {{animate: false}})")
    web.page.evaluate("HC.layers.setVisible('shelters', true)")
    web.page.wait_for_function(CLICK_FEATURE, arg=["shelters", scene["shelters"], lat, lon], timeout=10000)
    web.page.click('.hc-popup button[data-act="edit"]')
    web.page.fill('.hc-edit-dialog input[name="name"]', named("改名"))
    web.page.click('.hc-edit-dialog button[data-action="save"]')
    tip = web.page.locator(".hc-error-tip")
    tip.wait_for()
    assert tip.text_content() == message and tip.locator("img").count() == 0
    assert web.page.locator(".hc-edit-dialog .hc-form-error").text_content() == message
    assert_not_run(web.page)
    web.shot("91-xss-error-tooltip")


def test_coverage_page(as_role: Any, scene: dict[str, Any]) -> None:
    web = as_role("case_worker")
    web.open("/coverage")
    web.page.wait_for_selector("body[data-sections='ready']")
    web.page.evaluate(f"HC.coverage.map.setView([{ORIGIN[1]}, {ORIGIN[0]}], 13, {{animate: false}})")
    web.page.fill("#hc-k", "50")
    web.page.click("#hc-suggest-go")
    web.page.wait_for_selector("#hc-sites li")
    assert any(PAYLOAD in t for t in web.page.locator("#hc-sites li").all_text_contents())
    texts = open_everything(web.page, "HC.coverage.map")  # the choropleth and the suggested sites
    # one section on the map at a time (issue 16): each one's symbols and outlines while it is open
    for section in ("shelters", "care", "children", "points"):
        web.page.locator(f"#hc-sec-{section} summary").click()
        web.page.wait_for_selector(f"#hc-sec-{section}[data-state='ready']")
        web.page.wait_for_function("s => document.getElementById('hc-legend').dataset.legend === s", arg=section)
        texts += open_everything(web.page, "HC.coverage.map")
    for table in ("#hc-shelters", "#hc-care", "#hc-gap-villages"):
        assert PAYLOAD in web.page.locator(table).text_content(), table
    for what in ("村：", "幸福院：", "避难场所：", "村：缺儿童主任"):  # choropleth, care, shelter, child welfare
        assert any(named(what) in t for t in texts), (what, texts)
    assert any(named("村：新增覆盖") in t for t in texts), texts  # the suggested site
    assert_not_run(web.page)
    web.shot("92-xss-coverage")


def test_siting_page(as_role: Any, scene: dict[str, Any]) -> None:
    web = as_role("funeral_planner")
    web.open("/siting")
    web.page.evaluate(f"HC.siting.check({{type: 'Point', coordinates: [{SITE[0]}, {SITE[1]}]}})")
    web.page.wait_for_function("document.body.getAttribute('data-report')")
    report = web.page.locator("#hc-report").text_content()
    assert named("公路") in report and named("村") in report
    web.page.wait_for_selector("path.hc-hit")
    web.page.check("#hc-tog-uncovered")
    web.page.wait_for_selector(f'#hc-uncovered-list li[data-code="{VILLAGE}"]')
    web.page.wait_for_selector("path.hc-uncovered")
    web.page.check("#hc-tog-graves")
    web.page.wait_for_selector("path.hc-grave", state="attached")  # every grave to move, some out of view
    texts = open_everything(web.page, "HC.siting.map")
    for what in ("公路，相距", "村：无公益性公墓覆盖", "村（编号"):  # the road hit, the uncovered village, the grave
        assert any(named(what) in t for t in texts), (what, texts)
    candidate = web.page.locator("#hc-candidates li[data-candidate]", has_text=named("候选地"))
    candidate.locator("strong").click()
    web.page.wait_for_function("document.querySelector('#hc-report').textContent.includes('冻结')")
    assert named("候选地") in web.page.locator("#hc-report").text_content()
    assert_not_run(web.page)
    web.shot("93-xss-siting")


def test_inspection_pages(as_role: Any, scene: dict[str, Any]) -> None:
    web = as_role("boundary_surveyor")
    web.open("/inspections")
    row = web.page.locator(f"#ins-campaigns tr[data-id='{scene['campaign']}']")
    assert named("联检") in row.text_content() and named("界线") in row.text_content()
    assert any(named("界线") in t for t in open_everything(web.page, "HC.inspections.map"))
    assert_not_run(web.page)

    web.open(f"/inspections/{scene['campaign']}")
    web.page.wait_for_selector(f"#ins-findings li[data-line='{scene['boundary_lines']}']")
    assert web.page.locator("#ins-title").text_content() == named("联检")
    assert named("跨界建设") in web.page.locator("#ins-findings").text_content()
    texts = open_everything(web.page, "HC.inspections.map")
    assert any(named("跨界建设") in t for t in texts), texts  # the finding's tooltip
    assert any(named("界线") in t for t in texts), texts  # the line's popup
    assert_not_run(web.page)
    web.shot("94-xss-campaign")


def test_place_name_pages(as_role: Any, scene: dict[str, Any]) -> None:
    web = as_role("place_names_editor")
    web.open(f"/place-names?township_code={TOWNSHIP}")
    web.page.wait_for_selector(f"#pn-results tr[data-id='{scene['place_names']}']")
    assert named("屯") in web.page.locator("#pn-results").text_content()
    assert named("镇") in web.page.locator(f"#pn-township option[value='{TOWNSHIP}']").text_content()
    # the live naming-rule check quotes the name typed
    web.page.fill("#pn-new-name", named("新屯"))
    web.page.wait_for_function("['ok', 'warning', 'error'].includes("
                               "document.getElementById('pn-new-check').getAttribute('data-state'))")
    assert web.page.locator("#pn-new-check li").count() > 0
    assert_not_run(web.page)

    web.open(f"/place-names/{scene['place_names']}")
    web.page.wait_for_selector("body[data-loaded]")
    assert PAYLOAD in web.page.locator("#pn-title").text_content()
    assert named("屯") in web.page.locator("#pn-names").text_content()
    assert_context_names(web.page, "#pn-map")
    assert_not_run(web.page)
    web.shot("95-xss-place-name")
