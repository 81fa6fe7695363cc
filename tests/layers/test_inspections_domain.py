"""Inspection domain on the database: reference objects checked on every marker write, position history,
nearest marker in metres, campaign validation."""

from __future__ import annotations

import pytest

from layers.errors import InvalidInput
from layers.inspections import campaigns
from layers.roles import Actor
from tests.utils.features import feature, point
from tests.utils.inspections import boundary, metres

ACTOR = Actor("tester", frozenset({"boundary_surveyor"}))


def test_reference_objects_are_checked_through_the_feature_api(client):
    site = boundary(client, n=1)
    bad = feature(point(122.51, 40.61), line_id=site["line_id"], number="009Q", marker_type="single",
                  reference_objects=[{"name": "独立树", "bearing_deg": 361, "distance_m": 10}])
    response = client.post("/api/layers/boundary_markers/features", json=bad)
    assert response.status_code == 422 and "方位物" in response.json()["message"]


def test_campaign_input_is_checked(conn, client):
    site = boundary(client, n=1)
    with pytest.raises(InvalidInput) as error:
        campaigns.create_campaign(conn, {"name": "x", "year": 2025, "line_ids": []}, ACTOR)
    assert "至少一条界线" in error.value.message
    with pytest.raises(InvalidInput) as error:
        campaigns.create_campaign(conn, {"name": "x", "year": 2025, "line_ids": [site["line_id"], 987654]}, ACTOR)
    assert "界线不存在" in error.value.message
    with pytest.raises(InvalidInput) as error:
        campaigns.create_campaign(conn, {"name": "x", "year": 2025, "line_ids": [site["line_id"]],
                                         "tolerance_m": -1}, ACTOR)
    assert "容差" in error.value.message
    campaign_id = campaigns.create_campaign(conn, {"name": "x", "year": 2025, "line_ids": [site["line_id"]],
                                                   "tolerance_m": 0.5, "tolerance_basis": "省厅通知"}, ACTOR)
    campaign = campaigns.get_campaign(conn, campaign_id)
    assert (campaign["tolerance_m"], campaign["tolerance_basis"], campaign["status"]) == (0.5, "省厅通知", "planned")


def test_nearest_marker_is_nearest_in_metres(client):
    site = boundary(client, n=3)
    here = (122.53, 40.612)
    near = client.get("/api/inspections/markers/nearest", params={"lon": here[0], "lat": here[1], "limit": 3}).json()
    truth = sorted(site["markers"], key=lambda m: metres(here, (m["lon"], m["lat"])))
    assert [m["id"] for m in near] == [m["id"] for m in truth]
    assert near[0]["distance_m"] == round(metres(here, (truth[0]["lon"], truth[0]["lat"])), 2)
