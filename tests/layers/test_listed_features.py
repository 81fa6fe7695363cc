"""Listed features are the masked GeoJSON texts kept for each row in ``listed_features``, written by a
trigger on every write — by the API or straight in SQL (QGIS) — and gone with a deleted row."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from layers.catalog import registry
from layers.listed import function_name, trigger_body, trigger_name
from tests.utils.features import feature, point, shelter


@pytest.mark.parametrize("spec", list(registry()), ids=lambda spec: spec.name)
def test_the_database_trigger_builds_what_the_models_say(conn, spec):
    """Fails when fields or masks change without a migration re-creating the trigger functions
    (``layers.listed.install_sql`` writes them)."""
    body, settings = conn.execute(text("SELECT prosrc, proconfig FROM pg_proc WHERE proname = :name"),
                                  {"name": function_name(spec)}).one()
    assert body == trigger_body(spec)
    assert settings == ["TimeZone=UTC"]
    enabled = conn.execute(text("SELECT tgenabled FROM pg_trigger WHERE tgname = :name"),
                           {"name": trigger_name(spec)}).scalar_one()
    assert enabled == "O"


def _household(client, **props):
    body = {"head_name": "张三丰", "categories": ["dibao"], "phone": "13812345678",
            "address": "海城市海州街道某路8号", **props}
    response = client.post("/api/layers/households/features", json=feature(point(), **body))
    assert response.status_code == 201, response.text
    return response.json()


def _listed(client, layer, feature_id):
    body = client.get(f"/api/layers/{layer}/features").json()
    return next((f for f in body["features"] if f["id"] == feature_id), None)


def test_a_listed_household_is_masked_and_the_same_as_read_alone(client):
    created = _household(client)
    listed = _listed(client, "households", created["id"])
    assert listed["properties"]["head_name"] == "张**"
    assert listed["properties"]["phone"] == "138****5678"
    assert listed["properties"]["address"] == "海城市海州****"  # 11 characters: at most half shown
    assert listed == client.get(f"/api/layers/households/features/{created['id']}").json()


def test_an_edit_made_in_sql_is_listed_with_its_new_version(client, conn):
    created = _household(client, head_name="王")
    assert _listed(client, "households", created["id"])["properties"]["head_name"] == "*"  # one character
    conn.execute(text("SET LOCAL TimeZone = 'Asia/Shanghai'"))  # as a desktop GIS in Beijing might
    conn.execute(text("UPDATE households SET phone = '13900001111' WHERE id = :id"), {"id": created["id"]})
    conn.execute(text("SET LOCAL TimeZone = 'UTC'"))  # as the app's sessions run
    listed = _listed(client, "households", created["id"])
    assert listed["properties"]["phone"] == "139****1111"
    assert listed["properties"]["version"] == 2
    assert listed == client.get(f"/api/layers/households/features/{created['id']}").json()


def test_edits_through_the_api_are_listed_and_a_deleted_row_leaves_nothing_behind(client, conn):
    created = shelter(client, name="旧名")
    client.patch(f"/api/layers/shelters/features/{created['id']}", json={"properties": {"name": "新名"}},
                 headers={"If-Match": '"1"'})
    assert _listed(client, "shelters", created["id"])["properties"]["name"] == "新名"
    conn.execute(text("DELETE FROM shelters WHERE id = :id"), {"id": created["id"]})
    assert _listed(client, "shelters", created["id"]) is None
    left = conn.execute(text("SELECT count(*) FROM listed_features WHERE layer = 'shelters' AND id = :id"),
                        {"id": created["id"]}).scalar_one()
    assert left == 0
