"""Row factories for the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

CITY = (122.69, 40.88)


def point(lon: float = CITY[0], lat: float = CITY[1]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def line(*coords: tuple[float, float]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def create(client: TestClient, layer: str, geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    response = client.post(f"/api/layers/{layer}/features", json=feature(geometry, **properties))
    assert response.status_code == 201, response.text
    return response.json()


def shelter(client: TestClient, name: str = "测试避难场所", lon: float = CITY[0], lat: float = CITY[1],
            **extra: Any) -> dict[str, Any]:
    return create(client, "shelters", point(lon, lat), name=name, shelter_type="emergency", **extra)
