"""Bad input is refused with 422 and a Chinese message, and changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gis_server.app import create_app
from tests.conftest import bearer
from tests.utils.database import RollbackDatabase
from tests.utils.features import feature, line, point, shelter, square

SHELTER = {"name": "场所", "shelter_type": "emergency"}


def post(client, layer, body, **params):
    return client.post(f"/api/layers/{layer}/features", json=body, params=params)


def count(client, layer):
    return client.get(f"/api/layers/{layer}/features").json()["numberMatched"]


def assert_refused(response, *fragments):
    assert response.status_code == 422, response.text
    body = response.json()
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    assert body["message_en"]
    assert "Traceback" not in response.text


def test_wrong_geometry_type(client):
    assert_refused(post(client, "shelters", feature(line((122.6, 40.8), (122.7, 40.8)), **SHELTER)),
                   "几何类型错误", "Point", "LineString")
    assert_refused(post(client, "roads", feature(point(), road_class="county")), "几何类型错误")
    assert count(client, "shelters") == 0


def test_empty_geometry(client):
    assert_refused(post(client, "shelters", feature({"type": "Point", "coordinates": []}, **SHELTER)), "几何为空")


def test_missing_geometry(client):
    assert_refused(post(client, "shelters", {"type": "Feature", "properties": SHELTER}), "缺少几何")


def test_malformed_coordinates(client):
    assert_refused(post(client, "roads", feature({"type": "LineString", "coordinates": [[1]]}, road_class="county")),
                   "无法解析")


def test_self_intersection_says_where(client):
    bowtie = {"type": "Polygon", "coordinates": [[[122.7, 40.8], [122.71, 40.81], [122.71, 40.8],
                                                  [122.7, 40.81], [122.7, 40.8]]]}
    response = post(client, "scenic_areas", feature(bowtie, name="x"))
    assert_refused(response, "自相交", "122.705", "40.805")
    assert response.json()["location"] == [122.705, 40.805]


def test_outside_haicheng(client):
    response = post(client, "shelters", feature(point(116.39, 39.9), **SHELTER))  # Beijing
    assert_refused(response, "超出海城市范围")


def test_lat_lon_swap_is_named(client):
    response = post(client, "shelters", feature(point(40.88, 122.69), **SHELTER))
    assert_refused(response, "经纬度顺序颠倒", "[40.88, 122.69]", "[122.69, 40.88]")
    assert count(client, "shelters") == 0


def test_projected_crs_is_accepted_and_transformed(client):
    # DOMAIN.md §2 check value: (122.75 E, 40.85 N) → EPSG:4550 E 478 918.58, N 4 523 945.51
    body = post(client, "shelters", feature({"type": "Point", "coordinates": [478918.58, 4523945.51]}, **SHELTER),
                crs="EPSG:4550").json()
    lon, lat = body["geometry"]["coordinates"]
    assert lon == pytest.approx(122.75, abs=1e-7)
    assert lat == pytest.approx(40.85, abs=1e-7)


def test_zone_prefixed_4529_is_accepted(client):
    body = post(client, "shelters", feature({"type": "Point", "coordinates": [41478918.58, 4523945.51]}, **SHELTER),
                crs="4529").json()
    assert body["geometry"]["coordinates"][0] == pytest.approx(122.75, abs=1e-7)


def test_crs_member_in_the_body_is_honoured(client):
    body = feature({"type": "Point", "coordinates": [478918.58, 4523945.51]}, **SHELTER)
    body["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4550"}}
    assert post(client, "shelters", body).status_code == 201


def test_projected_swap_is_named(client):
    response = post(client, "shelters", feature({"type": "Point", "coordinates": [4523945.51, 478918.58]}, **SHELTER),
                    crs="EPSG:4550")
    assert_refused(response, "经纬度顺序颠倒")


def test_gcj02_only_when_asked_and_then_converted(client):
    from layers.geometry import wgs84_to_gcj02

    gcj = wgs84_to_gcj02(122.75, 40.85)
    as_is = post(client, "shelters", feature(point(*gcj), **SHELTER)).json()
    assert as_is["geometry"]["coordinates"] == [round(gcj[0], 9), round(gcj[1], 9)]
    converted = post(client, "shelters", feature(point(*gcj), **{**SHELTER, "name": "场所（已转换）"}),
                     crs="gcj02").json()
    lon, lat = converted["geometry"]["coordinates"]
    assert lon == pytest.approx(122.75, abs=1e-7)
    assert lat == pytest.approx(40.85, abs=1e-7)


@pytest.mark.parametrize("lon,lat,metres", [(122.69, 40.88, 476), (122.31, 40.48, 473), (123.15, 41.18, 544)])
def test_gcj02_offset_at_haicheng_is_about_half_a_kilometre_to_the_north_east(lon, lat, metres):
    from pyproj import Geod

    from layers.geometry import wgs84_to_gcj02

    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    _, _, distance = Geod(ellps="GRS80").inv(lon, lat, gcj_lon, gcj_lat)
    assert round(distance) == metres  # DOMAIN.md §2 says ≈ 490–545 m; across the county it is 457–544 m
    assert gcj_lon > lon and gcj_lat > lat


def test_unsupported_crs(client):
    assert_refused(post(client, "shelters", feature(point(), **SHELTER), crs="EPSG:3857"), "不支持的坐标系")


def test_unknown_property(client):
    assert_refused(post(client, "shelters", feature(point(), **SHELTER, colour="red")), "colour", "不是本图层的字段")


def test_missing_required_property(client):
    assert_refused(post(client, "shelters", feature(point(), name="x")), "场所类型", "必填")


def test_value_outside_choices_lists_the_choices(client):
    assert_refused(post(client, "roads", feature(line((122.6, 40.8), (122.7, 40.8)), road_class="motorway")),
                   "公路等级", "expressway（高速公路）")


def test_wrong_value_type(client):
    assert_refused(post(client, "shelters", feature(point(), **SHELTER, capacity="很多")), "容纳人数", "整数")


def test_null_for_a_required_field_is_refused(client):
    created = shelter(client)
    url = f"/api/layers/shelters/features/{created['id']}"
    response = client.patch(url, json={"properties": {"name": None}}, headers={"If-Match": '"1"'})
    assert_refused(response, "名称")
    assert client.get(url).json()["properties"]["name"] == "测试避难场所"


def test_malformed_json_is_422_not_500(client):
    response = client.post("/api/layers/shelters/features", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["message"]


def test_body_that_is_not_a_feature(client):
    assert_refused(post(client, "shelters", {"type": "Point", "coordinates": [122.7, 40.8]}), "Feature")
    assert_refused(post(client, "shelters", [1, 2]), "Feature")


def test_invalid_patch_changes_nothing(client):
    created = shelter(client, name="原名")
    url = f"/api/layers/shelters/features/{created['id']}"
    response = client.patch(url, json={"properties": {"name": "新名"}, "geometry": point(116.4, 39.9)},
                            headers={"If-Match": '"1"'})
    assert response.status_code == 422
    body = client.get(url)
    assert body.json()["properties"]["name"] == "原名"
    assert body.headers["etag"] == '"1"'


def test_polygon_outside_extent_partly(client):
    assert_refused(post(client, "scenic_areas", feature(square(123.14, 40.9, size=0.3), name="x")), "超出海城市范围")


def test_database_constraint_violation_is_4xx_not_500(client):
    line_body = post(client, "boundary_lines", feature(line((122.4, 40.6), (122.5, 40.7)), name="海城—大石桥线",
                                                       line_level="county", side_a="海城市", side_b="大石桥市")).json()
    marker = feature(point(122.45, 40.65), line_id=line_body["id"], number="001", marker_type="single")
    assert post(client, "boundary_markers", marker).status_code == 201
    duplicate = post(client, "boundary_markers", marker)
    assert duplicate.status_code == 409
    assert "001" in duplicate.json()["message"] or "已存在" in duplicate.json()["message"]
    dangling = post(client, "boundary_markers", feature(point(122.45, 40.65), line_id=987654, number="002",
                                                        marker_type="single"))
    assert dangling.status_code in (409, 422)


def test_a_500_never_echoes_the_exception_and_gives_a_request_id(settings, conn, monkeypatch):
    secret = "SELECT password_hash FROM accounts -- /etc/shadow"

    def broken(*args, **kwargs):
        raise RuntimeError(secret)

    monkeypatch.setattr("gis_server.routers.features.list_features", broken)
    with TestClient(create_app(settings, database=RollbackDatabase(conn)), raise_server_exceptions=False) as client:
        client.headers.update(bearer(settings, "admin"))
        api = client.get("/api/layers/shelters/features")
        page = client.get("/api/layers/shelters/features", headers={"Accept": "text/html"})
    assert api.status_code == 500
    body = api.json()
    assert (body["error"], body["message"]) == ("internal", "服务器内部错误，请稍后重试或联系管理员")
    assert body["request_id"] and api.headers["X-Request-ID"] == body["request_id"]
    assert secret not in api.text and "RuntimeError" not in api.text
    assert page.status_code == 500 and secret not in page.text


def test_a_mistyped_page_address_gets_a_chinese_page_and_the_api_keeps_json(client):
    html = {"Accept": "text/html,application/xhtml+xml"}
    for path in ("/place-names/abc", "/inspections/x1", "/no-such-page"):
        response = client.get(path, headers=html)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "未找到该页面" in response.text and 'href="/"' in response.text
    api = client.get("/api/layers/shelters/features/abc", headers=html)
    assert api.status_code == 422 and api.json()["problems"][0]["field"] == "feature_id"


def test_an_address_with_markup_is_shown_as_text_on_the_error_page(client):
    response = client.get("/features/<img src=x onerror=alert(1)>/1", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "<img" not in response.text and "没有名为“&lt;img src=x onerror=alert(1)&gt;”的图层" in response.text
