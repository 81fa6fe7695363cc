"""Attack: moving a boundary marker without a re-survey (《行政区域界线管理条例》第六条).

A boundary surveyor PATCHed /api/layers/boundary_markers/features/{id} with a point ≈ 10 m away and the
marker moved with no document. Every generic path must refuse a new position — PATCH, PUT, a restore of an
older position, a new position document — and leave the marker as it was.
"""

from __future__ import annotations

import pytest

from tests.utils.features import feature, point
from tests.utils.inspections import boundary, metres, moved

MARKERS = "/api/layers/boundary_markers/features"


@pytest.fixture
def marker(client):
    return boundary(client, n=1)["markers"][0]


def _position(client, marker_id):
    body = client.get(f"{MARKERS}/{marker_id}").json()
    return tuple(body["geometry"]["coordinates"]), body["properties"]["version"]


def test_patch_moving_a_marker_10_m_is_refused_and_changes_nothing(client_as, client, marker):
    surveyor = client_as("boundary_surveyor")
    at = moved(marker["lon"], marker["lat"], 8.0, 6.0)  # 10 m to the north-east
    response = surveyor.patch(f"{MARKERS}/{marker['id']}", json={"geometry": point(*at)}, headers={"If-Match": '"1"'})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "geometry"
    assert "界桩位置只能经复测变更" in body["message"]
    assert f"/api/inspections/markers/{marker['id']}/resurvey" in body["message"]
    assert "第六条" in body["message"]
    position, version = _position(client, marker["id"])
    assert position == pytest.approx((marker["lon"], marker["lat"]), abs=1e-9) and version == 1
    assert len(client.get(f"{MARKERS}/{marker['id']}/history").json()["versions"]) == 1


def test_put_with_another_point_is_refused_but_the_same_point_with_new_attributes_is_not(client, marker):
    url = f"{MARKERS}/{marker['id']}"
    props = {"line_id": client.get(url).json()["properties"]["line_id"], "number": "001Q", "marker_type": "single"}
    elsewhere = feature(point(*moved(marker["lon"], marker["lat"], 0.0, 0.01)), **props)  # 1 cm
    assert client.put(url, json=elsewhere, headers={"If-Match": '"1"'}).status_code == 422
    same = client.put(url, json=feature(point(marker["lon"], marker["lat"]), **props, material="concrete"),
                      headers={"If-Match": '"1"'})
    assert same.status_code == 200, same.text
    assert same.json()["properties"]["material"] == "concrete"


def test_attributes_still_change_and_the_position_document_does_not(client, marker):
    url = f"{MARKERS}/{marker['id']}"
    assert client.patch(url, json={"properties": {"material": "metal"}}, headers={"If-Match": '"1"'}).status_code == 200
    forged = client.patch(url, json={"properties": {"position_doc": "伪造文件"}}, headers={"If-Match": '"2"'})
    assert forged.status_code == 422 and forged.json()["field"] == "position_doc"
    assert client.get(url).json()["properties"]["position_doc"] is None


def test_restoring_an_older_position_is_refused(client, marker):
    # a re-survey moves it (version 2); restoring version 1 would move it back without one
    done = client.post(f"/api/inspections/markers/{marker['id']}/resurvey", headers={"If-Match": '"1"'}, json={
        "geometry": point(*moved(marker["lon"], marker["lat"], 3.0, 4.0)), "document": "海石界复测〔2025〕2号",
        "confirmations": {"side_a": {"confirmed_by": "王一", "confirmed_on": "2025-05-02"},
                          "side_b": {"confirmed_by": "赵三", "confirmed_on": "2025-05-03"}}})
    assert done.status_code == 200, done.text
    response = client.post(f"{MARKERS}/{marker['id']}/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert response.status_code == 422 and response.json()["field"] == "geometry"
    position, version = _position(client, marker["id"])
    assert version == 2 and metres(position, (marker["lon"], marker["lat"])) == pytest.approx(5.0, abs=1e-3)


def test_a_put_cannot_drop_the_position_document_of_a_resurveyed_marker(client, marker):
    url = f"{MARKERS}/{marker['id']}"
    done = client.post(f"/api/inspections/markers/{marker['id']}/resurvey", headers={"If-Match": '"1"'}, json={
        "geometry": point(*moved(marker["lon"], marker["lat"], 1.0, 0.0)), "document": "海石界复测〔2025〕5号",
        "confirmations": {"side_a": {"confirmed_by": "王一", "confirmed_on": "2025-05-02"},
                          "side_b": {"confirmed_by": "赵三", "confirmed_on": "2025-05-03"}}})
    assert done.status_code == 200, done.text
    current = client.get(url).json()
    props = {k: current["properties"][k] for k in ("line_id", "number", "marker_type")}  # no position_doc
    response = client.put(url, json=feature(current["geometry"], **props), headers={"If-Match": '"2"'})
    assert response.status_code == 422 and response.json()["field"] == "position_doc"
    assert client.get(url).json()["properties"]["position_doc"] == "海石界复测〔2025〕5号"
