"""Shared helpers for the inspection tests (no tests here): a line with markers, metric offsets, files."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from pyproj import Transformer

from tests.utils.features import create, line, point

TO_4550 = Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)
TO_4490 = Transformer.from_crs("EPSG:4550", "EPSG:4490", always_xy=True)
REFS = [{"name": "独立树", "bearing_deg": 30, "distance_m": 25.0}, {"name": "电线杆", "bearing_deg": 150,
        "distance_m": 40.5}, {"name": "桥头", "bearing_deg": 270, "distance_m": 62.0}]


def boundary(client: Any, name: str = "海城市—大石桥市界线（测试）", n: int = 3) -> dict[str, Any]:
    """A county line with ``n`` markers 001Q… along it; returns ids and registered positions."""
    start, end = (122.50, 40.60), (122.56, 40.62)
    line_id = create(client, "boundary_lines", line(start, end), name=name, line_level="county", side_a="海城市",
                     side_b="大石桥市", agreement_ref="海石界字〔2001〕1号（测试）")["id"]
    markers = []
    for i in range(n):
        lon = start[0] + (end[0] - start[0]) * (i + 0.5) / n
        lat = start[1] + (end[1] - start[1]) * (i + 0.5) / n
        feature = create(client, "boundary_markers", point(lon, lat), line_id=line_id, number=f"{i + 1:03d}Q",
                         marker_type="single", material="granite", reference_objects=REFS)
        markers.append({"id": feature["id"], "number": f"{i + 1:03d}Q", "lon": lon, "lat": lat})
    return {"line_id": line_id, "markers": markers}


def moved(lon: float, lat: float, de: float, dn: float) -> tuple[float, float]:
    """The position ``de`` m east and ``dn`` m north of (lon, lat), in EPSG:4550."""
    e, n = TO_4550.transform(lon, lat)
    return TO_4490.transform(e + de, n + dn)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Independent check: distance in EPSG:4550 with pyproj."""
    e0, n0 = TO_4550.transform(*a)
    e1, n1 = TO_4550.transform(*b)
    return ((e1 - e0) ** 2 + (n1 - n0) ** 2) ** 0.5


def jpeg(colour: str = "red", size: tuple[int, int] = (640, 480)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
