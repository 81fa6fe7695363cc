"""The county's outlines in one request per zoom: simplified for the zoom, ETag of data version and zoom,
304 when unchanged, a new answer after any write."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.utils.features import feature

CODE = "210381190"
TEETH = 50  # a saw-toothed southern edge: teeth of 0.001° (≈ 110 m)


def sawtooth() -> dict:
    edge = [[122.6 + i * 0.002, 40.8 + 0.001 * (i % 2)] for i in range(TEETH + 1)]
    return {"type": "Polygon", "coordinates": [edge + [[122.7, 40.9], [122.6, 40.9], [122.6, 40.8]]]}


def vertices(collection: dict) -> list[int]:
    return [sum(len(ring) for ring in f["geometry"]["coordinates"]) for f in collection["features"]]


def test_outlines_are_simplified_by_zoom(client: TestClient) -> None:
    made = client.post("/api/layers/townships/features", json=feature(sawtooth(), code=CODE, name="测试镇"))
    assert made.status_code == 201, made.text
    far, near = client.get("/api/outlines/townships?z=8"), client.get("/api/outlines/townships?z=16")
    assert far.status_code == near.status_code == 200
    assert far.headers["content-type"] == "application/geo+json"
    assert (far.json()["numberMatched"], far.json()["numberReturned"]) == (1, 1)
    assert vertices(far.json()) == [5]  # half a pixel at z=8 is 0.0027°: the teeth are gone
    assert vertices(near.json()) == [TEETH + 4]  # at z=16 it is 0.00001°: every vertex stays
    assert far.json()["features"][0]["properties"] == {"id": made.json()["id"], "code": CODE, "name": "测试镇",
                                                         "kind": None}  # the tiles' key properties
    assert far.json()["features"][0]["geometry"] == {"type": "Polygon", "coordinates": [  # no "crs": RFC 7946
        [[122.6, 40.8], [122.7, 40.8], [122.7, 40.9], [122.6, 40.9], [122.6, 40.8]]]}


def test_an_unchanged_outline_is_answered_304_and_a_write_changes_it(client: TestClient) -> None:
    made = client.post("/api/layers/townships/features", json=feature(sawtooth(), code=CODE, name="测试镇")).json()
    first = client.get("/api/outlines/townships?z=10")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get("/api/outlines/townships?z=10", headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert client.get("/api/outlines/townships?z=11", headers={"If-None-Match": etag}).status_code == 200
    renamed = client.patch(f"/api/layers/townships/features/{made['id']}", headers={"If-Match": '"1"'},
                           json={"properties": {"name": "新测试镇"}})
    assert renamed.status_code == 200, renamed.text
    after = client.get("/api/outlines/townships?z=10", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert [f["properties"]["name"] for f in after.json()["features"]] == ["新测试镇"]


def test_only_the_division_layers_and_map_zooms(client: TestClient) -> None:
    response = client.get("/api/outlines/households?z=10")
    assert response.status_code == 404
    assert response.json()["message"] == "没有可整体加载轮廓的图层“households”（可用：townships、villages）"
    assert client.get("/api/outlines/villages?z=19").status_code == 422
    assert TestClient(client.app).get("/api/outlines/villages?z=10").status_code == 401  # no session
