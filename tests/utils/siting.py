"""Hand-made geometry for the siting tests, built in EPSG:4550 metres around a local origin.

The truth of every expected distance is computed here with shapely in EPSG:4550, independently of
the SQL under test. (No tests in this module: it is shared by the siting test modules.)
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

# (122.75 E, 40.85 N) → EPSG:4550 E 478 918.58, N 4 523 945.51 (DOMAIN.md §2)
E0, N0 = 478_918.58, 4_523_945.51


@cache
def _t(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    t = _t("EPSG:4550", "EPSG:4490")
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    t = _t("EPSG:4490", "EPSG:4550")
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def at(x: float, y: float) -> tuple[float, float]:
    """Local metres (east, north of the origin) → EPSG:4550 coordinates."""
    return E0 + x, N0 + y


def pt(x: float, y: float) -> Point:
    return Point(at(x, y))


def seg(*xys: tuple[float, float]) -> LineString:
    return LineString([at(x, y) for x, y in xys])


def rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(*at(x0, y0), *at(x1, y1))


def truth(site_lonlat: BaseGeometry, feature_lonlat: BaseGeometry) -> float:
    """The expected distance: both stored (lon/lat) geometries taken to EPSG:4550, measured by shapely."""
    return to_metric(site_lonlat).distance(to_metric(feature_lonlat))


def geojson(geom_metric: BaseGeometry) -> dict[str, Any]:
    return mapping(to_lonlat(geom_metric))


ZONE_TABLES = {"basic_farmland": "basic_farmland", "cultivated_land": "cultivated_land",
               "forest_land": "forest_land", "urban_park": "urban_parks", "urban_planning": "urban_planning_zones",
               "scenic_area": "scenic_areas", "nature_reserve": "nature_reserves",
               "water_source": "water_source_zones", "heritage_site": "heritage_sites"}


def insert(conn: Connection, table: str, geom_metric: BaseGeometry, **columns: Any) -> tuple[int, BaseGeometry]:
    """Insert a feature given in EPSG:4550; returns (id, the stored lon/lat geometry)."""
    if isinstance(geom_metric, LineString):
        geom_metric = MultiLineString([geom_metric])
    if isinstance(geom_metric, Polygon):
        geom_metric = MultiPolygon([geom_metric])
    stored = to_lonlat(geom_metric)
    names = ", ".join([*columns, "geom"])
    values = ", ".join([*(f":{k}" for k in columns), "ST_GeomFromWKB(:wkb, 4490)"])
    fid = conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values}) RETURNING id"),
                       {**columns, "wkb": shapely.to_wkb(stored)}).scalar_one()
    return fid, stored


def road(conn: Connection, geom: BaseGeometry, road_class: str, name: str = "测试公路",
         width_m: float | None = None) -> tuple[int, BaseGeometry]:
    return insert(conn, "roads", geom, name=name, road_class=road_class, width_m=width_m)


def railway(conn: Connection, geom: BaseGeometry, railway_class: str,
            width_m: float | None = None) -> tuple[int, BaseGeometry]:
    return insert(conn, "railways", geom, name="测试铁路", railway_class=railway_class, width_m=width_m)


# default full widths (data/rules corridor_widths): roadbed + 1 m of highway land each side; railway formation
DEFAULT_WIDTH_M = {"highway.expressway": 28.0, "highway.national": 14.0, "highway.provincial": 14.0,
                   "highway.county": 10.5, "highway.township": 8.5, "railway.high_speed": 13.6,
                   "railway.conventional": 12.0}


def edge(rule: str, centreline_m: float, width_m: float | None = None) -> float:
    """The expected distance to a corridor's edge: centreline distance less half its width, at least 0."""
    return max(centreline_m - (width_m or DEFAULT_WIDTH_M[rule]) / 2, 0.0)


def river(conn: Connection, geom: BaseGeometry, kind: str = "embankment") -> tuple[int, BaseGeometry]:
    return insert(conn, "rivers", geom, name="测试河", river_kind=kind)


def zone(conn: Connection, constraint: str, geom: BaseGeometry, name: str = "测试区") -> tuple[int, BaseGeometry]:
    return insert(conn, ZONE_TABLES[constraint], geom, name=name)


def village(conn: Connection, code: str, geom: BaseGeometry, population: int = 1000,
            name: str = "测试村") -> tuple[int, BaseGeometry]:
    return insert(conn, "villages", geom, code=code, name=name, township_code=code[:9], population=population)


def township(conn: Connection, code: str, geom: BaseGeometry, name: str = "测试镇") -> tuple[int, BaseGeometry]:
    return insert(conn, "townships", geom, code=code, name=name)


def by_rule(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["rule"]: r for r in report["results"]}
