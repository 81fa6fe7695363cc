"""Reading field results (an edited GeoPackage, a CSV table or GPX waypoints) into plain rows.

Dispatches on the suffix. Each row is a :class:`FieldRow`: raw values as the file has them and the
position with the CRS it was written in. Checking and matching the rows to markers is the domain's
job (``layers.inspections.results``); this module only reads files.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from importers.gpkg import list_layers, read_layer, unreadable
from importers.gpx import read_waypoints
from layers.errors import InvalidInput

RECORDS_LAYER = "inspection_records"
CAMPAIGN_TABLE = "campaign"
SUFFIXES = (".gpkg", ".csv", ".gpx")
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
    crs: str = "EPSG:4490"


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


def _crs_name(frame: Any) -> str:
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    if epsg is None:
        raise InvalidInput("文件中的图层没有坐标系，无法确定测量位置", "layer has no CRS", field="file")
    return f"EPSG:{epsg}"


def read_gpkg(path: Path) -> FieldFile:
    frame = read_layer(path, RECORDS_LAYER)
    campaign_id = None
    if CAMPAIGN_TABLE in list_layers(path):
        table = read_layer(path, CAMPAIGN_TABLE, read_geometry=False)
        if len(table) and "campaign_id" in table.columns:
            campaign_id = int(table["campaign_id"].iloc[0])
    crs = _crs_name(frame) if len(frame) else "EPSG:4490"
    rows = []
    for fid, record in frame.iterrows():
        geom = record.geometry
        values = {k: _clean(v) for k, v in record.items() if k != "geometry"}
        rows.append(FieldRow(f"要素 fid={fid}", values, None if geom is None or geom.is_empty else geom, crs))
    return FieldFile("gpkg", rows, campaign_id)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("CSV 文件编码无法识别（应为 UTF-8 或 GB18030）", "CSV encoding not UTF-8 or GB18030",
                       field="file")


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def read_csv(data: bytes) -> FieldFile:
    text = _decode(data)
    reader = csv.DictReader(io.StringIO(text))
    headers = {h.strip(): h for h in reader.fieldnames or [] if h}
    mapping = {name: next((headers[a] for a in aliases if a in headers), None) for name, aliases in CSV_COLUMNS.items()}
    if mapping["marker_id"] is None and mapping["marker"] is None:
        raise InvalidInput("CSV 缺少界桩列（marker_id 或 界桩号）", "CSV needs a marker_id or marker column",
                           field="file")
    rows = []
    for i, raw in enumerate(reader, start=2):
        values = {k: _clean(raw.get(col)) for k, col in mapping.items() if col}
        lon, lat = _number(values.pop("lon", None)), _number(values.pop("lat", None))
        e, n = _number(values.pop("easting", None)), _number(values.pop("northing", None))
        geom, crs = None, "EPSG:4490"
        if lon is not None and lat is not None:
            geom = Point(lon, lat)
        elif e is not None and n is not None:
            geom, crs = Point(e, n), ("EPSG:4529" if e > 10_000_000 else "EPSG:4550")
        rows.append(FieldRow(f"第 {i} 行", values, geom, crs))
    return FieldFile("csv", rows)


def read_gpx(path: Path) -> FieldFile:
    frame = read_waypoints(path)
    rows = []
    for fid, wpt in frame.iterrows():
        values = {"marker": _clean(wpt.get("name")), "measured_at": _clean(wpt.get("time")),
                  "condition": _clean(wpt.get("cmt")), "notes": _clean(wpt.get("desc"))}
        rows.append(FieldRow(f"航点 {fid + 1}（{values['marker'] or '无名称'}）", values, wpt.geometry,
                             _crs_name(frame)))
    return FieldFile("gpx", rows)


def read_field_file(path: Path, filename: str) -> FieldFile:
    """Read an uploaded field file saved at ``path``; ``filename`` (as uploaded) picks the format."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"不支持的文件类型“{suffix or filename}”：请上传 .gpkg、.csv 或 .gpx",
                           f"unsupported file type {suffix!r}", field="file")
    if suffix == ".csv":
        return read_csv(path.read_bytes())
    try:
        return read_gpkg(path) if suffix == ".gpkg" else read_gpx(path)
    except InvalidInput:
        raise
    except Exception as exc:  # GDAL and pandas raise many types for damaged files
        raise unreadable(filename, type(exc).__name__) from None
