"""Writing features for GIS tools: GeoPackage, Shapefile (zip), GeoJSON and KML.

Columns are the field names (what a program and the import pipeline read back); the Chinese labels
travel beside them in a key each format can hold: column titles in the GeoPackage (``gpkg_data_columns``), a
``字段说明.csv`` in the Shapefile zip (also naming the 10-character dBASE column each field got),
a ``fields`` member in the GeoJSON and ``displayName`` in the KML. Coordinates are CGCS2000
lon/lat (EPSG:4490); KML is WGS 84 by definition, which CGCS2000 matches to a few centimetres.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from formats.errors import FileRefused
from formats.sheets import Column
from formats.srids import STORAGE_CRS

CRS = STORAGE_CRS
KEY_NAME = "字段说明"
DBF_NAME_MAX = 10  # dBASE III column names


def _frame(columns: Sequence[Column], rows: Sequence[Sequence[Any]], geometries: Sequence[Any],
           names: Sequence[str] | None = None) -> Any:
    import geopandas as gpd
    import pandas as pd

    names = list(names or [c.name for c in columns])
    data = pd.DataFrame([list(r) for r in rows], columns=names) if rows else pd.DataFrame(columns=names)
    for name in names:  # a column of texts and empty cells stays a text column, not "object of None"
        if data[name].dtype == object and data[name].map(lambda v: isinstance(v, bool)).any():
            data[name] = data[name].astype("boolean")
    return gpd.GeoDataFrame(data, geometry=list(geometries), crs=CRS)


def _key_rows(columns: Sequence[Column], names: Sequence[str] | None = None) -> list[list[str]]:
    if names is None:
        return [[c.name, c.label] for c in columns]
    return [[short, c.name, c.label] for short, c in zip(names, columns, strict=True)]


def to_geojson(title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
               geometries: Sequence[Any]) -> bytes:
    """RFC 7946 (lon/lat); ``name`` and ``fields`` (field name → label) are foreign members."""
    from shapely.geometry import mapping

    features = [{"type": "Feature", "geometry": mapping(g) if g is not None else None,
                 "properties": {c.name: v for c, v in zip(columns, row, strict=True)}}
                for row, g in zip(rows, geometries, strict=True)]
    body = {"type": "FeatureCollection", "name": title,
            "fields": [{"name": c.name, "label": c.label} for c in columns], "features": features}
    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")


# GeoPackage schema extension (OGC 12-128r18, F.2): column titles in gpkg_data_columns
_DATA_COLUMNS_SQL = """
CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name));
CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
INSERT OR IGNORE INTO gpkg_extensions VALUES
  ('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write');
"""


def to_gpkg(layer: str, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
            geometries: Sequence[Any], geometry_type: str) -> bytes:
    """One feature table named ``layer`` (identifier ``title``); each column's label is its title in
    ``gpkg_data_columns`` (QGIS shows it as the field's alias). One table only: an import takes a
    GeoPackage of one layer.
    """
    import sqlite3
    from contextlib import closing

    import pyogrio

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{layer}.gpkg"
        pyogrio.write_dataframe(_frame(columns, rows, geometries), path, layer=layer, driver="GPKG",
                                geometry_type=geometry_type, layer_options={"IDENTIFIER": title},
                                dataset_options={"VERSION": "1.2"})
        with closing(sqlite3.connect(path)) as db, db:
            db.executescript(_DATA_COLUMNS_SQL)
            db.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title) "
                           "VALUES (?, ?, ?, ?)", [(layer, c.name, c.name, c.label) for c in columns])
        return path.read_bytes()


def column_titles(content: bytes) -> dict[str, str]:
    """Column → title (label) of a GeoPackage written by :func:`to_gpkg` (for reading one back)."""
    import sqlite3
    from contextlib import closing

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "read.gpkg"
        path.write_bytes(content)
        with closing(sqlite3.connect(path)) as db:
            return dict(db.execute("SELECT column_name, title FROM gpkg_data_columns").fetchall())


def dbf_names(columns: Sequence[Column]) -> list[str]:
    """A unique dBASE column name (at most 10 characters) per field: cut, then numbered on a clash.

    >>> dbf_names([Column("village_code", ""), Column("village_code_name", ""), Column("id", "")])
    ['village_co', 'village_1', 'id']
    """
    out: list[str] = []
    for c in columns:
        name = c.name[:DBF_NAME_MAX]
        n = 0
        while name.lower() in (o.lower() for o in out):
            n += 1
            name = c.name[:DBF_NAME_MAX - len(str(n)) - 1].rstrip("_") + f"_{n}"
        out.append(name)
    return out


SHAPE_ENCODINGS = {"utf-8": "UTF-8", "gbk": "GBK"}


def to_shapefile_zip(layer: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
                     geometries: Sequence[Any], geometry_type: str, encoding: str = "utf-8") -> bytes:
    """A zip of .shp/.shx/.dbf/.prj/.cpg and 字段说明.csv (dBASE column, field name, label).
    ``encoding`` ``gbk`` writes the .dbf in GBK (with .cpg ``GBK``) for desktop tools that read no UTF-8.
    """
    import pyogrio

    if geometry_type not in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"):
        raise FileRefused("Shapefile 只能保存一种几何类型：本图层混有点、线、面，请改用 GeoPackage 或 GeoJSON",
                          "a Shapefile holds one geometry type; use GeoPackage or GeoJSON")
    names = dbf_names(columns)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{layer}.shp"
        try:
            pyogrio.write_dataframe(_frame(columns, rows, geometries, names), path, driver="ESRI Shapefile",
                                    geometry_type=geometry_type, encoding=SHAPE_ENCODINGS[encoding])
        except UnicodeEncodeError:
            raise FileRefused(f"有 {encoding.upper()} 编码无法表示的字符，请改用 UTF-8 导出",
                              f"a value cannot be encoded as {encoding}") from None
        key = io.StringIO()
        writer = csv.writer(key, lineterminator="\r\n")
        writer.writerow(["dbf字段", "字段名", "中文名"])
        writer.writerows(_key_rows(columns, names))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, part.name)
            archive.writestr(f"{KEY_NAME}.csv", ("\ufeff" + key.getvalue()).encode("utf-8"))
        return buffer.getvalue()


def _coordinates(coords: Any) -> str:
    return "<coordinates>" + " ".join(f"{round(x, 9)!r},{round(y, 9)!r}" for x, y, *_ in coords) + "</coordinates>"


def _kml_geometry(geometry: Any) -> str:
    kind = geometry.geom_type
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return "<MultiGeometry>" + "".join(_kml_geometry(part) for part in geometry.geoms) + "</MultiGeometry>"
    if kind in ("Point", "LineString"):
        return f"<{kind}>{_coordinates(geometry.coords)}</{kind}>"
    rings = [f"<outerBoundaryIs><LinearRing>{_coordinates(geometry.exterior.coords)}</LinearRing></outerBoundaryIs>"]
    rings += [f"<innerBoundaryIs><LinearRing>{_coordinates(r.coords)}</LinearRing></innerBoundaryIs>"
              for r in geometry.interiors]
    return "<Polygon>" + "".join(rings) + "</Polygon>"


XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters XML 1.0 cannot hold


def _kml_text(value: Any) -> str:
    if value is None:
        return ""
    return escape(XML_UNSAFE.sub("", "true" if value is True else "false" if value is False else str(value)))


def to_kml(layer: str, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]],
           geometries: Sequence[Any], name_field: str | None) -> bytes:
    """KML 2.2: a placemark per row named by ``name_field``, every field as ``<Data name=…>`` with
    its label as ``displayName`` (Google Earth and QGIS show the labels). Written here, not by GDAL:
    GDAL's KML driver drops a field called ``name`` and reads no ExtendedData back. Texts are
    joined, not built as an element tree (the tree took most of the time: bench/bench_exports.py).
    """
    heads = [(f'<Data name={quoteattr(c.name)}><displayName>{escape(c.label)}</displayName><value>', "</value></Data>")
             for c in columns]
    at = [c.name for c in columns].index(name_field) if name_field in [c.name for c in columns] else None
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
             f"<Document id={quoteattr(layer)}><name>{escape(title)}</name>"]
    for row, geometry in zip(rows, geometries, strict=True):
        name = _kml_text(row[at]) if at is not None else ""
        data = "".join(head + _kml_text(value) + tail for (head, tail), value in zip(heads, row, strict=True))
        shape = _kml_geometry(geometry) if geometry is not None else ""
        parts.append(f"<Placemark><name>{name}</name><ExtendedData>{data}</ExtendedData>{shape}</Placemark>")
    parts.append("</Document></kml>")
    return "".join(parts).encode("utf-8")
