"""The generic feature API: create, read, list, lock, retire, history, restore."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gis_server.app import create_app
from gis_server.settings import Settings
from layers.catalog import registry
from tests.conftest import bearer
from tests.utils.database import ROLES, RollbackDatabase
from tests.utils.features import create, feature, line, point, shelter, square


def test_layers_lists_every_layer_with_counts(client):
    shelter(client)
    layers = {layer["name"]: layer for layer in client.get("/api/layers").json()}
    assert set(layers) == {spec.name for spec in registry()}
    assert set(layers) >= {"townships", "villages", "place_names", "place_name_signs", "boundary_lines",
                           "boundary_markers", "shelters", "care_facilities", "cemeteries", "scattered_graves",
                           "households", "roads", "railways", "rivers", "basic_farmland", "urban_planning_zones",
                           "scenic_areas", "nature_reserves", "water_source_zones", "heritage_sites",
                           "cultivated_land", "forest_land", "urban_parks"}
    assert layers["shelters"]["count"] == 1
    assert layers["shelters"]["title"] == "应急避难场所"
    assert layers["roads"]["geometry_type"] == "MultiLineString"
    assert layers["households"]["personal_fields"] == ["head_name", "id_number_masked", "phone", "address"]


def test_describe_layer_gives_chinese_labels_and_choices(client):
    body = client.get("/api/layers/roads").json()
    road_class = next(f for f in body["fields"] if f["name"] == "road_class")
    assert road_class["label"] == "公路等级"
    assert road_class["choices"]["expressway"] == "高速公路"
    assert road_class["required"] is True


def test_create_returns_201_location_etag_and_the_feature(client):
    response = client.post("/api/layers/shelters/features",
                           json=feature(point(122.7, 40.85), name="人民广场", shelter_type="fixed", capacity=1200))
    assert response.status_code == 201
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert response.headers["location"] == f"/api/layers/shelters/features/{body['id']}"
    assert body["geometry"] == {"type": "Point", "coordinates": [122.7, 40.85]}
    assert body["properties"]["name"] == "人民广场"
    assert body["properties"]["capacity"] == 1200
    assert body["properties"]["created_by"] == "admin_case"
    assert "crs" not in body


def test_get_one_has_etag_with_version(client):
    created = shelter(client)
    response = client.get(f"/api/layers/shelters/features/{created['id']}")
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert response.json()["id"] == created["id"]


def test_polygon_is_stored_as_multipolygon(client):
    body = create(client, "scenic_areas", square(122.9, 40.7), name="药山风景区")
    assert body["geometry"]["type"] == "MultiPolygon"


def test_two_editors_one_wins_the_other_gets_412_and_changes_nothing(client):
    created = shelter(client, name="原名")
    url = f"/api/layers/shelters/features/{created['id']}"
    first = client.patch(url, json={"properties": {"name": "甲的修改"}}, headers={"If-Match": '"1"'})
    assert first.status_code == 200
    assert first.headers["etag"] == '"2"'
    second = client.patch(url, json={"properties": {"capacity": 99}}, headers={"If-Match": '"1"'})
    assert second.status_code == 412
    assert "此要素已被他人修改" in second.json()["message"]
    assert second.json()["current_version"] == 2
    now = client.get(url).json()["properties"]
    assert now["name"] == "甲的修改"
    assert now["capacity"] is None
    assert now["version"] == 2


def test_write_without_if_match_is_428_and_changes_nothing(client):
    created = shelter(client, name="原名")
    url = f"/api/layers/shelters/features/{created['id']}"
    assert client.patch(url, json={"properties": {"name": "新"}}).status_code == 428
    assert client.delete(url).status_code == 428
    assert client.put(url, json=feature(point(), name="新", shelter_type="fixed")).status_code == 428
    assert client.get(url).json()["properties"]["name"] == "原名"


def test_weak_and_bare_if_match_forms_are_accepted(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    assert client.patch(url, json={"properties": {"capacity": 1}}, headers={"If-Match": 'W/"1"'}).status_code == 200
    assert client.patch(url, json={"properties": {"capacity": 2}}, headers={"If-Match": "2"}).status_code == 200


def test_put_replaces_every_field(client):
    created = shelter(client, name="旧", capacity=500, address="某路1号")
    url = f"/api/layers/shelters/features/{created['id']}"
    response = client.put(url, json=feature(point(122.71, 40.86), name="新", shelter_type="fixed"),
                          headers={"If-Match": '"1"'})
    assert response.status_code == 200
    props = response.json()["properties"]
    assert (props["name"], props["shelter_type"], props["capacity"], props["address"]) == ("新", "fixed", None, None)
    assert response.json()["geometry"]["coordinates"] == [122.71, 40.86]


def test_patch_geometry_only(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    response = client.patch(url, json={"geometry": point(122.8, 40.9)}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["geometry"]["coordinates"] == [122.8, 40.9]
    assert response.json()["properties"]["name"] == "测试避难场所"


def test_delete_retires_the_row_it_vanishes_from_lists_and_stays_in_history(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    response = client.delete(url, params={"reason": "场所已拆除"}, headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert client.get(url).status_code == 404
    assert client.get("/api/layers/shelters/features").json()["numberMatched"] == 0
    versions = client.get(url + "/history").json()["versions"]
    assert [(v["version"], v["operation"]) for v in versions] == [(1, "insert"), (2, "retire")]
    assert versions[1]["reason"] == "场所已拆除"
    assert versions[1]["changed_by"] == "admin_case"


def test_history_lists_every_version_with_who_when_what_and_why(client):
    created = shelter(client, name="一")
    url = f"/api/layers/shelters/features/{created['id']}"
    client.patch(url, json={"properties": {"name": "二"}}, params={"reason": "更名"}, headers={"If-Match": '"1"'})
    client.patch(url, json={"geometry": point(122.7, 40.9)}, headers={"If-Match": '"2"'})
    versions = client.get(url + "/history").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[1]["changed_fields"] == ["name"]
    assert versions[1]["reason"] == "更名"
    assert versions[2]["changed_fields"] == ["geometry"]
    assert versions[0]["properties"]["name"] == "一"
    assert versions[2]["geometry"] == point(122.7, 40.9)
    assert all(v["changed_at"] and v["changed_by"] == "admin_case" for v in versions)


def test_restore_brings_an_old_version_back_as_a_new_version(client):
    created = shelter(client, name="一", capacity=10)
    url = f"/api/layers/shelters/features/{created['id']}"
    client.patch(url, json={"properties": {"name": "二", "capacity": 20}}, headers={"If-Match": '"1"'})
    response = client.post(url + "/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert response.status_code == 200
    assert response.headers["etag"] == '"3"'
    assert (response.json()["properties"]["name"], response.json()["properties"]["capacity"]) == ("一", 10)
    versions = client.get(url + "/history").json()["versions"]
    assert versions[-1]["operation"] == "restore"
    assert versions[-1]["reason"] == "恢复至第 1 版"


def test_restore_undoes_a_retire(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    client.delete(url, headers={"If-Match": '"1"'})
    response = client.post(url + "/restore", json={"version": 1}, headers={"If-Match": '"2"'})
    assert response.status_code == 200
    assert client.get("/api/layers/shelters/features").json()["numberMatched"] == 1


def test_restore_with_stale_version_is_412(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    client.patch(url, json={"properties": {"name": "二"}}, headers={"If-Match": '"1"'})
    response = client.post(url + "/restore", json={"version": 1}, headers={"If-Match": '"1"'})
    assert response.status_code == 412
    assert client.get(url).json()["properties"]["name"] == "二"


def test_restore_of_unknown_version_is_404(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    assert client.post(url + "/restore", json={"version": 7}, headers={"If-Match": '"1"'}).status_code == 404
    assert client.post(url + "/restore", json={"version": "x"}, headers={"If-Match": '"1"'}).status_code == 422


def test_paging_returns_pages_in_order_and_counts(client):
    for i in range(7):
        shelter(client, name=f"场所{i}", lon=122.6 + i * 0.01)
    page1 = client.get("/api/layers/shelters/features", params={"limit": 3, "sort": "name"}).json()
    page3 = client.get("/api/layers/shelters/features", params={"limit": 3, "offset": 6, "sort": "name"}).json()
    assert page1["numberMatched"] == 7
    assert page1["numberReturned"] == 3
    assert [f["properties"]["name"] for f in page1["features"]] == ["场所0", "场所1", "场所2"]
    assert [f["properties"]["name"] for f in page3["features"]] == ["场所6"]
    descending = client.get("/api/layers/shelters/features", params={"limit": 2, "sort": "-name"}).json()
    assert [f["properties"]["name"] for f in descending["features"]] == ["场所6", "场所5"]


def test_limit_is_capped_by_settings(conn, database_url):
    capped = Settings(environment="test", database_url=database_url, page_limit_default=2, page_limit_max=3,
                      _env_file=None)
    with TestClient(create_app(capped, database=RollbackDatabase(conn)), raise_server_exceptions=False) as client:
        client.headers.update(bearer(capped, "admin"))
        for i in range(5):
            shelter(client, name=f"场所{i}")
        asked_for_more = client.get("/api/layers/shelters/features", params={"limit": 4}).json()
        assert (asked_for_more["numberMatched"], asked_for_more["numberReturned"]) == (5, 3)
        assert len(asked_for_more["features"]) == 3
        assert client.get("/api/layers/shelters/features").json()["numberReturned"] == 2
        assert client.get("/api/layers/shelters/features", params={"limit": 0}).status_code == 422


def test_bbox_returns_only_features_inside(client):
    shelter(client, name="城内", lon=122.69, lat=40.88)
    shelter(client, name="东部", lon=122.95, lat=40.70)
    body = client.get("/api/layers/shelters/features", params={"bbox": "122.6,40.8,122.8,40.95"}).json()
    assert [f["properties"]["name"] for f in body["features"]] == ["城内"]
    assert body["numberMatched"] == 1


def test_a_point_on_the_bbox_edge_is_inside_and_lists_are_planned_with_their_own_bbox(client, conn):
    shelter(client, name="边上", lon=122.7, lat=40.9)  # exactly on the east edge: ST_Intersects counts it
    for _ in range(8):  # more runs than psycopg's prepare threshold (5)
        body = client.get("/api/layers/shelters/features", params={"bbox": "122.6,40.8,122.7,40.95"}).json()
        assert [f["properties"]["name"] for f in body["features"]] == ["边上"]
    # never a prepared (generic-plan) statement: each page is planned for its own box
    prepared = conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars().all()
    assert not [s for s in prepared if "FeatureCollection" in s]
    assert conn.connection.driver_connection.prepare_threshold == 5  # restored for everything else


def test_a_point_a_quarter_metre_outside_the_bbox_is_outside(client):
    # the spatial index keeps single-precision boxes: 122.700003 and the edge 122.7 share one (±0.6 m),
    # so a bare box test (&&) would list it; the exact test must decide
    shelter(client, name="边外", lon=122.700003, lat=40.9)
    shelter(client, name="边上", lon=122.7, lat=40.9)
    shelter(client, name="北边外", lon=122.65, lat=40.950002)
    for bbox in ("122.6,40.8,122.7,40.95", "122.69995,40.89995,122.7,40.9"):  # a box of 4 × 5 m, too
        body = client.get("/api/layers/shelters/features", params={"bbox": bbox}).json()
        assert [f["properties"]["name"] for f in body["features"]] == ["边上"]
        assert body["numberMatched"] == 1


def test_a_box_of_no_area_counts_what_it_lists_and_infinite_boxes_are_refused(client):
    shelter(client, name="边上", lon=122.7, lat=40.9)
    for bbox in ("122.7,40.9,122.7,40.9", "122.7,40.8,122.7,40.95"):
        body = client.get("/api/layers/shelters/features", params={"bbox": bbox}).json()
        assert body["numberMatched"] == body["numberReturned"], bbox
    for bbox in ("122.6,40.8,inf,40.95", "-inf,-inf,inf,inf", "nan,40.8,122.7,40.95"):
        response = client.get("/api/layers/shelters/features", params={"bbox": bbox})
        assert response.status_code == 422, bbox


def test_a_nul_character_in_a_filter_is_a_422_not_a_500(client):
    response = client.get("/api/layers/shelters/features", params={"name": "a\x00b"})
    assert response.status_code == 422


def test_bbox_intersects_lines_crossing_it(client):
    create(client, "roads", line((122.5, 40.9), (122.9, 40.9)), name="横贯路", road_class="county")
    body = client.get("/api/layers/roads/features", params={"bbox": "122.69,40.85,122.70,40.95"}).json()
    assert body["numberReturned"] == 1


def test_bad_bbox_is_422(client):
    for bbox in ("1,2,3", "a,b,c,d", "122.8,40.8,122.7,40.9"):
        response = client.get("/api/layers/shelters/features", params={"bbox": bbox})
        assert response.status_code == 422, bbox
        assert "bbox" in response.json()["message"]


def test_attribute_filters(client):
    create(client, "roads", line((122.6, 40.8), (122.7, 40.8)), name="G15", road_class="expressway")
    create(client, "roads", line((122.6, 40.9), (122.7, 40.9)), name="县道", road_class="county")
    body = client.get("/api/layers/roads/features", params={"road_class": "expressway"}).json()
    assert [f["properties"]["name"] for f in body["features"]] == ["G15"]
    response = client.get("/api/layers/roads/features", params={"colour": "red"})
    assert response.status_code == 422
    assert "colour" in response.json()["message"]


def test_array_filter_matches_any_element(client):
    create(client, "households", point(), head_name="张三", categories=["dibao", "disabled"])
    create(client, "households", point(), head_name="李四", categories=["orphan"])
    response = client.get("/api/layers/households/features", params={"categories": "disabled"})
    assert response.status_code == 200, response.text
    assert response.json()["numberMatched"] == 1


def test_unknown_layer_and_id_are_404_in_chinese(client):
    response = client.get("/api/layers/nope/features")
    assert response.status_code == 404
    assert "nope" in response.json()["message"]
    assert client.get("/api/layers/shelters/features/999999").status_code == 404
    assert client.patch("/api/layers/shelters/features/999999", json={"properties": {"name": "x"}},
                        headers={"If-Match": '"1"'}).status_code == 404


def test_sort_by_unknown_field_is_422(client):
    assert client.get("/api/layers/shelters/features", params={"sort": "height"}).status_code == 422


def test_edits_made_directly_in_postgis_are_versioned(client, conn):
    from sqlalchemy import text

    created = shelter(client, name="原名")
    # a QGIS session has no gis.* settings; this test shares the app's transaction, so clear them
    conn.execute(text("SELECT set_config('gis.user', '', true), set_config('gis.reason', '', true)"))
    conn.execute(text("UPDATE shelters SET name = 'QGIS 改名' WHERE id = :id"), {"id": created["id"]})
    body = client.get(f"/api/layers/shelters/features/{created['id']}")
    assert body.headers["etag"] == '"2"'
    versions = client.get(f"/api/layers/shelters/features/{created['id']}/history").json()["versions"]
    assert versions[-1]["changed_by"] == ROLES.app  # the database role of the session
    assert versions[-1]["changed_fields"] == ["name"]
