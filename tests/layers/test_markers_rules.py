"""Boundary-marker records checked on every write (number suffix by type, unique per line) and the
方位物 warning on every page that shows a marker, as the data each page reads (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from gis_server.routers.pages import layer_metadata
from layers.boundaries import MIN_REFERENCE_OBJECTS
from layers.catalog import registry
from layers.roles import Actor
from tests.utils.features import create, feature, line, point
from tests.utils.inspections import REFS, boundary
from web_map.builder import map_config
from web_map.settings import MapSettings

MARKERS = "/api/layers/boundary_markers/features"
TWO_REFS_WARNING = "方位物仅 2 个，少于 3 个（民政部令第28号第三条：一般不少于 3 个），请外业补测"
NO_REFS_WARNING = "方位物仅 0 个，少于 3 个（民政部令第28号第三条：一般不少于 3 个），请外业补测"


def _post(client, line_id, number, marker_type, lon=122.52, lat=40.61, **extra):
    return client.post(MARKERS, json=feature(point(lon, lat), line_id=line_id, number=number, marker_type=marker_type,
                                             **extra))


@pytest.fixture
def line_id(client):
    return boundary(client, n=0)["line_id"]


# --- number suffix by type ------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "marker_type", "wanted"), [
    ("004A", "single", "Q"), ("004Q", "double", "A、B"), ("004", "double", "A、B"), ("005A", "triple", "C、D、E"),
    ("005", "triple", "C、D、E"), ("006X", "single", "Q"),
])
def test_a_number_whose_suffix_does_not_fit_the_type_is_refused(client, line_id, number, marker_type, wanted):
    response = _post(client, line_id, number, marker_type)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "number"
    assert f"界桩号“{number}”与界桩类型" in body["message"] and f"应以 {wanted} 结尾" in body["message"]
    assert body["message"].endswith("依据：国务院勘界工作领导小组办公室《省级行政区域界线勘界测绘技术规定》"
                                    "界桩编号类型码（县级界线参照执行））")
    assert client.get(f"{MARKERS}?line_id={line_id}").json()["numberMatched"] == 0


def test_numbers_that_fit_are_stored_with_the_type_letter_upper_case(client, line_id):
    made = [_post(client, line_id, n, t) for n, t in
            [("001Q", "single"), ("002", "single"), ("003a", "double"), ("003B", "double"), ("004C", "triple"),
             ("004D", "triple"), ("004E", "triple")]]
    assert [r.status_code for r in made] == [201] * 7
    assert [r.json()["properties"]["number"] for r in made] == ["001Q", "002", "003A", "003B", "004C", "004D", "004E"]


def test_markers_of_one_number_share_their_type(client, line_id):
    assert _post(client, line_id, "007A", "double").status_code == 201
    single = _post(client, line_id, "007Q", "single")
    assert single.status_code == 422 and single.json()["field"] == "marker_type"
    assert "同号界桩“007A”为同号双立" in single.json()["message"]
    assert _post(client, line_id, "007", "single").status_code == 422  # the bare number of a pair, too
    assert _post(client, line_id, "0071", "single").status_code == 201  # another number


def test_a_type_change_is_checked_against_the_number_on_patch(client, line_id):
    marker = _post(client, line_id, "008Q", "single").json()
    response = client.patch(f"{MARKERS}/{marker['id']}", json={"properties": {"marker_type": "double"}},
                            headers={"If-Match": '"1"'})
    assert response.status_code == 422 and response.json()["field"] == "number"
    renumbered = client.patch(f"{MARKERS}/{marker['id']}", json={"properties": {"marker_type": "double",
                                                                               "number": "008A"}},
                              headers={"If-Match": '"1"'})
    assert renumbered.status_code == 200 and renumbered.json()["properties"]["number"] == "008A"


# --- unique per line ------------------------------------------------------------------------------

def test_a_number_is_unique_on_its_line_only(client, line_id):
    first = _post(client, line_id, "001Q", "single").json()
    for number in ("001Q", "001q", " 001Q "):
        again = _post(client, line_id, number, "single", lon=122.53)
        assert again.status_code == 409, number
        message = again.json()["message"]  # the natural-key check or the marker rule (after normalising), both name it
        assert "界桩号“001Q”" in message and f"编号 {first['id']}" in message, message
    other_line = create(client, "boundary_lines", line((122.6, 40.6), (122.7, 40.62)), name="海城市—辽阳县界线（测试）",
                        line_level="county", side_a="海城市", side_b="辽阳县")["id"]
    assert _post(client, other_line, "001Q", "single", lon=122.65).status_code == 201
    second = _post(client, line_id, "002Q", "single", lon=122.54).json()
    clash = client.patch(f"{MARKERS}/{second['id']}", json={"properties": {"number": "001Q"}},
                         headers={"If-Match": '"1"'})
    assert clash.status_code == 409 and client.get(f"{MARKERS}/{second['id']}").json()["properties"]["number"] == "002Q"


def test_a_retired_markers_number_is_not_a_new_marker_elsewhere(client, line_id):
    # retire and re-create under the same number = a move without a re-survey
    first = _post(client, line_id, "009Q", "single").json()
    assert client.delete(f"{MARKERS}/{first['id']}", headers={"If-Match": '"1"'}).status_code == 204
    again = _post(client, line_id, "009Q", "single", lon=122.53)
    assert again.status_code == 409 and again.json()["field"] == "number"
    assert f"界桩号“009Q”属于已注销的界桩（编号 {first['id']}）：请在其历史中恢复原界桩" in again.json()["message"]
    restored = client.post(f"{MARKERS}/{first['id']}/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert restored.status_code == 200 and restored.json()["geometry"]["coordinates"] == [122.52, 40.61]


# --- the 方位物 warning ----------------------------------------------------------------------------

def test_the_minimum_is_the_inspection_default():
    defaults = json.loads(Path("data/inspections/defaults.json").read_text(encoding="utf-8"))
    assert defaults["min_reference_objects"]["value"] == MIN_REFERENCE_OBJECTS == 3


def test_the_warning_follows_the_reference_objects_whoever_writes_them(client, conn, line_id):
    marker = _post(client, line_id, "010Q", "single", reference_objects=REFS[:2]).json()
    assert marker["properties"]["reference_warning"] == TWO_REFS_WARNING
    url = f"{MARKERS}/{marker['id']}"
    complete = client.patch(url, json={"properties": {"reference_objects": REFS}}, headers={"If-Match": '"1"'})
    assert complete.json()["properties"]["reference_warning"] is None
    assert _post(client, line_id, "011Q", "single", lon=122.53).json()["properties"]["reference_warning"] == (
        NO_REFS_WARNING)
    # straight in PostGIS (QGIS): the database computes it, and lists carry it
    conn.execute(text("UPDATE boundary_markers SET reference_objects = CAST(:r AS jsonb) WHERE id = :id"),
                 {"r": json.dumps(REFS[:2]), "id": marker["id"]})
    listed = client.get(f"{MARKERS}?line_id={line_id}&sort=number").json()["features"]
    assert [f["properties"]["reference_warning"] for f in listed] == [TWO_REFS_WARNING, NO_REFS_WARNING]
    assert client.patch(url, json={"properties": {"reference_warning": None}},
                        headers={"If-Match": '"3"'}).status_code == 422  # not for clients to set


def test_every_page_that_shows_a_marker_gets_the_warning(client, line_id):
    marker = _post(client, line_id, "012Q", "single", reference_objects=REFS[:2]).json()
    complete = _post(client, line_id, "013Q", "single", lon=122.521, reference_objects=REFS).json()
    # record page (/features/…): the field, marked as a notice, and the feature
    described = {f["name"]: f for f in client.get("/api/layers/boundary_markers").json()["fields"]}
    assert described["reference_warning"]["label"] == "方位物提示" and described["reference_warning"]["notice"]
    assert client.get(f"{MARKERS}/{marker['id']}").json()["properties"]["reference_warning"] == TWO_REFS_WARNING
    # map popup: the map's layer config lists the notice among the popup's fields; the popup reads the feature
    spec = registry().get("boundary_markers")
    config = map_config([layer_metadata(spec, Actor("t", frozenset({"viewer"})))], MapSettings(_env_file=None),
                        ["界线界桩"])
    fields = {f["name"]: f for f in config["layers"][0]["fields"]}
    assert fields["reference_warning"]["notice"] is True
    # inspections pages and the field form: markers on the map, the nearest markers, the records table
    campaign = client.post("/api/inspections/campaigns", json={"name": "方位物提示核查", "year": 2026,
                                                                "line_ids": [line_id]}).json()
    on_map = client.get(f"/api/inspections/map/markers?campaign_id={campaign['id']}").json()["features"]
    assert {f["properties"]["number"]: f["properties"]["reference_warning"] for f in on_map} == {
        "012Q": TWO_REFS_WARNING, "013Q": None}
    nearest = client.get("/api/inspections/markers/nearest?lon=122.52&lat=40.61&limit=2").json()
    assert [(m["number"], m["reference_warning"]) for m in nearest] == [("012Q", TWO_REFS_WARNING), ("013Q", None)]
    record = client.post(f"/api/inspections/campaigns/{campaign['id']}/records", json={
        "client_id": "phone-refs-0001", "marker_id": marker["id"], "condition": "intact"})
    assert record.status_code == 201, record.text
    records = client.get(f"/api/inspections/campaigns/{campaign['id']}/records").json()
    assert [r["marker_reference_warning"] for r in records] == [TWO_REFS_WARNING]
    assert complete["properties"]["reference_warning"] is None


def test_the_pages_scripts_show_the_warning():
    js = Path("web_map/static/js")
    assert "f.notice" in (js / "hc-layers.js").read_text(encoding="utf-8")  # popup
    assert "f.notice" in (js / "hc-feature.js").read_text(encoding="utf-8")  # record page
    assert "p.reference_warning" in (js / "hc-inspections.js").read_text(encoding="utf-8")  # campaign map
    assert "r.marker_reference_warning" in (js / "hc-inspections.js").read_text(encoding="utf-8")  # records
    assert "m.reference_warning" in (js / "hc-field.js").read_text(encoding="utf-8")  # field form
