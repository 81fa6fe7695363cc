"""The tile cache: hits, never a stale tile after a write (by the API or by plain SQL), one entry per
role scope, every read of personal tiles audited, hit or not; and the cache's own bookkeeping."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gis_server.deps import get_current_actor
from gis_server.tile_cache import Tile, TileCache, TileKey
from layers.catalog import registry
from layers.roles import ADMIN, CASE_WORKER, Actor
from tests.utils.features import shelter
from tests.utils.tiles import LAT, LON, household, tile_of

TILE = tile_of(LON, LAT, 14)
PATH = "/tiles/{}/{}/{}/{}.pbf"


def act_as(client: TestClient, *roles: str) -> None:
    client.app.dependency_overrides[get_current_actor] = lambda: Actor("tester", frozenset(roles), "127.0.0.1")


@pytest.fixture(autouse=True)
def as_admin(client: TestClient):
    act_as(client, ADMIN, CASE_WORKER)  # an admin alone reads no household (issue 14)
    yield
    client.app.dependency_overrides.clear()


def features(client: TestClient, layer: str, tile: tuple[int, int, int] = TILE) -> dict[int, dict]:
    response = client.get(PATH.format(layer, *tile))
    assert response.status_code == 200, response.text
    if not response.content:
        return {}
    return {f["id"]: f["properties"] for f in mapbox_vector_tile.decode(response.content)[layer]["features"]}


def cache(client: TestClient) -> TileCache:
    return client.app.state.tiles


def test_a_tile_asked_again_comes_from_the_cache(client: TestClient) -> None:
    made = shelter(client)
    first = client.get(PATH.format("shelters", *TILE))
    assert (cache(client).hits, cache(client).misses, len(cache(client))) == (0, 1, 1)
    again = client.get(PATH.format("shelters", *TILE))
    assert (cache(client).hits, cache(client).misses) == (1, 1)
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert list(features(client, "shelters")) == [made["id"]]


def test_an_api_write_shows_in_the_next_tile(client: TestClient) -> None:
    made = household(client)
    assert features(client, "households")[made["id"]]["members"] == 3
    assert features(client, "households")[made["id"]]["members"] == 3  # now cached
    assert cache(client).hits == 1
    response = client.patch(f"/api/layers/households/features/{made['id']}", headers={"If-Match": '"1"'},
                            json={"properties": {"members": 5}})
    assert response.status_code == 200, response.text
    assert features(client, "households")[made["id"]]["members"] == 5
    assert len(cache(client)) == 1  # the old version's tile is gone


def test_a_write_by_plain_sql_shows_in_the_next_tile(client: TestClient, conn: Connection) -> None:
    made = household(client)
    assert set(features(client, "households")) == {made["id"]}
    # not through the feature store: a bulk load, a psql session, a migration
    conn.execute(text("UPDATE households SET members = 6 WHERE id = :id"), {"id": made["id"]})
    assert features(client, "households")[made["id"]]["members"] == 6
    conn.execute(text("DELETE FROM households WHERE id = :id"), {"id": made["id"]})
    assert features(client, "households") == {}
    assert cache(client).hits == 0


def test_each_role_scope_has_its_own_tiles(client: TestClient) -> None:
    """The case office sees households with children; an administrator sees no household at all (issue 14,
    README "Security"), even right after the case office's tile of the same place was cached."""
    act_as(client, CASE_WORKER)
    adult = household(client)
    child = household(client, LON + 0.0005, LAT, has_child_under_14=True)
    assert set(features(client, "households")) == {adult["id"], child["id"]}
    act_as(client, ADMIN)
    assert client.get(PATH.format("households", *TILE)).status_code == 403
    act_as(client, CASE_WORKER)
    assert set(features(client, "households")) == {adult["id"], child["id"]}
    assert (cache(client).hits, cache(client).misses, len(cache(client))) == (1, 1, 1)


def test_every_read_of_a_personal_tile_is_audited_also_from_the_cache(client: TestClient, conn: Connection) -> None:
    household(client)
    for _ in range(3):
        features(client, "households")
    assert cache(client).hits == 2
    tile = "{}/{}/{}".format(*TILE)
    audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read_personal' "
                                "AND layer = 'households' AND detail->>'tile' = :tile"), {"tile": tile}).scalar_one()
    assert audited == 3


def test_a_table_without_a_data_version_is_never_cached(client: TestClient, conn: Connection) -> None:
    made = shelter(client)
    conn.execute(text("DELETE FROM layer_data_versions WHERE layer_table = 'shelters'"))
    assert list(features(client, "shelters")) == [made["id"]]
    assert list(features(client, "shelters")) == [made["id"]]
    assert (cache(client).hits, len(cache(client))) == (0, 0)


def test_forbidden_and_bad_tiles_are_refused_before_the_cache(client: TestClient) -> None:
    act_as(client, CASE_WORKER)
    household(client)
    features(client, "households")
    assert client.get("/tiles/households/23/0/0.pbf").status_code == 422
    act_as(client, "viewer")
    assert client.get(PATH.format("households", *TILE)).status_code == 403
    assert (cache(client).hits, cache(client).misses) == (0, 1)


def test_every_layer_table_bumps_its_data_version_on_each_write(conn: Connection) -> None:
    versions = dict(conn.execute(text("SELECT layer_table, version FROM layer_data_versions")).all())
    tables = {spec.table.name for spec in registry()}
    assert tables <= set(versions)
    conn.execute(text("UPDATE shelters SET name = name WHERE false"))  # a statement, even of no row
    conn.execute(text("DELETE FROM villages WHERE false"))
    after = dict(conn.execute(text("SELECT layer_table, version FROM layer_data_versions")).all())
    assert {t for t in tables if after[t] != versions[t]} == {"shelters", "villages"}
    assert after["shelters"] == versions["shelters"] + 1


def test_the_cache_is_disabled_with_zero_bytes(client: TestClient) -> None:
    client.app.state.tiles = TileCache(0)
    made = shelter(client)
    assert list(features(client, "shelters")) == [made["id"]]
    assert list(features(client, "shelters")) == [made["id"]]
    assert (cache(client).hits, cache(client).misses, len(cache(client))) == (0, 0, 0)


# --- the cache alone ---------------------------------------------------------------------------

def key(version: int = 1, x: int = 0, table: str = "shelters", scope: str = "s") -> TileKey:
    return TileKey(table, version, scope, 14, x, 0)


def test_least_recently_used_tiles_go_first_past_the_memory_limit() -> None:
    tiles = TileCache(250)
    for x in range(3):
        tiles.put(key(x=x), Tile(b"x" * 100, str(x)))
    assert len(tiles) == 2 and tiles.size_bytes == 200
    assert tiles.get(key(x=0)) is None and tiles.get(key(x=1)) is not None
    tiles.put(key(x=3), Tile(b"y" * 100, "3"))  # 2 was used least recently
    assert tiles.get(key(x=2)) is None and tiles.get(key(x=1)) is not None
    tiles.put(key(x=4), Tile(b"z" * 300, "4"))  # larger than the whole cache: not kept
    assert tiles.get(key(x=4)) is None and tiles.size_bytes == 200


def test_a_newer_version_drops_the_older_tiles_of_its_table_only() -> None:
    tiles = TileCache(10_000)
    tiles.put(key(1, x=0), Tile(b"a", "a"))
    tiles.put(key(1, x=1), Tile(b"b", "b"))
    tiles.put(key(7, table="roads"), Tile(b"r", "r"))
    assert tiles.get(key(2, x=0)) is None  # version 2 seen: both version-1 shelters tiles are dropped
    assert len(tiles) == 1 and tiles.size_bytes == 1
    tiles.put(key(1, x=1), Tile(b"late", "late"))  # rendered by a reader that read version 1 before the write
    assert tiles.get(key(1, x=1)) is None and len(tiles) == 1
    assert tiles.get(key(7, table="roads")) == Tile(b"r", "r")
