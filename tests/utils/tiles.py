"""Vector-tile helpers for the API tests: the tile holding a point, a tile's decoded features."""

from __future__ import annotations

import math

import mapbox_vector_tile
from fastapi.testclient import TestClient

from tests.utils.features import create, point

LON, LAT = 122.69, 40.88


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def decode(client: TestClient, layer: str, z: int, x: int, y: int) -> list[dict]:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    if not response.content:
        return []
    return mapbox_vector_tile.decode(response.content)[layer]["features"]


def household(client: TestClient, lon: float = LON, lat: float = LAT, **extra) -> dict:
    props = {"head_name": "王某", "categories": ["dibao", "disabled"], "members": 3, **extra}
    return create(client, "households", point(lon, lat), **props)
