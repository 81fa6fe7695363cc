"""The coordinate system of an imported file, and the checks that name a wrong one.

A file's own coordinate system wins (a Shapefile's .prj, a GeoPackage's SRS; GeoJSON, KML and GPX
are lon/lat by definition). A file without one (CSV, XLSX, a Shapefile without .prj) is read in
the system the user chose. GCJ-02 (the offset of Chinese commercial web maps) only on request: it
is never declared by a file, and a lon/lat file from such a map is indistinguishable otherwise.

Named mistakes, each a problem of its row: projected values (metres) in a lon/lat file; an easting
with the zone prefix 41 read as EPSG:4550, or one without it read as EPSG:4529 (GB/T 17798-2007
§7.2: Gauss-Krüger eastings may carry the zone number in front; EPSG:4529 is CGCS2000 3-degree zone
41 with the prefix, EPSG:4550 the same zone, central meridian 123°E, without it); swapped axes and
rows outside Haicheng (:func:`layers.geometry.validate_geometry`).

>>> value_problem(478918.6, 4522110.2, "EPSG:4490")
'坐标 478918.6, 4522110.2 是投影坐标（米），但坐标系为经纬度：请选择 EPSG:4550 或 EPSG:4529'
>>> value_problem(41478918.6, 4522110.2, "EPSG:4550")
'东坐标 41478918.6 带有带号 41：请选择 EPSG:4529（3 度带第 41 带，带号）'
>>> value_problem(122.75, 40.85, "EPSG:4490") is None
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from formats.srids import METRIC_CRS, STORAGE_CRS, SURVEY_ZONE_CRS, WGS84_CRS
from layers.errors import InvalidInput
from layers.geometry import ACCEPTED_CRS, ACCEPTS, HAICHENG_EXTENT, reproject, validate_geometry

# What the user may choose for a file that does not say (the issue: CGCS2000 geographic, EPSG:4550,
# EPSG:4529 with the zone prefix 41, GCJ-02 on request).
CRS_CHOICES = {
    STORAGE_CRS: "CGCS2000 经纬度（EPSG:4490）",
    METRIC_CRS: "CGCS2000 3 度带 中央经线 123°，东坐标无带号（EPSG:4550）",
    SURVEY_ZONE_CRS: "CGCS2000 3 度带第 41 带，东坐标带带号 41（EPSG:4529）",
    "gcj02": "GCJ-02（高德、腾讯等互联网地图坐标）",
}
GEOGRAPHIC = (STORAGE_CRS, WGS84_CRS, "gcj02")
LONLAT = (STORAGE_CRS, WGS84_CRS)  # read as stored: CGCS2000 and WGS 84 differ by centimetres
ZONE_PREFIX_EASTING = 10_000_000  # an easting ≥ this carries a zone number in front (41 500 000 m = zone 41's 0)


def _shown(value: float) -> str:
    """A coordinate as surveyors write it: no exponent, at most millimetres (``:g`` made 4.52211e+06)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def choice(value: str | None) -> str | None:
    """The user's choice, checked; None when not given."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    key = "gcj02" if text.lower() in ("gcj02", "gcj-02") else text.upper()
    if key not in CRS_CHOICES:
        raise InvalidInput(f"坐标系“{text}”不可选：可选 " + "、".join(CRS_CHOICES.values()),
                           f"unsupported CRS choice {text!r}", field="crs")
    return key


def resolve(file_crs: str | None, chosen: str | None, coordinates: list[tuple[float, float]]) -> tuple[str | None, str]:
    """The system the file is read in and a note saying where it came from (None: the user must choose)."""
    if chosen == "gcj02" and file_crs in (None, WGS84_CRS, STORAGE_CRS):
        return "gcj02", "按要求以 GCJ-02 读取（转换为 CGCS2000）"
    if file_crs is not None:
        shown = file_crs if file_crs.startswith("EPSG:") else "文件自带的坐标系"
        note = f"坐标系取自文件：{shown}"
        if chosen and chosen != file_crs:
            note += f"（文件已注明坐标系，未采用所选的 {chosen}）"
        return file_crs, note
    if chosen is not None:
        return chosen, f"文件未注明坐标系，按所选的 {CRS_CHOICES[chosen]} 读取"
    # lon/lat, or lat/lon swapped (each row then names the swap)
    if coordinates and all(max(abs(x), abs(y)) <= 180 and min(abs(x), abs(y)) <= 90 for x, y in coordinates):
        return STORAGE_CRS, "文件未注明坐标系，坐标为经纬度，按 CGCS2000 经纬度（EPSG:4490）读取"
    return None, "文件没有坐标系信息，坐标不是经纬度：请选择坐标系（EPSG:4550 或 EPSG:4529）后重新检查"


def value_problem(x: float, y: float, crs: str) -> str | None:
    """What is wrong with the first coordinate for ``crs``, in Chinese; None when nothing obvious."""
    if crs in GEOGRAPHIC and max(abs(x), abs(y)) > 180:  # (≤ 180 both: lon/lat, perhaps swapped)
        return f"坐标 {_shown(x)}, {_shown(y)} 是投影坐标（米），但坐标系为经纬度：请选择 EPSG:4550 或 EPSG:4529"
    if crs == METRIC_CRS and x >= ZONE_PREFIX_EASTING:
        return f"东坐标 {_shown(x)} 带有带号 {int(x // 1_000_000)}：请选择 EPSG:4529（3 度带第 41 带，带号）"
    if crs == SURVEY_ZONE_CRS and abs(x) < ZONE_PREFIX_EASTING:
        return f"东坐标 {_shown(x)} 没有带号：请选择 EPSG:4550（中央经线 123°，无带号）"
    return None


def checked_geometry(geom: BaseGeometry, crs: str, geometry_type: str, margin: float) -> BaseGeometry:
    """The geometry in EPSG:4490, checked as every write is (type, swap, extent, validity)."""
    geom = shapely.force_2d(geom)
    if _plain_point(geom, crs, geometry_type, margin):
        return geom
    x, y = shapely.get_coordinates(geom)[0] if not geom.is_empty else (0.0, 0.0)
    problem = value_problem(float(x), float(y), crs)
    if problem:
        raise InvalidInput(problem, "coordinates do not fit the coordinate system", field="geometry")
    if crs not in ACCEPTED_CRS.values():  # another system a file declared: to CGCS2000 first
        geom, crs = reproject(geom, crs, STORAGE_CRS), STORAGE_CRS
    return validate_geometry(mapping(geom), geometry_type, crs, margin)


def plain_points(xy: np.ndarray, crs: str, geometry_type: str, margin: float) -> list[BaseGeometry | None]:
    """The points of many (lon, lat) rows at once where :func:`_plain_point` would pass them unchecked
    (one shapely call, not one per row); None for each row that :func:`checked_geometry` must check, and
    for every row when the layer or the system is not one of lon/lat points. A NaN pair is a row whose
    coordinates are not two numbers.

    >>> plain_points(np.array([[122.75, 40.85], [40.85, 122.75], [np.nan, np.nan]]), "EPSG:4490", "Point", 0.05)
    [<POINT (122.75 40.85)>, None, None]
    >>> plain_points(np.array([[122.75, 40.85]]), "EPSG:4550", "Point", 0.05)
    [None]
    """
    if crs not in LONLAT or "Point" not in ACCEPTS[geometry_type]:
        return [None] * len(xy)
    inside = _inside(xy[:, 0], xy[:, 1], margin)
    points = shapely.points(xy)
    return [point if ok else None for point, ok in zip(points.tolist(), inside.tolist(), strict=True)]


def _inside(x: Any, y: Any, margin: float) -> Any:
    """Within the county's box widened by ``margin`` degrees: numbers or arrays (NaN is never inside)."""
    west, south, east, north = HAICHENG_EXTENT
    return (west - margin <= x) & (x <= east + margin) & (south - margin <= y) & (y <= north + margin)


def _plain_point(geom: BaseGeometry, crs: str, geometry_type: str, margin: float) -> bool:
    """A lon/lat point of a layer of points, finite and inside the county (with the margin): nothing more to
    check (a point is always valid, and it is stored as read), so no GeoJSON round trip per row. Anything
    else — NaN, outside, swapped — goes through :func:`validate_geometry`, which names what is wrong.

    >>> _plain_point(shapely.Point(122.75, 40.85), "EPSG:4490", "Point", 0.05)
    True
    >>> _plain_point(shapely.Point(40.85, 122.75), "EPSG:4490", "Point", 0.05)
    False
    """
    if crs not in LONLAT or geom.geom_type != "Point" or "Point" not in ACCEPTS[geometry_type]:
        return False
    return bool(_inside(geom.x, geom.y, margin))  # NaN fails every comparison
