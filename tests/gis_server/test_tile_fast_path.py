"""The tiles' short way through the server (``gis_server/tile_fast_path.py``, issue 21): it answers exactly
what the route answers — same body, ETag and headers, the same audit — and leaves every refusal and
error to the route, so the words and statuses of those stay the route's.

Signed in with real tokens (no dependency stand-ins): as in production. ``/tiles/households/014/…``
is the same tile spelt with a leading zero the short way does not take: the route's answer.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gis_server.tile_fast_path import TileFastPath
from tests.utils.tiles import LAT, LON, household, tile_of

Z, X, Y = tile_of(LON, LAT, 14)
SHORT = f"/tiles/households/{Z}/{X}/{Y}.pbf"
ROUTE = f"/tiles/households/0{Z}/{X}/{Y}.pbf"  # z=014: the route's own matching and int parsing
SAME_HEADERS = ("etag", "cache-control", "vary", "content-type", "content-length")


def fast_path(client: TestClient) -> TileFastPath:
    stack = client.app.router.middleware_stack
    assert isinstance(stack, TileFastPath)
    return stack


def audited(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read_personal' "
                             "AND layer = 'households' AND detail->>'tile' = :tile"),
                        {"tile": f"{Z}/{X}/{Y}"}).scalar_one()


def test_a_tile_the_short_way_is_the_routes_answer_and_audited_alike(client: TestClient, conn: Connection) -> None:
    household(client)
    household(client, LON + 0.001, LAT - 0.001, head_name="李某")
    short, route = client.get(SHORT), client.get(ROUTE)
    assert fast_path(client).answered == 1  # the first one only
    assert short.status_code == route.status_code == 200
    assert len(short.content) > 0 and short.content == route.content
    assert [short.headers.get(h) for h in SAME_HEADERS] == [route.headers.get(h) for h in SAME_HEADERS]
    assert short.headers["content-length"] == str(len(short.content))
    assert short.headers["x-request-id"] != route.headers["x-request-id"]  # the middleware saw both
    assert audited(conn) == 2  # one record each: a personal tile read the short way is audited as any

    unchanged = client.get(SHORT, headers={"If-None-Match": short.headers["etag"]})
    assert (unchanged.status_code, unchanged.content, unchanged.headers["etag"]) == (304, b"", short.headers["etag"])
    assert "content-type" not in unchanged.headers
    assert fast_path(client).answered == 2 and audited(conn) == 3


def test_tiles_the_short_way_are_counted_under_the_tile_route(client: TestClient) -> None:
    """The request metrics and log name a request by its route's template, never the raw path (unbounded
    labels): the short way names its tiles after the tile route, as the route would."""
    for y in range(3):
        client.get(f"/tiles/shelters/14/{X}/{Y + y}.pbf")
    assert fast_path(client).answered == 3
    metrics = client.get("/metrics").text
    assert 'gis_http_requests_total{method="GET",route="/tiles/{layer}/{z}/{x}/{y}.pbf",status="200"} 3.0' in metrics
    assert "unmatched" not in metrics


def test_refusals_and_errors_are_the_routes(anonymous: TestClient, client_as: Callable[[str], TestClient]) -> None:
    viewer = client_as("viewer")
    refused = viewer.get(SHORT)
    assert refused.status_code == 403 and refused.json()["message"] == "您无权查看图层“困难群众户”"
    assert anonymous.get(SHORT).status_code == 401
    anonymous.headers["Authorization"] = "Bearer not-a-token"
    assert anonymous.get(SHORT).json()["message_en"] == "invalid token"
    assert viewer.get("/tiles/nothing/1/0/0.pbf").status_code == 404
    # the tile check runs the short way (the route's code) and raises; the app's error handlers answer
    out_of_range = viewer.get("/tiles/shelters/23/0/0.pbf")
    assert out_of_range.status_code == 422
    assert out_of_range.json() == viewer.get("/tiles/shelters/023/0/0.pbf").json()
    assert viewer.head("/tiles/shelters/1/0/0.pbf").status_code in (200, 405)  # HEAD: the route table decides
    assert fast_path(viewer).answered == 0
    assert fast_path(anonymous).answered == 0
