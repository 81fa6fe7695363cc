"""村(社区)综合服务设施, the layer added the short way (README "Adding a layer"): one declaration and one
migration, and it is served like every layer — features API with history, tiles, the map's config — and
counts in coverage: a household is covered by a centre of its own village (《“十四五”城乡社区服务体系建设规划》)."""

from __future__ import annotations

from sqlalchemy import text

from layers.catalog import registry
from layers.community_services import COMMUNITY_SERVICE_CENTERS, PLAN_BASIS, SERVICE_TYPES
from tests.utils.coverage import TOWNSHIP, VILLAGE, VILLAGE2, add_household, lonlat, make_units, villages  # noqa: F401 (fixture)
from tests.utils.features import create, point
from tests.utils.tiles import decode, tile_of

LAYER = COMMUNITY_SERVICE_CENTERS.name



def centre(client, dx: float, village: str | None = VILLAGE, name: str = "东村党群服务中心") -> dict:
    return create(client, LAYER, point(*lonlat(dx, 0)), name=name, service_type="village_service_center",
                  floor_area_m2=350.0, village_code=village)


def test_the_layer_is_in_the_registry_and_the_map(client):
    assert registry().get(LAYER) is COMMUNITY_SERVICE_CENTERS
    layers = {layer["name"]: layer for layer in client.get("/api/layers").json()}
    assert {k: layers[LAYER][k] for k in ("title", "theme", "geometry_type", "count")} == {
        "title": "村(社区)综合服务设施", "theme": "城乡社区服务", "geometry_type": "Point", "count": 0}
    assert '"name": "community_service_centers"' in client.get("/").text


def test_written_read_and_versioned_through_the_features_api(client, client_as, villages):  # noqa: F811 (the fixture)
    made = centre(client, -10)
    url = f"/api/layers/{LAYER}/features/{made['id']}"
    assert made["properties"]["service_type"] == "village_service_center" and made["properties"]["version"] == 1
    edited = client.patch(url, json={"properties": {"floor_area_m2": 420.0}},
                          headers={"If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    history = client.get(f"{url}/history").json()
    assert [(h["version"], h["operation"]) for h in history["versions"]] == [(1, "insert"), (2, "update")]
    listed = client.get(f"/api/layers/{LAYER}/features").json()
    assert [(f["id"], f["properties"]["floor_area_m2"]) for f in listed["features"]] == [(made["id"], 420.0)]
    refused = client_as("viewer").post(f"/api/layers/{LAYER}/features", json={
        "type": "Feature", "geometry": point(*lonlat(-10, 0)), "properties": {"name": "越权", "service_type":
                                                                               "village_service_center"}})
    assert refused.status_code == 403
    bad = client.post(f"/api/layers/{LAYER}/features", json={
        "type": "Feature", "geometry": point(*lonlat(-10, 0)), "properties": {"name": "负面积", "service_type":
                                                                               "village_service_center",
                                                                               "floor_area_m2": -1}})
    assert bad.status_code == 422 and "建筑面积" in bad.json()["message"]


def test_served_in_tiles(client, villages):  # noqa: F811 (the fixture)
    made = centre(client, -10)
    z, x, y = tile_of(*lonlat(-10, 0), 14)
    features = decode(client, LAYER, z, x, y)
    assert [f["properties"]["name"] for f in features] == ["东村党群服务中心"]
    assert made["id"] in {f["id"] for f in features}


def test_counts_in_coverage_for_its_own_village(client, conn, villages):  # noqa: F811 (the fixture)
    conn.execute(text("DELETE FROM coverage_dirty"))
    centre(client, -10)
    assert conn.execute(text("SELECT layer FROM coverage_dirty")).scalars().all() == [LAYER]
    body = client.get("/api/coverage?facility_type=village_service_center&by=village").json()
    rows = {r["code"]: r for r in body["rows"]}
    assert {k: rows[VILLAGE][k] for k in ("households", "covered", "uncovered")} == {
        "households": 3, "covered": 3, "uncovered": 0}  # 7.9 km away in the same village: covered
    assert {k: rows[VILLAGE2][k] for k in ("households", "covered", "uncovered")} == {
        "households": 2, "covered": 0, "uncovered": 2}  # 20 m across the line: not
    township = client.get("/api/coverage?facility_type=village_service_center&by=township").json()["rows"]
    assert [(r["code"], r["households"], r["covered"], r["rate"]) for r in township] == [(TOWNSHIP, 5, 3, 0.6)]
    radii = {r["facility_type"]: r for r in client.get("/api/coverage/radii").json()}
    assert {code: (radii[code]["layer"], radii[code]["scope"], radii[code]["basis"]) for code in SERVICE_TYPES} == {
        code: (LAYER, "village", PLAN_BASIS) for code in SERVICE_TYPES}
