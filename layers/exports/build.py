"""An export of a layer: its rows read through the feature store, then written in one of six formats.

The rows are what the feature list returns for the same bbox and filters (masked, children's
households only for the case office); a reveal reads the listed rows' own values and asks the layer's
reveal hook for what only a reveal shows (the decrypted ID number).

Spreadsheets (CSV, XLSX) hold no geometry as WKT: points get 经度/纬度 columns, lines their length
and polygons their area in metres (computed in CGCS2000 / 3-degree GK CM 123E, EPSG:4550, the
county's projected system); GIS formats carry the geometry itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from formats import sheets, vectors
from formats.sheets import Column
from formats.srids import METRIC_CRS, STORAGE_CRS
from layers.exports.columns import ExportColumn, export_columns, unit_layer
from layers.features import ListQuery, list_features, property_sql, q
from layers.registry import LayerSpec

FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("text/csv", "csv"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml"),
}
SPREADSHEETS = ("csv", "xlsx")
METRIC_CRS = METRIC_CRS
LON, LAT = Column("lon", "经度（CGCS2000）"), Column("lat", "纬度（CGCS2000）")
LENGTH = Column("geom_length_m", "长度（米，EPSG:4550）", derived=True)
AREA = Column("geom_area_m2", "面积（平方米，EPSG:4550）", derived=True)


@dataclass
class ExportTable:
    """The rows of one export: values per column, and the geometry of each row (shapely)."""

    spec: LayerSpec
    columns: list[ExportColumn]
    properties: list[dict[str, Any]]
    geometries: list[Any]
    ids: list[int]

    def rows(self, spreadsheet: bool) -> tuple[list[Column], list[list[Any]]]:
        columns = [c.column for c in self.columns]
        rows = [[c.value(p) for c in self.columns] for p in self.properties]
        if not spreadsheet:
            return columns, rows
        rows = [[("是" if v else "否") if isinstance(v, bool) else v for v in row] for row in rows]
        extra_columns, extra = measures(self.spec.geometry_type, self.geometries)
        return columns + extra_columns, [r + e for r, e in zip(rows, extra, strict=True)]


def measures(geometry_type: str, geometries: list[Any]) -> tuple[list[Column], list[list[Any]]]:
    """What spreadsheets get instead of the geometry: lon/lat of points, length of lines, area of
    polygons (metres, two decimals); a layer of mixed geometry gets all four columns.
    """
    import numpy as np
    import shapely
    from pyproj import Transformer

    kinds = {"Point": [LON, LAT], "MultiLineString": [LENGTH], "MultiPolygon": [AREA]}
    columns = kinds.get(geometry_type, [LON, LAT, LENGTH, AREA])
    array = np.array(geometries, dtype=object)
    to_metres = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)
    metric = shapely.transform(array, lambda xy: np.column_stack(to_metres.transform(xy[:, 0], xy[:, 1])))
    values = {"lon": [round(g.x, 7) if g.geom_type == "Point" else None for g in array],
              "lat": [round(g.y, 7) if g.geom_type == "Point" else None for g in array],
              "geom_length_m": [round(float(v), 2) if "Line" in g.geom_type else None
                                for g, v in zip(array, shapely.length(metric), strict=True)],
              "geom_area_m2": [round(float(v), 2) if "Polygon" in g.geom_type else None
                               for g, v in zip(array, shapely.area(metric), strict=True)]}
    return columns, [[values[c.name][i] for c in columns] for i in range(len(array))]


def unit_names(conn: Connection, spec: LayerSpec, roles: frozenset[str]) -> dict[str, dict[str, str]]:
    """Code → name of the live units (villages, townships) the layer's codes refer to, when readable."""
    from layers.catalog import registry

    out = {}
    for f in spec.fields:
        layer = unit_layer(f)
        unit = registry().get(layer) if layer else None
        if unit is None or layer in out or not unit.can_read(roles):
            continue
        rows = conn.execute(text(f"SELECT code, {q(unit.title_field)} FROM {q(unit.table.name)} "
                                 "WHERE retired_at IS NULL"))
        out[unit.name] = {code: name for code, name in rows}
    return out


def revealed_properties(conn: Connection, spec: LayerSpec, ids: list[int], cipher: Any) -> dict[int, dict[str, Any]]:
    """The unmasked properties of ``ids``, with what the layer's reveal adds (the decrypted ID number)."""
    rows = conn.execute(text(f"SELECT t.id, {property_sql(spec, 't')}::text FROM {q(spec.table.name)} t "
                             "WHERE t.id = ANY(:ids)"), {"ids": ids})
    out = {feature_id: json.loads(props) for feature_id, props in rows}
    if spec.reveal_values is not None:
        for feature_id, added in spec.reveal_values(conn, ids, cipher).items():
            out[feature_id].update(added)
    elif spec.reveal_hook is not None:  # one record at a time
        for feature_id, props in out.items():
            feature = spec.reveal_hook(conn, feature_id, json.dumps({"properties": props}), cipher)
            out[feature_id] = json.loads(feature)["properties"]
    return out


def table_of(conn: Connection, spec: LayerSpec, features: list[dict[str, Any]], roles: frozenset[str],
             revealed: dict[int, dict[str, Any]] | None = None) -> ExportTable:
    """An export of GeoJSON ``features`` of ``spec`` (as the feature store lists them); ``revealed``:
    the full properties by id, when the export reveals them.
    """
    from shapely.geometry import shape

    ids = [f["id"] for f in features]
    props = [revealed[i] for i in ids] if revealed is not None else [f["properties"] for f in features]
    columns = export_columns(spec, unit_names(conn, spec, roles), spec.input_fields if revealed is not None else ())
    return ExportTable(spec, columns, props, [shape(f["geometry"]) for f in features], ids)


def read_table(conn: Connection, spec: LayerSpec, query: ListQuery, roles: frozenset[str],
               reveal: bool = False, cipher: Any = None) -> ExportTable:
    """The rows of ``query`` (all of them: no paging) as the export writes them."""
    features = json.loads(list_features(conn, spec, query))["features"]
    revealed = revealed_properties(conn, spec, [f["id"] for f in features], cipher) if reveal else None
    return table_of(conn, spec, features, roles, revealed)


def render(table: ExportTable, format: str, encoding: str = "utf-8", title: str | None = None) -> bytes:
    """The file of ``table`` in ``format`` (see :data:`FORMATS`); ``encoding`` for CSV and Shapefile;
    ``title`` of the XLSX sheet (default: the layer's).
    """
    spec = table.spec
    columns, rows = table.rows(spreadsheet=format in SPREADSHEETS)
    notes = [f"{spec.title}（{spec.name}），共 {len(rows)} 条。",
             "第一行为中文列名，第二行为字段名（导入时按字段名对应）；第二行为空的列（代码的名称、长度、面积）"
             "只供阅读，导入时不读。",
             "时间为北京时间（UTC+08:00）。多个取值以英文逗号分隔，其中文名称以顿号分隔。",
             "坐标为 CGCS2000 经纬度（EPSG:4490）；线的长度、面的面积按 EPSG:4550 计算。表格不含图形本身，"
             "需要图形请导出 GeoPackage、Shapefile 或 GeoJSON。",
             "个人信息已按规定脱敏，除非本文件为经授权、记入审计的完整导出。"]
    if format == "csv":
        return sheets.to_csv(columns, rows, encoding)
    if format == "xlsx":
        return sheets.to_xlsx(title or spec.title, columns, rows, notes)
    if format == "geojson":
        return vectors.to_geojson(spec.title, columns, rows, table.geometries)
    geometry_type = "Unknown" if spec.geometry_type == "Geometry" else spec.geometry_type
    if format == "gpkg":
        return vectors.to_gpkg(spec.name, spec.title, columns, rows, table.geometries, geometry_type)
    if format == "shp":
        return vectors.to_shapefile_zip(spec.name, columns, rows, table.geometries, geometry_type, encoding)
    return vectors.to_kml(spec.name, spec.title, columns, rows, table.geometries, spec.title_field)
