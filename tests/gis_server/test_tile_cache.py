"""The tile cache: hits, never a stale tile after a write (by the API or by plain SQL), one entry per
role scope, every read of personal tiles audited, hit or not; and the cache's own bookkeeping."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gis_server.deps import get_current_actor
from gis_server.tile_cache import Tile, TileCache, TileKey, tile_bounds
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


def test_a_cached_tile_is_answered_without_the_thread_pool(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hit is answered on the event loop (issue 21: each trip through the pool is two thread hand-overs,
    and each waits for a core on a busy machine); a miss renders in the pool."""
    import anyio.to_thread

    pooled: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def recording(func, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        pooled.append(getattr(getattr(func, "func", func), "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recording)
    shelter(client)
    client.get(PATH.format("shelters", *TILE))
    assert "_render" in pooled or "_run_sync_endpoint" in pooled  # the miss (the old route: all of it)
    pooled.clear()
    assert client.get(PATH.format("shelters", *TILE)).status_code == 200
    assert cache(client).hits == 1
    assert set(pooled) <= {"<lambda>"}, pooled  # only the test's own actor (act_as), a sync dependency


def test_an_api_write_shows_in_the_next_tile(client: TestClient) -> None:
    made = household(client)
    assert features(client, "households")[made["id"]]["members"] == 3
    assert features(client, "households")[made["id"]]["members"] == 3  # now cached
    assert cache(client).hits == 1
    response = client.patch(f"/api/layers/households/features/{made['id']}", headers={"If-Match": '"1"'},
                            json={"properties": {"members": 5}})
    assert response.status_code == 200, response.text
    assert features(client, "households")[made["id"]]["members"] == 5
    assert (cache(client).hits, len(cache(client))) == (1, 1)  # re-rendered in place


FAR = (LON + 0.2, LAT + 0.1)  # ≈ 17 km north-east: other tiles at z14 and z12


def test_a_write_re_renders_only_the_tiles_it_touches(client: TestClient, conn: Connection) -> None:
    near, far = household(client), household(client, *FAR)
    far_tile, near_z12, far_z12 = tile_of(*FAR, 14), tile_of(LON, LAT, 12), tile_of(*FAR, 12)
    assert near_z12 != far_z12
    for tile in (TILE, far_tile, near_z12, far_z12):
        features(client, "households", tile)
    assert (cache(client).hits, cache(client).misses) == (0, 4)
    response = client.patch(f"/api/layers/households/features/{near['id']}", headers={"If-Match": '"1"'},
                            json={"properties": {"members": 5}})
    assert response.status_code == 200, response.text
    assert features(client, "households")[near["id"]]["members"] == 5  # touched: rendered again
    assert features(client, "households", near_z12)[near["id"]]["members"] == 5
    assert features(client, "households", far_tile)[far["id"]]["members"] == 3  # away: from the cache
    assert features(client, "households", far_z12)[far["id"]]["members"] == 3
    assert (cache(client).hits, cache(client).misses) == (2, 6)
    # a move by plain SQL from the far place to here: both places are touched, old and new
    conn.execute(text("UPDATE households SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4490) WHERE id = :id"),
                 {"lon": LON + 0.0004, "lat": LAT, "id": far["id"]})
    assert set(features(client, "households")) == {near["id"], far["id"]}
    assert features(client, "households", far_tile) == {}
    assert (cache(client).hits, cache(client).misses) == (2, 8)
    # a write elsewhere in the county leaves both cached
    household(client, LON - 0.3, LAT - 0.2)
    assert set(features(client, "households")) == {near["id"], far["id"]}
    assert features(client, "households", far_tile) == {}
    assert (cache(client).hits, cache(client).misses) == (4, 8)


def test_a_write_on_the_edge_of_a_tile_re_renders_its_neighbour_within_the_buffer(client: TestClient) -> None:
    """A symbol just across the edge is drawn in the buffer of the neighbouring tile (64/4096 of a side)."""
    z, x, y = TILE
    west, _, _, _ = tile_bounds(z, x, y, 0.0)
    inside_buffer = west - 1e-5  # 1 m west of the edge: in tile x-1, in the buffer of tile x
    assert tile_of(inside_buffer, LAT, 14) == (z, x - 1, y)
    features(client, "households")
    made = household(client, inside_buffer, LAT)
    assert made["id"] in features(client, "households")
    assert cache(client).hits == 0


def test_a_write_of_unknown_place_re_renders_every_tile_of_its_layer(client: TestClient, conn: Connection) -> None:
    """A version without a recorded place (TRUNCATE, or one older than those kept) touches every tile."""
    made = household(client, *FAR)
    far_tile = tile_of(*FAR, 14)
    features(client, "households", far_tile)
    features(client, "households")
    household(client, LON - 0.3, LAT - 0.2)  # away from both tiles, but its place is then forgotten
    conn.execute(text("DELETE FROM layer_data_changes WHERE layer_table = 'households' AND version = "
                      "(SELECT version FROM layer_data_versions WHERE layer_table = 'households')"))
    assert set(features(client, "households", far_tile)) == {made["id"]}
    assert features(client, "households") == {}
    assert (cache(client).hits, cache(client).misses) == (0, 4)


def test_each_write_records_where_it_happened(client: TestClient, conn: Connection) -> None:
    before = conn.execute(text("SELECT version FROM layer_data_versions WHERE layer_table = 'shelters'")).scalar_one()
    shelter(client)
    conn.execute(text("UPDATE shelters SET name = name WHERE false"))
    rows = conn.execute(text("SELECT version, round(west::numeric, 4), round(south::numeric, 4), east IS NULL "
                             "FROM layer_data_changes WHERE layer_table = 'shelters' AND version > :v "
                             "ORDER BY version"), {"v": before}).all()
    assert [tuple(r) for r in rows][-1] == (rows[-1][0], None, None, True)  # no row: nothing drawn changed
    assert all(r[1] is not None for r in rows[:-1]) and len(rows) >= 2


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

def key(x: int = 0, table: str = "shelters", scope: str = "s") -> TileKey:
    return TileKey(table, scope, 14, x, 0)


ANYWHERE = (-180.0, -85.0, 180.0, 85.0)


def test_least_recently_used_tiles_go_first_past_the_memory_limit() -> None:
    tiles = TileCache(250)
    for x in range(3):
        tiles.put(key(x=x), Tile(b"x" * 100, str(x)), 1)
    assert len(tiles) == 2 and tiles.size_bytes == 200
    assert tiles.get(key(x=0), 1, ANYWHERE) is None and tiles.get(key(x=1), 1, ANYWHERE) is not None
    tiles.put(key(x=3), Tile(b"y" * 100, "3"), 1)  # 2 was used least recently
    assert tiles.get(key(x=2), 1, ANYWHERE) is None and tiles.get(key(x=1), 1, ANYWHERE) is not None
    tiles.put(key(x=4), Tile(b"z" * 300, "4"), 1)  # larger than the whole cache: not kept
    assert tiles.get(key(x=4), 1, ANYWHERE) is None and tiles.size_bytes == 200


def test_an_older_entry_is_served_only_across_known_writes_away_from_it() -> None:
    tiles = TileCache(10_000)
    tiles.learn("shelters", 1, ())
    here, there = (0.0, 0.0, 1.0, 1.0), (5.0, 5.0, 6.0, 6.0)
    tiles.put(key(x=0), Tile(b"a", "a"), 1)
    tiles.learn("shelters", 3, [(2, there), (3, None)])  # one write elsewhere, one of rows without geometry
    assert tiles.get(key(x=0), 3, here) == Tile(b"a", "a")
    tiles.learn("shelters", 5, [(5, (0.5, 0.5, 0.5, 0.5))])  # version 4 unknown (a TRUNCATE), 5 here
    assert tiles.get(key(x=0), 5, there) is None and len(tiles) == 0
    tiles.put(key(x=0), Tile(b"b", "b"), 5)
    tiles.put(key(x=0), Tile(b"late", "late"), 4)  # rendered by a reader that read version 4 before the write
    assert tiles.get(key(x=0), 5, here) == Tile(b"b", "b")
    tiles.learn("shelters", 6, [(6, (1.0 + 1e-10, 0.0, 2.0, 1.0))])  # on the edge: touches
    assert tiles.get(key(x=0), 6, here) is None


def test_a_version_going_back_forgets_the_table_only() -> None:
    tiles = TileCache(10_000)
    tiles.learn("shelters", 7, ())
    tiles.learn("roads", 7, ())
    tiles.put(key(), Tile(b"a", "a"), 7)
    tiles.put(key(table="roads"), Tile(b"r", "r"), 7)
    tiles.forget("shelters")
    assert tiles.learnt("shelters") is None and tiles.learnt("roads") == 7
    assert tiles.get(key(), 7, ANYWHERE) is None
    assert tiles.get(key(table="roads"), 7, ANYWHERE) == Tile(b"r", "r")


def test_tile_bounds_are_the_tiles_envelope_in_degrees() -> None:
    assert tile_bounds(0, 0, 0, 0.0) == pytest.approx((-180.0, -85.0511287798, 180.0, 85.0511287798))
    west, south, east, north = tile_bounds(1, 1, 0, 0.0)
    assert (west, south, east) == pytest.approx((0.0, 0.0, 180.0)) and north == pytest.approx(85.0511287798)
    grown = tile_bounds(1, 1, 0, 64 / 4096)
    assert grown[0] == pytest.approx(-180.0 * 64 / 4096)  # 64/4096 of its 180° side further west


def test_concurrent_tile_reads_are_audited_and_versioned_by_one_statement(client: TestClient, conn: Connection) -> None:
    """Group commit (gis_server/tile_reads.py): reads arriving while a statement runs share the next one;
    each gets its audit record committed and the version read after it."""
    import threading
    import time

    from gis_server.routers.tiles import tile_reads
    from layers.audit import read_record

    spec = registry().get("households")
    reader = Actor("tester", frozenset([CASE_WORKER]), "127.0.0.1")
    reads = tile_reads(client.app.state)
    version = conn.execute(text("SELECT version FROM layer_data_versions WHERE layer_table = 'households'")).scalar()
    got: list[int | None] = []
    with reads._busy:  # a statement "running": the reads queue up
        threads = [threading.Thread(target=lambda i=i: got.append(reads.version(
            "households", read_record(spec, reader, "read_personal", tile=f"14/{i}/9")[1]))) for i in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while reads._queue.qsize() < 7 and time.monotonic() < deadline:  # the 8th is with the writer
            time.sleep(0.01)
    for thread in threads:
        thread.join(10)
    assert got == [version] * 8
    assert (reads.statements, reads.reads) == (1, 8)
    audited = conn.execute(text("SELECT count(*), count(DISTINCT detail->>'tile') FROM audit_log "
                                "WHERE action = 'read_personal' AND layer = 'households' AND username = 'tester' "
                                "AND detail->>'tile' LIKE '14/_/9'")).one()
    assert tuple(audited) == (8, 8)



def test_a_warm_tile_does_not_build_its_statement_again(client: TestClient) -> None:
    """The statement (masks, row filter) and its scope hash are made once per layer and filter, not per
    tile (issue 21: a warm tile is mostly Python)."""
    from gis_server.routers.tiles import tile_statement

    shelter(client)
    tile_statement.cache_clear()
    for tile in (TILE, (TILE[0], TILE[1] + 1, TILE[2]), TILE):
        features(client, "shelters", tile)
    assert (tile_statement.cache_info().misses, tile_statement.cache_info().hits) == (1, 2)


class _Unreachable:
    """A database whose connections cannot be had (the server is down)."""

    def autocommit(self):  # noqa: ANN201
        raise OSError("connection refused")


def test_tile_readers_get_the_error_when_no_connection_can_be_had() -> None:
    """The group-commit writer holds one connection across back-to-back batches; when it cannot get one,
    every waiting reader gets the error instead of waiting for ever, and the next read tries again."""
    from gis_server.tile_reads import TileReads

    reads = TileReads(_Unreachable())  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(OSError, match="connection refused"):
            reads.submit("shelters", None).result(timeout=10)


def test_readers_on_the_event_loop_are_settled_with_one_call_into_it(client: TestClient, conn: Connection,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The tile route awaits its read on the event loop (``TileReads.read``): a batch's readers are given
    their versions by one call into the loop, not one wake-up each (issue 21); a reader that left meanwhile
    (its task cancelled: the client went away) is skipped, and the others still get theirs."""
    import asyncio
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from gis_server import tile_reads as module
    from gis_server.routers.tiles import tile_reads

    settled: list[int] = []
    settle = module._settle
    monkeypatch.setattr(module, "_settle", lambda reads, *rest: (settled.append(len(reads)), settle(reads, *rest)))
    reads = tile_reads(client.app.state)
    version = conn.execute(text("SELECT version FROM layer_data_versions WHERE layer_table = 'shelters'")).scalar()

    async def eight() -> list[object]:
        tasks = [asyncio.create_task(reads.read("shelters", None)) for _ in range(8)]
        for _ in range(1000):  # the 8th is with the writer, which waits for the statement "running"
            if reads._queue.qsize() >= 7:
                break
            await asyncio.sleep(0.01)
        tasks[3].cancel()
        ready.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    ready = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        with reads._busy:  # a statement "running": the reads queue up
            got = pool.submit(asyncio.run, eight())
            assert ready.wait(10)
            time.sleep(0.05)
        results = got.result(timeout=10)
    assert isinstance(results[3], asyncio.CancelledError)
    assert results[:3] + results[4:] == [version] * 7
    assert (reads.statements, reads.reads, settled) == (1, 8, [8])


def test_readers_on_the_event_loop_get_the_error_when_no_connection_can_be_had() -> None:
    import asyncio

    from gis_server.tile_reads import TileReads

    reads = TileReads(_Unreachable())  # type: ignore[arg-type]
    with pytest.raises(OSError, match="connection refused"):
        asyncio.run(asyncio.wait_for(reads.read("shelters", None), 10))


def test_back_to_back_batches_share_one_connection(client: TestClient, conn: Connection) -> None:
    """Reads arriving while a statement runs are committed by the next statement on the same connection:
    under load the writer does not check a connection out and in again for every batch (issue 21)."""
    import time

    from gis_server.routers.tiles import tile_reads

    reads = tile_reads(client.app.state)
    checkouts: list[int] = []
    autocommit, write = reads.db.autocommit, reads._write
    arriving: list = []

    def counting():  # noqa: ANN202
        checkouts.append(1)
        return autocommit()

    def reads_arrive_meanwhile(connection, batch):  # noqa: ANN001, ANN202
        if not arriving:
            arriving.extend(reads.submit("shelters", None) for _ in range(3))
        return write(connection, batch)

    reads.db.autocommit = counting  # type: ignore[method-assign]
    reads._write = reads_arrive_meanwhile  # type: ignore[method-assign]
    version = conn.execute(text("SELECT version FROM layer_data_versions WHERE layer_table = 'shelters'")).scalar()
    assert reads.submit("shelters", None).result(timeout=10) == version
    deadline = time.monotonic() + 10
    while not (arriving and all(f.done() for f in arriving)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [f.result() for f in arriving] == [version] * 3
    assert (reads.statements, reads.reads, len(checkouts)) == (2, 4, 1)
