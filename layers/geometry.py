"""Geometry input: parse GeoJSON, bring it to CGCS2000 (EPSG:4490), and refuse what is wrong.

Every write of every layer goes through :func:`validate_geometry`, so a wrong type, an empty
or invalid shape, a lat/lon swap or a point outside Haicheng is refused with a message that
says what and where.

>>> g = validate_geometry({"type": "Point", "coordinates": [122.75, 40.85]}, "Point")
>>> g.wkt
'POINT (122.75 40.85)'
>>> validate_geometry({"type": "Point", "coordinates": [40.85, 122.75]}, "Point")
Traceback (most recent call last):
...
layers.errors.InvalidGeometry: longitude and latitude are swapped: [40.85, 122.75] should be [122.75, 40.85]
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import shapely
from pyproj import Transformer
from shapely.geometry import MultiLineString, MultiPolygon, shape
from shapely.geometry.base import BaseGeometry

from formats.srids import (
    METRIC_CRS,
    METRIC_SRID,
    STORAGE_CRS,
    STORAGE_SRID,
    SURVEY_ZONE_CRS,
    SURVEY_ZONE_SRID,
    WGS84_CRS,
    WGS84_SRID,
    epsg,
)
from layers.errors import InvalidGeometry

# Haicheng's extent (DOMAIN.md §1), lon/lat.
HAICHENG_EXTENT = (122.31, 40.48, 123.15, 41.18)
DEFAULT_MARGIN_DEG = 0.05

ACCEPTED_CRS = {str(srid): epsg(srid) for srid in (STORAGE_SRID, WGS84_SRID, METRIC_SRID, SURVEY_ZONE_SRID)}
ACCEPTED_CRS["gcj02"] = "gcj02"
GEOMETRY_TYPE_ZH = {"Point": "点", "LineString": "线", "Polygon": "面", "MultiPoint": "多点",
                    "MultiLineString": "线", "MultiPolygon": "面", "Geometry": "点、线或面"}
# what each declared layer type accepts from a client
ACCEPTS = {
    "Point": {"Point"},
    "MultiLineString": {"LineString", "MultiLineString"},
    "MultiPolygon": {"Polygon", "MultiPolygon"},
    "Geometry": {"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"},
}


def normalise_crs(crs: str | int | None) -> str:
    """``'EPSG:4490'`` for any spelling of an accepted CRS; ``gcj02`` stays as it is.

    >>> normalise_crs(None), normalise_crs(4550), normalise_crs("urn:ogc:def:crs:EPSG::4529")
    ('EPSG:4490', 'EPSG:4550', 'EPSG:4529')
    >>> normalise_crs("CRS84")
    'EPSG:4326'
    """
    if crs is None:
        return STORAGE_CRS
    text = str(crs).strip().lower()
    if text in ("crs84", "ogc:crs84", "http://www.opengis.net/def/crs/ogc/1.3/crs84", "wgs84"):
        return WGS84_CRS
    if text in ("gcj02", "gcj-02"):
        return "gcj02"
    match = re.search(r"(\d{4,5})$", text)
    if match and match.group(1) in ACCEPTED_CRS:
        return ACCEPTED_CRS[match.group(1)]
    raise InvalidGeometry(
        f"不支持的坐标系“{crs}”：可用 EPSG:4490、EPSG:4326、EPSG:4550、EPSG:4529 或 gcj02",
        f"unsupported CRS {crs!r}: use EPSG:4490, EPSG:4326, EPSG:4550, EPSG:4529 or gcj02", field="crs")


@cache
def transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


# --- GCJ-02 (the offset datum of Chinese commercial web maps) --------------------------------
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def _gcj_offset(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert the GCJ-02 offset by fixed-point iteration (better than 1 cm after a few steps).

    >>> lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(122.75, 40.85))
    >>> round(lon, 7), round(lat, 7)
    (122.75, 40.85)
    """
    w_lon, w_lat = lon, lat
    for _ in range(10):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon - (g_lon - lon), w_lat - (g_lat - lat)
    return w_lon, w_lat


def to_storage_crs(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """Transform from an accepted CRS to EPSG:4490 (lon/lat)."""
    if crs in (STORAGE_CRS, WGS84_CRS):  # WGS84 and CGCS2000 differ by centimetres
        return geom
    if crs == "gcj02":
        return shapely.transform(geom, lambda xy: _vectorised(gcj02_to_wgs84, xy))
    return reproject(geom, crs, STORAGE_CRS)


def reproject(geom: Any, source: str, target: str) -> Any:
    """A geometry (or an array of them) from ``source`` to ``target``, x = lon/easting.

    >>> round(reproject(shapely.Point(122.75, 40.85), "EPSG:4490", "EPSG:4550").x, 2)
    478918.58
    """
    import numpy as np

    t = transformer(source, target)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _vectorised(func: Any, xy: Any) -> Any:
    import numpy as np

    return np.array([func(x, y) for x, y in xy]) if len(xy) else xy


def _swap(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


def _inside(geom: BaseGeometry, extent: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = geom.bounds
    return minx >= extent[0] and miny >= extent[1] and maxx <= extent[2] and maxy <= extent[3]


def _first_coordinate(geom: BaseGeometry) -> list[float]:
    x, y = shapely.get_coordinates(geom)[0]
    return [round(float(x), 6), round(float(y), 6)]


def _parse(geojson: Any) -> BaseGeometry:
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise InvalidGeometry("缺少几何（geometry）或格式不是 GeoJSON 几何对象",
                              "geometry is missing or not a GeoJSON geometry object", field="geometry")
    try:
        geom = shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise InvalidGeometry(f"GeoJSON 几何无法解析（类型 {geojson.get('type')}）：坐标结构不正确",
                              f"cannot parse GeoJSON {geojson.get('type')}: malformed coordinates",
                              field="geometry") from exc
    if geom.is_empty:
        raise InvalidGeometry("几何为空", "geometry is empty", field="geometry")
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        raise InvalidGeometry("坐标含有非数值", "coordinates contain non-finite values", field="geometry")
    return geom


def _check_type(geom: BaseGeometry, expected: str) -> BaseGeometry:
    if geom.geom_type not in ACCEPTS[expected]:
        raise InvalidGeometry(
            f"几何类型错误：本图层应为{GEOMETRY_TYPE_ZH[expected]}（{expected}），收到 {geom.geom_type}",
            f"wrong geometry type: expected {expected}, got {geom.geom_type}", field="geometry")
    if expected == "MultiPolygon" and geom.geom_type == "Polygon":
        return MultiPolygon([geom])
    if expected == "MultiLineString" and geom.geom_type == "LineString":
        return MultiLineString([geom])
    return geom


# the projected systems Haicheng's survey data come in (metres), for naming a file's likely CRS
PROJECTED_CRS_NAMES = {
    METRIC_CRS: "CGCS2000 3 度带高斯-克吕格投影，中央经线 123°E，不带带号",
    SURVEY_ZONE_CRS: "CGCS2000 3 度带高斯-克吕格投影，第 41 带，带带号",
}


def likely_crs(geom: BaseGeometry, margin: float = DEFAULT_MARGIN_DEG) -> str | None:
    """The projected CRS in which raw coordinates (read as if lon/lat) fall inside Haicheng, if any.

    >>> from shapely.geometry import Point
    >>> likely_crs(Point(480000.0, 4522000.0)), likely_crs(Point(41480000.0, 4522000.0)), likely_crs(Point(1, 2))
    ('EPSG:4550', 'EPSG:4529', None)
    """
    minx, miny, maxx, maxy = geom.bounds
    if max(abs(minx), abs(maxx), abs(miny), abs(maxy)) <= 360:
        return None  # degrees
    extent = (HAICHENG_EXTENT[0] - margin, HAICHENG_EXTENT[1] - margin,
              HAICHENG_EXTENT[2] + margin, HAICHENG_EXTENT[3] + margin)
    for crs in PROJECTED_CRS_NAMES:
        if _inside(to_storage_crs(geom, crs), extent):
            return crs
    return None


def crs_hint(crs: str) -> str:
    """A sentence naming the likely CRS, for the messages about a file or body that did not declare it."""
    return (f"这些坐标像是 {crs}（{PROJECTED_CRS_NAMES[crs]}，单位米）：按该坐标系解释正好位于海城市内。"
            f"可能是文件未声明坐标系，请在 GIS 软件中把坐标系设定为 {crs} 后重新导出（或在请求中注明 crs={crs}）")


def _check_extent(geom: BaseGeometry, original: BaseGeometry, crs: str, margin: float) -> None:
    extent = (HAICHENG_EXTENT[0] - margin, HAICHENG_EXTENT[1] - margin,
              HAICHENG_EXTENT[2] + margin, HAICHENG_EXTENT[3] + margin)
    if _inside(geom, extent):
        return
    if crs != "gcj02" and _inside(to_storage_crs(_swap(original), crs), extent):
        first = _first_coordinate(original)
        raise InvalidGeometry(
            f"经纬度顺序颠倒：{first} 应写作 {first[::-1]}（GeoJSON 为先经度后纬度）",
            f"longitude and latitude are swapped: {first} should be {first[::-1]}",
            field="geometry", location=first[::-1] if crs in (STORAGE_CRS, WGS84_CRS) else None)
    guess = likely_crs(original, margin) if crs in (STORAGE_CRS, WGS84_CRS) else None
    if guess:
        raise InvalidGeometry("坐标超出海城市范围。" + crs_hint(guess), f"coordinates look like {guess}",
                              field="geometry")
    minx, miny, maxx, maxy = geom.bounds
    raise InvalidGeometry(
        f"坐标超出海城市范围：范围 {minx:.6f},{miny:.6f} – {maxx:.6f},{maxy:.6f}，"
        f"海城市约为东经 {HAICHENG_EXTENT[0]}–{HAICHENG_EXTENT[2]}°、北纬 {HAICHENG_EXTENT[1]}–{HAICHENG_EXTENT[3]}°",
        f"coordinates outside the Haicheng extent: bounds {minx:.6f},{miny:.6f},{maxx:.6f},{maxy:.6f}",
        field="geometry")


def _check_valid(geom: BaseGeometry) -> None:
    if geom.is_valid:
        return
    reason = shapely.is_valid_reason(geom)
    match = re.match(r"(.+?)\[([-\d.eE+]+) ([-\d.eE+]+)\]", reason)
    what = match.group(1) if match else reason
    location = [round(float(match.group(2)), 6), round(float(match.group(3)), 6)] if match else None
    what_zh = {"Self-intersection": "自相交", "Ring Self-intersection": "环自相交",
               "Too few points": "点数太少", "Hole lies outside shell": "内环位于外环之外",
               "Nested shells": "外环嵌套", "Interior is disconnected": "内部不连通",
               "Duplicate Rings": "环重复", "Invalid Coordinate": "坐标无效",
               "Ring Self-intersection ": "环自相交"}.get(what.strip(), what)
    where = f"，位置 {location[0]}, {location[1]}" if location else ""
    raise InvalidGeometry(f"几何无效：{what_zh}{where}", f"invalid geometry: {reason}", field="geometry",
                          location=location)


def validate_geometry(geojson: Any, expected: str, crs: str | int | None = None,
                      margin: float = DEFAULT_MARGIN_DEG) -> BaseGeometry:
    """Parse, check and transform a client geometry; returns it in EPSG:4490."""
    source_crs = normalise_crs(crs)
    original = _parse(geojson)
    geom = _check_type(original, expected)
    stored = to_storage_crs(geom, source_crs)
    _check_extent(stored, geom, source_crs, margin)
    _check_valid(stored)
    return stored
