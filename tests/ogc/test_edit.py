"""OGC API – Features Part 4 through the feature store: validated, versioned, locked, masked, audited."""

from __future__ import annotations

import base64

from sqlalchemy import text

from tests.conftest import PASSWORD, bearer
from tests.utils.features import feature, point

ITEMS = "/ogc/collections/shelters/items"


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_a_round_trip_as_qgis_makes_it(anonymous, conn, settings):
    """Create, update without If-Match (the version property read), stale refused, delete: all in history
    and the audit log. HTTP Basic, as QGIS is configured."""
    auth = basic("admin")
    assert "POST" in anonymous.options(ITEMS, headers=auth).headers["allow"]
    created = anonymous.post(ITEMS, headers=auth, json=feature(point(122.70, 40.85), name="新场所",
                                                                shelter_type="emergency", capacity=50))
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    location = created.headers["location"]
    fid = created.json()["id"]
    assert location.endswith(f"{ITEMS}/{fid}")
    # QGIS updates with a PUT of the whole feature when the server announces no PATCH
    assert anonymous.options(location, headers=auth).headers["allow"] == "GET, PUT, DELETE, OPTIONS"
    read = anonymous.get(location, headers=auth).json()
    assert read["properties"]["version"] == 1
    edited = {**read, "properties": {**read["properties"], "capacity": 80}}
    edited.pop("links")
    updated = anonymous.put(location, headers=auth, json=edited)  # no If-Match: version 1 from the properties
    assert updated.status_code == 200, updated.text
    assert updated.json()["properties"]["capacity"] == 80 and updated.headers["etag"] == '"2"'
    stale = anonymous.put(location, headers=auth, json={**edited, "properties": {**edited["properties"],
                                                                                    "capacity": 99}})
    assert stale.status_code == 412
    assert anonymous.get(location, headers=auth).json()["properties"]["capacity"] == 80
    assert anonymous.put(location, headers=auth, json={"type": "Feature", "geometry": point(),
                                                       "properties": {"capacity": 1}}).status_code == 428
    assert anonymous.delete(location, headers=auth).status_code == 204
    assert anonymous.get(location, headers=auth).status_code == 404
    history_url = f"/api/layers/shelters/features/{fid}/history"
    history = anonymous.get(history_url, headers=bearer(settings, "admin")).json()["versions"]
    assert [(v["operation"], v["changed_by"]) for v in history] == [
        ("insert", "admin"), ("update", "admin"), ("retire", "admin")]
    audited = conn.execute(text("SELECT action, username FROM audit_log WHERE layer = 'shelters' AND feature_id = :id "
                                "ORDER BY id"), {"id": fid}).all()
    assert [tuple(row) for row in audited] == [("insert", "admin"), ("update", "admin"), ("retire", "admin")]


def test_if_match_locks_as_in_the_service_api(client):
    fid = client.post(ITEMS, json=feature(point(), name="甲", shelter_type="emergency")).json()["id"]
    patch = {"type": "Feature", "properties": {"name": "乙"}}
    assert client.patch(f"{ITEMS}/{fid}", json=patch, headers={"If-Match": '"2"'}).status_code == 412
    response = client.patch(f"{ITEMS}/{fid}", json=patch, headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response.json()["properties"]["name"] == "乙"


def test_bad_input_is_refused_and_changes_nothing(client):
    bad = client.post(ITEMS, json=feature(point(), name="甲", shelter_type="nosuch"))
    assert bad.status_code == 422 and "场所类型" in bad.json()["message"]
    outside = client.post(ITEMS, json=feature(point(100.0, 30.0), name="甲", shelter_type="emergency"))
    assert outside.status_code == 422
    assert client.get(ITEMS).json()["numberMatched"] == 0


def test_content_crs_4550_in_its_axis_order(client):
    from pyproj import Transformer

    easting, northing = Transformer.from_crs(4490, 4550, always_xy=True).transform(122.70, 40.85)
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [northing, easting]},
            "properties": {"name": "甲", "shelter_type": "emergency"}}
    created = client.post(ITEMS, json=body, headers={"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4550>"})
    assert created.status_code == 201, created.text
    lon, lat = created.json()["geometry"]["coordinates"]
    assert (round(lon, 7), round(lat, 7)) == (122.7, 40.85)


def test_roles_that_may_not_write_get_403(client_as, client):
    fid = client.post(ITEMS, json=feature(point(), name="甲", shelter_type="emergency")).json()["id"]
    viewer = client_as("viewer")
    assert viewer.post(ITEMS, json=feature(point(), name="乙", shelter_type="emergency")).status_code == 403
    assert viewer.delete(f"{ITEMS}/{fid}").status_code == 403
    assert client.get(f"{ITEMS}/{fid}").status_code == 200


def test_wrong_basic_password_is_401_and_counted(anonymous, conn):
    response = anonymous.get("/ogc/collections", headers=basic("admin", "wrong"))
    assert response.status_code == 401
    failed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND username = 'admin'"))
    assert failed.scalar_one() == 1


def test_a_masked_name_sent_back_is_not_written_over_the_real_one(client_as):
    case_worker = client_as("case_worker")
    household = {"head_name": "张三丰", "categories": ["dibao"], "phone": "13812345678", "members": 2}
    created = case_worker.post("/ogc/collections/households/items", json=feature(point(), **household))
    assert created.status_code == 201, created.text
    read = created.json()
    assert read["properties"]["head_name"] == "张**"
    read["properties"]["members"] = 3
    url = f"/ogc/collections/households/items/{read['id']}"
    assert case_worker.put(url, json=read).status_code == 200
    revealed = case_worker.get(f"/api/layers/households/features/{read['id']}", params={"reveal": "true"}).json()
    assert (revealed["properties"]["head_name"], revealed["properties"]["phone"],
            revealed["properties"]["members"]) == ("张三丰", "13812345678", 3)


def test_a_client_without_credentials_is_asked_for_basic(anonymous):
    response = anonymous.get("/ogc/collections")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Basic realm="haicheng-gis"')
    assert anonymous.get("/api/layers").headers["www-authenticate"] == "Bearer"
    assert anonymous.get("/ogc").status_code == 200  # the landing page, conformance and API document are open
