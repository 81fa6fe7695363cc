"""Hand-made test geometry in metres: offsets in EPSG:4550 from an origin, returned as GeoJSON lon/lat."""

from __future__ import annotations

from typing import Any

from layers.geometry import transformer


class LocalFrame:
    """``frame.pt(100, 0)`` is the point 100 m east of the origin (lon, lat), as GeoJSON."""

    def __init__(self, lon: float, lat: float):
        self.x, self.y = transformer("EPSG:4490", "EPSG:4550").transform(lon, lat)

    def ll(self, dx: float, dy: float) -> list[float]:
        return list(transformer("EPSG:4550", "EPSG:4490").transform(self.x + dx, self.y + dy))

    def pt(self, dx: float, dy: float) -> dict[str, Any]:
        return {"type": "Point", "coordinates": self.ll(dx, dy)}

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
        ring = [self.ll(x0, y0), self.ll(x1, y0), self.ll(x1, y1), self.ll(x0, y1), self.ll(x0, y0)]
        return {"type": "Polygon", "coordinates": [ring]}
