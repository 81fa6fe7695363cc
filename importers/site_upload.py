"""Read one cemetery site from an uploaded file: GeoJSON, KML, GeoPackage or a zipped Shapefile.

The file must hold exactly one feature, a point or a polygon, in a stated coordinate system
(GeoJSON and KML are lon/lat by definition; a Shapefile needs its ``.prj``, a GeoPackage layer its
SRS). The site comes back in CGCS2000 (EPSG:4490) as a GeoJSON geometry, checked like any other
geometry input (inside Haicheng, valid, lat/lon not swapped). Every refusal says why in Chinese.

>>> import json, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = folder / "site.geojson"
>>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
...     "properties": {"name": "东响村公墓"}, "geometry": {"type": "Point", "coordinates": [122.75, 40.85]}}]}))
>>> site = read_site(path, "site.geojson")
>>> site.geometry, site.name, site.source_crs
({'type': 'Point', 'coordinates': [122.75, 40.85]}, '东响村公墓', 'EPSG:4326')
>>> read_site(path, "site.txt")
Traceback (most recent call last):
...
layers.errors.InvalidInput: unsupported file type '.txt'
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyogrio
import shapely
import shapely.geometry

from layers.errors import InvalidInput
from layers.geometry import DEFAULT_MARGIN_DEG, validate_geometry

FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".gpkg": "GeoPackage", ".zip": "Shapefile"}
SITE_TYPES = ("Point", "Polygon", "MultiPolygon")
NAME_COLUMNS = ("name", "Name", "NAME", "名称", "mc", "MC")
ACCEPTED = "请上传 GeoJSON（.geojson/.json）、KML（.kml）、GeoPackage（.gpkg）或 Shapefile 压缩包（.zip）"


@dataclass(frozen=True)
class UploadedSite:
    geometry: dict[str, Any]  # GeoJSON geometry in EPSG:4490 (lon/lat)
    name: str | None  # the feature's name attribute, if it has one
    source_crs: str  # the file's coordinate system as read (e.g. "EPSG:4550")
    format: str  # GeoJSON | KML | GeoPackage | Shapefile

    def to_dict(self) -> dict[str, Any]:
        return {"geometry": self.geometry, "name": self.name, "source_crs": self.source_crs, "format": self.format}


def _shapefile_in(path: Path, filename: str) -> str:
    """The one ``.shp`` inside a zip, as a GDAL ``/vsizip/`` path (nothing is extracted)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/") and "__MACOSX" not in n]
    except zipfile.BadZipFile:
        raise InvalidInput(f"“{filename}”不是有效的 zip 压缩包", "not a zip file", field="file") from None
    shapes = [n for n in names if n.lower().endswith(".shp")]
    if not shapes:
        raise InvalidInput(f"压缩包“{filename}”中没有 .shp 文件：请把 .shp、.shx、.dbf、.prj 一起压缩上传",
                           "no .shp in the zip", field="file")
    if len(shapes) > 1:
        raise InvalidInput(f"压缩包中有 {len(shapes)} 个 Shapefile（{'、'.join(shapes[:5])}）：一次只能上传一个选址",
                           "several shapefiles in the zip", field="file")
    stem = shapes[0][:-4].lower()
    if not any(n.lower() == stem + ".prj" for n in names):
        raise InvalidInput("Shapefile 缺少 .prj 文件，无法确定坐标系：请连同 .prj 一起压缩上传",
                           "shapefile has no .prj (no CRS)", field="file")
    return f"/vsizip/{path}/{shapes[0]}"


def _layer(source: str, filename: str) -> str | None:
    """The one layer holding features (KML folders and GeoPackages may have several)."""
    layers = pyogrio.list_layers(source)
    if len(layers) <= 1:
        return None
    filled = [str(name) for name, _ in layers if pyogrio.read_info(source, layer=str(name))["features"] != 0]
    if len(filled) > 1:
        raise InvalidInput(f"文件“{filename}”含 {len(filled)} 个图层（{'、'.join(filled[:5])}）："
                           "请只保留选址所在的一个图层", "several layers with features", field="file")
    return filled[0] if filled else None


def _crs_name(crs: Any) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()


def read_site(path: Path, filename: str, margin: float = DEFAULT_MARGIN_DEG) -> UploadedSite:
    """The site in the file saved at ``path``; ``filename`` (as uploaded) picks the format."""
    suffix = Path(filename).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"不支持的文件类型“{suffix or filename}”：{ACCEPTED}", f"unsupported file type {suffix!r}",
                           field="file")
    source = _shapefile_in(path, filename) if suffix == ".zip" else str(path)
    try:
        frame = pyogrio.read_dataframe(source, layer=_layer(source, filename))
    except InvalidInput:
        raise
    except Exception:  # GDAL raises several types for damaged or mislabelled files
        raise InvalidInput(f"文件“{filename}”无法读取：不是有效的 {FORMATS[suffix]} 文件，或文件已损坏",
                           f"cannot read {filename} as {FORMATS[suffix]}", field="file") from None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty] if "geometry" in frame else frame.iloc[0:0]
    if len(frame) == 0:
        raise InvalidInput(f"文件“{filename}”中没有带几何的要素", "no feature with a geometry", field="file")
    if len(frame) > 1:
        raise InvalidInput(f"文件“{filename}”含 {len(frame)} 个要素：一次只能检查一个选址，请只保留一个点或面",
                           f"{len(frame)} features; exactly one expected", field="file")
    if frame.crs is None:
        raise InvalidInput(f"文件“{filename}”没有坐标系信息，无法确定位置：请在 GIS 软件中设定坐标系"
                           "（如 CGCS2000 EPSG:4490 或 EPSG:4550）后重新导出", "file has no CRS", field="file")
    geom = shapely.force_2d(frame.geometry.iloc[0])
    if geom.geom_type not in SITE_TYPES:
        raise InvalidInput(f"选址应为点或面，文件中的要素是 {geom.geom_type}", f"site must be a Point or Polygon, got "
                           f"{geom.geom_type}", field="file")
    source_crs = _crs_name(frame.crs)
    if frame.crs.to_epsg() != 4490:
        geom = frame.geometry.iloc[0:1].set_crs(frame.crs, allow_override=True).to_crs(4490).iloc[0]
        geom = shapely.force_2d(geom)
    checked = validate_geometry(shapely.geometry.mapping(geom), "Geometry", "EPSG:4490", margin)
    name = next((str(frame[c].iloc[0]) for c in NAME_COLUMNS if c in frame and frame[c].iloc[0] not in (None, "")),
                None)
    return UploadedSite(_lists(shapely.geometry.mapping(checked)), name, source_crs, FORMATS[suffix])


def _lists(value: Any) -> Any:
    """Tuples (as shapely maps coordinates) → lists, coordinates to 9 decimals (≈ 0.1 mm)."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value
