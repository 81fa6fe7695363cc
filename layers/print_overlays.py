"""A page's own overlays on a printed sheet: what an analysis page draws that is not a registry layer
(the coverage page's service radii, shaded villages, uncovered points), sent by the page as geometry
with a legend label and colours, so that the sheet shows what the page shows.

Only geometry, a label and a style come in: no attributes, so nothing personal beyond what the page
itself drew for the signed-in role. Each geometry is checked as any client geometry is (inside
Haicheng, valid); a circle is a point with ``radius_m``, drawn as its true buffer in EPSG:4550.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from formats.mapimage import MapLayer
from formats.srids import METRIC_CRS, STORAGE_CRS
from layers.errors import InvalidGeometry, InvalidInput
from layers.geometry import reproject, validate_geometry

MAX_OVERLAYS = 30
MAX_OVERLAY_FEATURES = 5000  # all overlays together
MAX_RADIUS_M = 50_000.0
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
EXPECTED = {"Point": "Point", "MultiPoint": "Geometry", "LineString": "MultiLineString",
            "MultiLineString": "MultiLineString", "Polygon": "MultiPolygon", "MultiPolygon": "MultiPolygon"}


@dataclass(frozen=True)
class Overlay:
    title: str
    color: str
    fill: str | None
    dashed: bool
    opacity: float
    geoms: tuple[BaseGeometry, ...]  # EPSG:4550

    def map_layer(self) -> MapLayer:
        points = all(g.geom_type == "Point" for g in self.geoms)
        return MapLayer(self.title, list(self.geoms), color=self.color, fill=self.fill, width=1.2,
                        style="--" if self.dashed else "-", alpha=self.opacity, size=30 if points else 24,
                        zorder=4 if points else 3)


def _refuse(where: str, what: str, field: str = "overlays") -> InvalidInput:
    return InvalidInput(f"{where}：{what}", f"{field}: refused ({where})", field=field)


def _colour(value: Any, where: str, name: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not COLOUR.fullmatch(value):
        raise _refuse(where, f"颜色（{name}）应为 #rrggbb 形式")
    return value.lower()


def _feature(item: Any, where: str) -> BaseGeometry:
    if not isinstance(item, dict):
        raise _refuse(where, "应为 {geometry, radius_m} 对象")
    geometry = item.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in EXPECTED:
        raise _refuse(where, "几何（geometry）应为 GeoJSON 点、线或面")
    try:
        geom = validate_geometry(geometry, EXPECTED[kind])
    except InvalidGeometry as exc:
        raise _refuse(where, exc.message) from exc
    metric = reproject(geom, STORAGE_CRS, METRIC_CRS)
    radius = item.get("radius_m")
    if radius is None:
        return metric
    if (kind != "Point" or isinstance(radius, bool) or not isinstance(radius, int | float)
            or not 0 < radius <= MAX_RADIUS_M):
        raise _refuse(where, f"半径（radius_m）只用于点，应在 0–{MAX_RADIUS_M:.0f} 米之间")
    return metric.buffer(float(radius), 64)


def _overlay(body: Any, n: int, budget: list[int]) -> Overlay:
    where = f"叠加图层第 {n} 个"
    if not isinstance(body, dict):
        raise _refuse(where, "应为对象")
    title = body.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 40:
        raise _refuse(where, "图例名称（title）应为不超过 40 字的文字")
    opacity = 0.3 if body.get("opacity") is None else body["opacity"]
    if isinstance(opacity, bool) or not isinstance(opacity, int | float) or not 0 <= opacity <= 1:
        raise _refuse(where, "透明度（opacity）应在 0–1 之间")
    features = body.get("features")
    if not isinstance(features, list) or not features:
        raise _refuse(where, "要素（features）应为非空列表")
    budget[0] -= len(features)
    if budget[0] < 0:
        raise _refuse("叠加图层", f"要素合计不能超过 {MAX_OVERLAY_FEATURES} 个")
    geoms = tuple(_feature(item, f"{where}（{title.strip()}）的第 {i} 个要素") for i, item in enumerate(features, 1))
    return Overlay(title.strip(), _colour(body.get("color"), where, "color") or "", _colour(body.get("fill"), where,
                   "fill", optional=True), bool(body.get("dashed", False)), float(opacity), geoms)


def parse_overlays(body: Any) -> tuple[Overlay, ...]:
    """The overlays of a print body (absent: none), refused in Chinese naming which one and which feature.

    >>> parse_overlays(None)
    ()
    >>> try:
    ...     parse_overlays([{"title": "服务半径", "color": "#1f4e9c", "features": []}])
    ... except InvalidInput as refused:
    ...     print(refused.message)
    叠加图层第 1 个：要素（features）应为非空列表
    """
    if body is None:
        return ()
    if not isinstance(body, list) or len(body) > MAX_OVERLAYS:
        raise InvalidInput(f"叠加图层（overlays）应为列表，最多 {MAX_OVERLAYS} 个", "overlays must be a list",
                           field="overlays")
    budget = [MAX_OVERLAY_FEATURES]
    return tuple(_overlay(item, n, budget) for n, item in enumerate(body, 1))
