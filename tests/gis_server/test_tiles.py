"""Vector tiles: content, permissions, tile-number checks, freshness after an edit."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from gis_server.deps import get_current_actor
from gis_server.routers.tiles import key_fields, tile_sql
from layers.catalog import registry
from layers.roles import ADMIN, CASE_WORKER, VIEWER, Actor
from tests.utils.features import create, line, shelter
from tests.utils.tiles import LAT, LON, decode, household, tile_of


@pytest.fixture(autouse=True)
def as_admin(client: TestClient):
    """Tiles are tested apart from sign-in: the acting user is an administrator who also holds the case office
    (an admin alone reads no household, issue 14) unless a test says so."""
    client.app.dependency_overrides[get_current_actor] = lambda: Actor("tester", frozenset({ADMIN, CASE_WORKER}),
                                                                       "127.0.0.1")
    yield
    client.app.dependency_overrides.clear()


def test_tile_has_the_features_and_key_properties(client: TestClient) -> None:
    first = household(client)
    household(client, LON + 0.001, LAT - 0.001, head_name="李某", categories=["elderly_alone"])
    household(client, 123.1, 41.15, head_name="远处")  # another tile at z14
    features = decode(client, "households", *tile_of(LON, LAT, 14))
    assert len(features) == 2
    by_id = {f["id"]: f for f in features}
    props = by_id[first["id"]]["properties"]
    assert props["id"] == first["id"]
    assert props["categories"] == "dibao,disabled"
    assert "head_name" not in props and "phone" not in props and "version" not in props
    assert by_id[first["id"]]["geometry"]["type"] == "Point"


def test_lines_and_polygons_are_clipped_to_the_tile(client: TestClient) -> None:
    create(client, "roads", line((122.60, 40.88), (122.80, 40.88)), name="沈大高速", road_class="expressway")
    z, x, y = tile_of(LON, LAT, 14)
    (road,) = decode(client, "roads", z, x, y)
    assert road["properties"] == {"id": road["id"], "name": "沈大高速", "road_class": "expressway"}
    xs = [c[0] for c in road["geometry"]["coordinates"]]
    assert min(xs) >= -64 and max(xs) <= 4096 + 64  # clipped with the buffer


def test_empty_tile_is_an_empty_body(client: TestClient) -> None:
    response = client.get("/tiles/households/14/0/0.pbf")
    assert response.status_code == 200
    assert response.content == b""


def test_retired_rows_are_not_in_tiles(client: TestClient) -> None:
    made = shelter(client)
    tile = tile_of(LON, LAT, 13)
    assert len(decode(client, "shelters", *tile)) == 1
    response = client.delete(f"/api/layers/shelters/features/{made['id']}", headers={"If-Match": '"1"'})
    assert response.status_code == 204
    assert decode(client, "shelters", *tile) == []


def test_an_edit_shows_up_in_the_next_tile(client: TestClient) -> None:
    made = household(client)
    tile = tile_of(LON, LAT, 12)
    before = client.get("/tiles/households/{}/{}/{}.pbf".format(*tile))
    assert before.headers["cache-control"] == "private, no-cache"
    etag = before.headers["etag"]
    assert client.get("/tiles/households/{}/{}/{}.pbf".format(*tile),
                      headers={"If-None-Match": etag}).status_code == 304
    response = client.patch(f"/api/layers/households/features/{made['id']}", headers={"If-Match": '"1"'},
                            json={"properties": {"members": 5}})
    assert response.status_code == 200, response.text
    after = client.get("/tiles/households/{}/{}/{}.pbf".format(*tile), headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    (feature,) = mapbox_vector_tile.decode(after.content)["households"]["features"]
    assert feature["properties"]["members"] == 5


def test_forbidden_layer_is_403(client: TestClient) -> None:
    client.app.dependency_overrides[get_current_actor] = lambda: Actor("viewer", frozenset({VIEWER}))
    response = client.get("/tiles/households/12/3443/1543.pbf")
    assert response.status_code == 403
    assert "无权" in response.json()["message"]
    assert client.get("/tiles/shelters/12/3443/1543.pbf").status_code == 200


@pytest.mark.parametrize("path", ["23/0/0", "-1/0/0", "3/8/0", "3/0/8", "0/0/1", "3/-1/0"])
def test_bad_tile_numbers_are_422(client: TestClient, path: str) -> None:
    response = client.get(f"/tiles/shelters/{path}.pbf")
    assert response.status_code == 422
    assert response.json()["message"]


def test_unknown_layer_is_404(client: TestClient) -> None:
    assert client.get("/tiles/nope/0/0/0.pbf").status_code == 404


def test_the_row_filter_hook_is_applied(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from gis_server.routers import tiles

    monkeypatch.setattr(tiles, "visible_rows_sql",
                        lambda spec, actor, alias="t": f"NOT {alias}.has_child_under_14")
    first = household(client)
    household(client, LON + 0.001, LAT, head_name="孙某某", has_child_under_14=True)
    (feature,) = decode(client, "households", *tile_of(LON, LAT, 14))
    assert feature["id"] == first["id"]


def test_tiles_carry_no_personal_data_not_even_masked(client: TestClient) -> None:
    household(client, head_name="欧阳小明", phone="13812345678", address="海城市某路8号")
    tile = tile_of(LON, LAT, 14)
    (feature,) = decode(client, "households", *tile)
    personal = set(registry().get("households").personal_fields)
    assert personal and not personal & set(feature["properties"])
    raw = client.get("/tiles/households/{}/{}/{}.pbf".format(*tile)).content
    assert "欧".encode() not in raw and b"1381" not in raw


def test_key_fields_and_sql_come_from_the_registry() -> None:
    for spec in registry():
        names = [f.name for f in key_fields(spec)]
        assert names and len(names) <= 6
        public = {f.name for f in spec.fields if not f.personal}
        assert spec.title_field in names or spec.title_field not in public
        assert "ST_TileEnvelope" in tile_sql(spec, {}, None)
    assert [f.name for f in key_fields(registry().get("roads"))] == ["name", "road_class"]


def test_household_tiles_are_audited_as_reads_of_personal_data(client_as, client):
    client.post("/api/layers/households/features", json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [122.69, 40.88]},
        "properties": {"head_name": "张三", "categories": ["dibao"]}})
    z, x, y = 12, 3443, 1546  # the tile over the city centre
    assert client_as("case_worker").get(f"/tiles/households/{z}/{x}/{y}.pbf").status_code in (200, 304)
    entries = client.get("/api/audit", params={"user": "case_worker", "action": "read_personal"}).json()["entries"]
    assert [e["detail"] for e in entries] == [{"tile": f"{z}/{x}/{y}"}]
