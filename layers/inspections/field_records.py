"""Reading field results (an edited GeoPackage, a CSV table or GPX waypoints) into plain rows.

The declared format (the file name's suffix, from :data:`ACCEPTED`) must match the content;
``formats`` receives and opens the file. Each row is a :class:`FieldRow`: raw values as the file has them and the
position with the CRS it was written in. Checking and matching the rows to markers is the domain's
job (``layers.inspections.results``); this module only reads files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

import formats
from formats.srids import METRIC_CRS, STORAGE_CRS, SURVEY_ZONE_CRS, WGS84_CRS
from layers.errors import InvalidInput
from layers.uploads import received

RECORDS_LAYER = "inspection_records"
CAMPAIGN_TABLE = "campaign"
WAYPOINTS_LAYER = "waypoints"  # GDAL's GPX driver: <wpt> elements
ACCEPTED = ("gpkg", "csv", "gpx")  # what a results import reads (allow-list)
MAX_ROWS = 20_000  # default; the service passes its setting
# CSV headers: the API names and the Chinese labels of the printed table
CSV_COLUMNS = {
    "marker_id": ("marker_id", "界桩编号"), "marker": ("marker", "界桩号", "marker_number"),
    "condition": ("condition", "状况", "界桩状况"), "measured_at": ("measured_at", "检查时间"),
    "inspector": ("inspector", "检查人", "检查人（甲方）"),
    "inspector_partner": ("inspector_partner", "检查人（乙方）"),
    "notes": ("notes", "备注"), "photo_names": ("photo_names", "照片", "照片文件名"),
    "client_id": ("client_id", "记录标识"), "reference_check": ("reference_check", "方位物核对"),
    "accuracy_m": ("accuracy_m", "测量精度"), "lon": ("lon", "经度"), "lat": ("lat", "纬度"),
    "easting": ("e_4550", "easting", "东坐标", "y_4529"), "northing": ("n_4550", "northing", "北坐标", "x_4529"),
}


@dataclass
class FieldRow:
    where: str  # "第 3 行" / "要素 5": how the user finds the row in the file
    values: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    crs: str = STORAGE_CRS


@dataclass
class FieldFile:
    kind: str  # gpkg | csv | gpx
    rows: list[FieldRow]
    campaign_id: int | None = None  # as written in the package's campaign table


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "to_pydatetime"):
        return None if value != value else value.to_pydatetime()  # NaT != NaT
    if isinstance(value, str):
        return value.strip() or None
    return value.item() if hasattr(value, "item") else value


def _required_crs(frame: Any) -> str:
    name = formats.reading.crs_name(frame.crs)
    if name is None:
        raise InvalidInput("文件中的图层没有坐标系，无法确定测量位置", "layer has no CRS", field="file")
    return name


def read_gpkg(upload: formats.Upload, max_rows: int = MAX_ROWS) -> FieldFile:
    frame = formats.read_features(upload, RECORDS_LAYER, max_rows, fid_as_index=True)
    campaign_id = None
    if CAMPAIGN_TABLE in formats.layers_of(upload):
        table = formats.read_features(upload, CAMPAIGN_TABLE, max_rows, read_geometry=False)
        if len(table) and "campaign_id" in table.columns:
            campaign_id = _integer(table["campaign_id"].iloc[0], upload)
    crs = _required_crs(frame) if len(frame) else STORAGE_CRS
    rows = []
    for fid, record in frame.iterrows():
        geom = record.geometry
        values = {k: _clean(v) for k, v in record.items() if k != "geometry"}
        rows.append(FieldRow(f"要素 fid={fid}", values, None if geom is None or geom.is_empty else geom, crs))
    return FieldFile("gpkg", rows, campaign_id)


def _integer(value: Any, upload: formats.Upload) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"文件“{upload.filename}”的 campaign 表中 campaign_id 不是整数", "bad campaign_id",
                           field="file") from None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def csv_rows(table: formats.Table) -> FieldFile:
    headers = {h.strip(): h for h in table.headers if h}
    mapping = {name: next((headers[a] for a in aliases if a in headers), None) for name, aliases in CSV_COLUMNS.items()}
    if mapping["marker_id"] is None and mapping["marker"] is None:
        raise InvalidInput("CSV 缺少界桩列（marker_id 或 界桩号）", "CSV needs a marker_id or marker column",
                           field="file")
    rows = []
    for number, raw in zip(table.numbers, table.rows, strict=True):
        values = {k: _clean(raw.get(col)) for k, col in mapping.items() if col}
        lon, lat = _number(values.pop("lon", None)), _number(values.pop("lat", None))
        e, n = _number(values.pop("easting", None)), _number(values.pop("northing", None))
        geom, crs = None, STORAGE_CRS
        if lon is not None and lat is not None:
            geom = Point(lon, lat)
        elif e is not None and n is not None:
            geom, crs = Point(e, n), (SURVEY_ZONE_CRS if e > 10_000_000 else METRIC_CRS)
        rows.append(FieldRow(f"第 {number} 行", values, geom, crs))
    return FieldFile("csv", rows)


def read_csv(data: bytes, filename: str = "成果.csv", max_rows: int = MAX_ROWS) -> FieldFile:
    """A results CSV given as bytes (UTF-8 or GB18030)."""
    with received(data, filename, ("csv",)) as upload:
        return csv_rows(formats.read_table(upload, max_rows))


def read_gpx(upload: formats.Upload, max_rows: int = MAX_ROWS) -> FieldFile:
    frame = formats.read_features(upload, WAYPOINTS_LAYER, max_rows, fid_as_index=True)
    crs = _required_crs(frame) if len(frame) else WGS84_CRS
    rows = []
    for fid, wpt in frame.iterrows():
        values = {"marker": _clean(wpt.get("name")), "measured_at": _clean(wpt.get("time")),
                  "condition": _clean(wpt.get("cmt")), "notes": _clean(wpt.get("desc"))}
        rows.append(FieldRow(f"航点 {fid + 1}", values, wpt.geometry, crs))  # the number only: no file text
    return FieldFile("gpx", rows)


def read_field_file(data: bytes | BinaryIO, filename: str, max_rows: int = MAX_ROWS,
                    max_bytes: int = formats.opening.DEFAULT_MAX_BYTES) -> FieldFile:
    """Read an uploaded field file; ``filename`` (as uploaded) declares the format, the content must match."""
    with received(data, filename, ACCEPTED, max_bytes) as upload:
        if upload.format.key == "csv":
            result = csv_rows(formats.read_table(upload, max_rows))
        else:
            result = (read_gpkg if upload.format.key == "gpkg" else read_gpx)(upload, max_rows)
    if not result.rows:
        raise InvalidInput(f"文件“{upload.filename}”中没有检查记录", "no records in the file", field="file")
    return result
