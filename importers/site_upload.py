"""Read one cemetery site from an uploaded file: GeoJSON, KML, GeoPackage or a zipped Shapefile.

The file must hold exactly one feature, a point or a polygon, in a stated coordinate system
(GeoJSON and KML are lon/lat by definition; a Shapefile needs its ``.prj``, a GeoPackage layer its
SRS). The site comes back in CGCS2000 (EPSG:4490) as a GeoJSON geometry, checked like any other
geometry input (inside Haicheng, valid, lat/lon not swapped). Every refusal says why in Chinese.

>>> import json
>>> data = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
...     "properties": {"name": "东响村公墓"}, "geometry": {"type": "Point", "coordinates": [122.75, 40.85]}}]})
>>> site = read_site(data.encode(), "site.geojson")
>>> site.geometry, site.name, site.source_crs
({'type': 'Point', 'coordinates': [122.75, 40.85]}, '东响村公墓', 'EPSG:4326')
>>> read_site(data.encode(), "site.txt")
Traceback (most recent call last):
...
layers.errors.InvalidInput: unsupported file type '.txt'
>>> read_site(b'<OGRVRTDataSource><OGRVRTLayer name="x"/></OGRVRTDataSource>', "site.geojson").name
Traceback (most recent call last):
...
layers.errors.InvalidInput: site.geojson: content is xml:OGRVRTDataSource, not GeoJSON
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

import shapely
import shapely.geometry

import formats
from formats.srids import STORAGE_CRS
from layers.base import STORAGE_SRID
from layers.errors import InvalidInput
from layers.geometry import DEFAULT_MARGIN_DEG, crs_hint, likely_crs, validate_geometry
from layers.uploads import received

ACCEPTED = ("geojson", "kml", "gpkg", "shapefile")  # the formats a site may come in (allow-list)
FORMAT_NAMES = {"geojson": "GeoJSON", "kml": "KML", "gpkg": "GeoPackage", "shapefile": "Shapefile"}
SUFFIXES = formats.suffixes_of(ACCEPTED)
MAX_BYTES = 20 * 1024 * 1024  # one point or polygon: far below this (local parameter)
MAX_FEATURES = 1000  # more is no site file; fewer are counted in the refusal (local parameter)
SITE_TYPES = ("Point", "Polygon", "MultiPolygon")
NAME_COLUMNS = ("name", "Name", "NAME", "名称", "mc", "MC")


@dataclass(frozen=True)
class UploadedSite:
    geometry: dict[str, Any]  # GeoJSON geometry in EPSG:4490 (lon/lat)
    name: str | None  # the feature's name attribute, if it has one
    source_crs: str  # the file's coordinate system as read (e.g. "EPSG:4550")
    format: str  # GeoJSON | KML | GeoPackage | Shapefile

    def to_dict(self) -> dict[str, Any]:
        return {"geometry": self.geometry, "name": self.name, "source_crs": self.source_crs, "format": self.format}


def _layer(upload: formats.Upload) -> str | None:
    """The one layer holding features (KML folders and GeoPackages may have several)."""
    counts = formats.layers_of(upload)
    if len(counts) <= 1:
        return next(iter(counts), None)
    filled = [name for name, count in counts.items() if count != 0]
    if len(filled) > 1:
        raise InvalidInput(f"文件“{upload.filename}”含 {len(filled)} 个图层：请只保留选址所在的一个图层",
                           "several layers with features", field="file")
    return filled[0] if filled else next(iter(counts))


def read_site(data: bytes | BinaryIO, filename: str, margin: float = DEFAULT_MARGIN_DEG,
              max_bytes: int = MAX_BYTES) -> UploadedSite:
    """The site in an uploaded file; ``filename`` (as uploaded) declares the format, the content must match."""
    with received(data, filename, ACCEPTED, max_bytes) as upload:
        frame = formats.read_features(upload, _layer(upload), max_rows=MAX_FEATURES)
        filename, kind = upload.filename, upload.format.key
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty] if "geometry" in frame else frame.iloc[0:0]
    if len(frame) == 0:
        raise InvalidInput(f"文件“{filename}”中没有带几何的要素", "no feature with a geometry", field="file")
    if len(frame) > 1:
        raise InvalidInput(f"文件“{filename}”含 {len(frame)} 个要素：一次只能检查一个选址，请只保留一个点或面",
                           f"{len(frame)} features; exactly one expected", field="file")
    geom = shapely.force_2d(frame.geometry.iloc[0])
    if frame.crs is None:
        guess = likely_crs(geom, margin)
        raise InvalidInput(f"文件“{filename}”没有坐标系信息，无法确定位置" + ("。" + crs_hint(guess) if guess else
                           "：请在 GIS 软件中设定坐标系（如 CGCS2000 EPSG:4490 或 EPSG:4550）后重新导出"),
                           "file has no CRS", field="file")
    if geom.geom_type not in SITE_TYPES:
        raise InvalidInput(f"选址应为点或面，文件中的要素是 {geom.geom_type}", f"site must be a Point or Polygon, got "
                           f"{geom.geom_type}", field="file")
    source_crs = formats.reading.crs_name(frame.crs) or ""  # not None: checked above
    if frame.crs.to_epsg() != STORAGE_SRID:
        geom = frame.geometry.iloc[0:1].set_crs(frame.crs, allow_override=True).to_crs(STORAGE_SRID).iloc[0]
        geom = shapely.force_2d(geom)
    checked = validate_geometry(shapely.geometry.mapping(geom), "Geometry", STORAGE_CRS, margin)
    name = next((str(frame[c].iloc[0]) for c in NAME_COLUMNS if c in frame and frame[c].iloc[0] not in (None, "")),
                None)
    return UploadedSite(_lists(shapely.geometry.mapping(checked)), name, source_crs, FORMAT_NAMES[kind])


def _lists(value: Any) -> Any:
    """Tuples (as shapely maps coordinates) → lists, coordinates to 9 decimals (≈ 0.1 mm)."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value
