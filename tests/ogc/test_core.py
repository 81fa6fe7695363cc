"""OGC API – Features Parts 1–3 over the feature store: paging, bbox, CRS, CQL2, queryables, HTML."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from tests.utils.features import shelter

ITEMS = "/ogc/collections/shelters/items"
EPSG4550 = "http://www.opengis.net/def/crs/EPSG/0/4550"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


@pytest.fixture
def three(client):
    return [shelter(client, name=f"避难场所{i}", lon=122.70 + i * 0.01, lat=40.85, capacity=100 * (i + 1))
            for i in range(3)]


def test_landing_conformance_and_api_document(anonymous):
    landing = anonymous.get("/ogc").json()
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    conformance = anonymous.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    api = anonymous.get("/ogc/api").json()
    assert "/ogc/collections/{layer}/items" in api["paths"]
    assert all(path.startswith("/ogc") for path in api["paths"])


def test_collections_list_only_readable_layers_with_crs(client_as):
    viewer = client_as("viewer").get("/ogc/collections").json()
    ids = {c["id"] for c in viewer["collections"]}
    assert "households" not in ids and "shelters" in ids
    shelters = client_as("viewer").get("/ogc/collections/shelters").json()
    assert shelters["storageCrs"] == EPSG4490
    assert shelters["crs"][0] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84" and EPSG4550 in shelters["crs"]
    assert client_as("viewer").get("/ogc/collections/households").status_code == 403
    assert "households" in {c["id"] for c in client_as("case_worker").get("/ogc/collections").json()["collections"]}


def test_paging_follows_next_and_prev_links(client, three):
    first = client.get(ITEMS, params={"limit": 2})
    assert first.status_code == 200 and first.headers["content-type"] == "application/geo+json"
    page = first.json()
    assert (page["numberMatched"], page["numberReturned"]) == (3, 2)
    assert [f["properties"]["name"] for f in page["features"]] == ["避难场所0", "避难场所1"]
    links = {link["rel"]: link["href"] for link in page["links"]}
    assert "prev" not in links
    second = client.get(links["next"]).json()
    assert [f["properties"]["name"] for f in second["features"]] == ["避难场所2"]
    rels = {link["rel"]: link["href"] for link in second["links"]}
    assert "next" not in rels and "offset=0" in rels["prev"]


def test_bbox_in_crs84_and_in_4550_select_the_same_feature(client, three):
    page = client.get(ITEMS, params={"bbox": "122.705,40.84,122.715,40.86"}).json()
    assert [f["properties"]["name"] for f in page["features"]] == ["避难场所1"]
    to_4550 = Transformer.from_crs(4490, 4550, always_xy=True)
    (e0, n0), (e1, n1) = to_4550.transform(122.705, 40.84), to_4550.transform(122.715, 40.86)
    bbox = f"{n0},{e0},{n1},{e1}"  # EPSG:4550 axis order: northing, easting
    page = client.get(ITEMS, params={"bbox": bbox, "bbox-crs": EPSG4550}).json()
    assert [f["properties"]["name"] for f in page["features"]] == ["避难场所1"]


def test_crs_4550_and_4490_output_in_their_axis_order(client, three):
    response = client.get(ITEMS, params={"crs": EPSG4550, "limit": 1})
    assert response.headers["content-crs"] == f"<{EPSG4550}>"
    northing, easting = response.json()["features"][0]["geometry"]["coordinates"]
    expected_e, expected_n = Transformer.from_crs(4490, 4550, always_xy=True).transform(122.70, 40.85)
    assert (round(easting, 3), round(northing, 3)) == (round(expected_e, 3), round(expected_n, 3))
    lat, lon = client.get(ITEMS, params={"crs": EPSG4490, "limit": 1}).json()["features"][0]["geometry"]["coordinates"]
    assert (lat, lon) == (40.85, 122.7)
    fid = three[0]["id"]
    one = client.get(f"{ITEMS}/{fid}", params={"crs": EPSG4550})
    assert one.headers["etag"] == '"1"' and one.headers["content-crs"] == f"<{EPSG4550}>"
    assert round(one.json()["geometry"]["coordinates"][1], 3) == round(expected_e, 3)
    assert client.get(ITEMS, params={"crs": "EPSG:3857"}).status_code == 422


@pytest.mark.parametrize(("cql", "names"), [
    ("capacity > 150", ["避难场所1", "避难场所2"]),
    ("capacity BETWEEN 100 AND 200", ["避难场所0", "避难场所1"]),
    ("name LIKE '%所2'", ["避难场所2"]),
    ("name IN ('避难场所0', '避难场所2')", ["避难场所0", "避难场所2"]),
    ("NOT (capacity = 100)", ["避难场所1", "避难场所2"]),
    ("level IS NULL AND capacity < 200", ["避难场所0"]),
    ("S_INTERSECTS(geometry, POLYGON((122.705 40.84, 122.715 40.84, 122.715 40.86, 122.705 40.86, 122.705 40.84)))",
     ["避难场所1"]),
    # 0.01° of longitude at 40.85°N is 843 m: 900 m reaches the neighbours, 800 m does not
    ("S_DWITHIN(geometry, POINT(122.71 40.85), 900)", ["避难场所0", "避难场所1", "避难场所2"]),
    ("S_DWITHIN(geometry, POINT(122.71 40.85), 800)", ["避难场所1"]),
])
def test_cql2_text(client, three, cql, names):
    response = client.get(ITEMS, params={"filter": cql, "filter-lang": "cql2-text"})
    assert response.status_code == 200, response.text
    assert [f["properties"]["name"] for f in response.json()["features"]] == names


def test_cql2_json_and_attribute_query_parameter(client, three):
    cql = ('{"op":"and","args":[{"op":">=","args":[{"property":"capacity"},200]},'
           '{"op":"s_dwithin","args":[{"property":"geometry"},{"type":"Point","coordinates":[122.72,40.85]},100]}]}')
    page = client.get(ITEMS, params={"filter": cql, "filter-lang": "cql2-json"}).json()
    assert [f["properties"]["name"] for f in page["features"]] == ["避难场所2"]
    assert client.get(ITEMS, params={"name": "避难场所1"}).json()["numberMatched"] == 1


def test_bad_filters_are_422_in_chinese(client, three):
    for cql, field in (("capacity >", "filter"), ("nosuch = 1", "filter"), ("capacity = 'x'", "filter"),
                       ("S_DWITHIN(geometry, POINT(122.7 40.8), 101, kilometers)", "filter"),
                       ("S_INTERSECTS(capacity, POINT(122.7 40.8))", "filter")):
        response = client.get(ITEMS, params={"filter": cql})
        assert response.status_code == 422 and response.json()["field"] == field, cql
    assert "语法错误" in client.get(ITEMS, params={"filter": "capacity >"}).json()["message"]


def test_queryables_leave_out_personal_fields(client_as):
    properties = client_as("case_worker").get("/ogc/collections/households/queryables").json()["properties"]
    assert "head_name" not in properties and "phone" not in properties and "address" not in properties
    assert properties["members"] == {"title": "家庭人口", "type": "integer"}
    assert "geometry" in properties


def test_html_pages(client, three):
    page = client.get(ITEMS, params={"f": "html"})
    assert page.headers["content-type"].startswith("text/html") and "避难场所2" in page.text
    assert "<h1>应急避难场所</h1>" in client.get("/ogc/collections/shelters", headers={"Accept": "text/html"}).text


def test_datetime_on_a_layer_without_time_is_422(client):
    assert client.get(ITEMS, params={"datetime": "2020-01-01/.."}).status_code == 422


def test_datetime_on_the_layers_own_date(client):
    from tests.utils.features import create

    for day in ("2024-03-01", "2025-06-30", None):
        create(client, "place_name_signs", {"type": "Point", "coordinates": [122.69, 40.88]}, sign_type="village",
               inscription=f"牌{day}", installed_date=day)
    signs = "/ogc/collections/place_name_signs/items"
    assert "temporal" in client.get("/ogc/collections/place_name_signs").json()["extent"]

    def names(value):
        response = client.get(signs, params={"datetime": value})
        assert response.status_code == 200, response.text
        return [f["properties"]["inscription"] for f in response.json()["features"]]

    assert names("2024-03-01") == ["牌2024-03-01"]
    assert names("2025-01-01/..") == ["牌2025-06-30"]
    assert names("../2025-06-30") == ["牌2024-03-01", "牌2025-06-30"]
    assert client.get(signs, params={"datetime": "yesterday"}).status_code == 422
