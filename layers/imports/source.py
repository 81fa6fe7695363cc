"""The rows of a received file, whatever its format: values by header, the geometry the file gives
(in its own coordinate system), and what was found about the file (format, encoding, CRS).

Every file is received and opened by ``formats`` (allow-list, content check, private folder, GDAL
lock-down); tables (CSV, XLSX) are read by ``formats.read_table``, the rest by GDAL.
"""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import formats
from formats.archives import shapefile_field_names
from formats.kml import extended_data
from formats.reading import crs_name

ACCEPTED = ("shapefile", "gpkg", "geojson", "kml", "gpx", "csv", "xlsx")
TABLES = ("csv", "xlsx")
# GPX keeps every point of a track or route a second time in *_points layers: import the features
GPX_POINT_LAYERS = ("route_points", "track_points")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gbk": "GBK/GB18030"}


@dataclass
class SourceRow:
    number: int  # as the user finds it: the spreadsheet row (header = 1), or the feature's number
    values: dict[str, Any]
    geometry: Any = None  # a shapely geometry from the file, in ``SourceFile.crs``


@dataclass
class SourceFile:
    format: str
    headers: list[str]
    rows: list[SourceRow]
    crs: str | None = None  # the file's own coordinate system, if it has one
    encoding: str | None = None  # as reported (Chinese), None where the format fixes it
    formula_cells: dict[int, list[str]] = field(default_factory=dict)  # XLSX row → headers holding formulas


def _plain(value: Any) -> Any:
    """Pandas' missing values and timestamps as plain Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "to_pydatetime"):
        return None if str(value) == "NaT" else value.to_pydatetime()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _vector_layer(upload: formats.Upload, max_rows: int) -> tuple[str | None, Any]:
    """The one layer with features, and its frame when it had to be read to tell (GPX, KML: no cheap count)."""
    counts = {k: v for k, v in formats.layers_of(upload).items()
              if not (upload.format.key == "gpx" and k in GPX_POINT_LAYERS)}
    filled = [name for name, count in counts.items() if count > 0]
    frames: dict[str, Any] = {}
    for name in [n for n, count in counts.items() if count < 0]:  # −1: the driver cannot count cheaply
        frame = formats.read_features(upload, name, max_rows=max_rows)
        if len(frame):
            filled.append(name)
            frames[name] = frame
    if len(filled) > 1:
        raise formats.FileRefused(f"文件“{upload.filename}”含 {len(filled)} 个有要素的图层：请每次导入一个图层",
                                  f"{upload.filename}: {len(filled)} layers with features")
    layer = filled[0] if filled else next(iter(counts), None)
    return layer, frames.get(layer or "")


def dbf_encoding(upload: formats.Upload) -> tuple[str | None, str]:
    """The encoding to read a Shapefile's .dbf with (None: its .cpg says) and how it is reported.

    Old desktop tools write GBK without a .cpg; GDAL would then read it as Latin-1 (mojibake), so the
    records are tried as UTF-8 first and read as GB18030 (GBK's superset) when they are not.
    """
    cpg = upload.path.with_suffix(".cpg")
    if cpg.exists():
        declared = cpg.read_text("ascii", errors="replace").strip() or "?"
        return None, f"{declared}（.cpg 注明）"
    dbf = upload.path.with_suffix(".dbf")
    if not dbf.exists():
        return None, "无属性表"
    data = dbf.read_bytes()
    header_size = int.from_bytes(data[8:10], "little") if len(data) >= 10 else 0
    records = data[header_size:]
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030", "GBK/GB18030（无 .cpg，按内容判断）"
    return "UTF-8", "UTF-8（无 .cpg，按内容判断）"


def _read_vector(upload: formats.Upload, max_rows: int) -> SourceFile:
    options: dict[str, Any] = {}
    encoding = "UTF-8"
    if upload.format.key == "shapefile":
        gdal_encoding, encoding = dbf_encoding(upload)
        if gdal_encoding:
            options["encoding"] = gdal_encoding
    layer, frame = _vector_layer(upload, max_rows)
    if frame is None:
        frame = formats.read_features(upload, layer, max_rows=max_rows, **options)
    if upload.format.key == "shapefile":  # our export's key undoes dBASE's 10-character names
        frame = frame.rename(columns=shapefile_field_names(upload.path))
    if upload.format.key == "kml":  # GDAL's KML driver reads the names only, not the fields
        frame = _with_extended_data(frame, extended_data(upload.path))
    columns = [c for c in frame.columns if c != "geometry"]
    crs = crs_name(frame.crs) if "geometry" in frame else None
    geometries = list(frame.geometry) if "geometry" in frame else [None] * len(frame)
    rows = [SourceRow(i + 1, {c: _plain(v) for c, v in zip(columns, values, strict=True)}, geometries[i])
            for i, values in enumerate(frame[columns].itertuples(index=False, name=None))]
    return SourceFile(upload.format.label, [str(c) for c in columns], rows, crs, encoding)


def _with_extended_data(frame: Any, data: list[dict[str, str]]) -> Any:
    """``frame`` with each placemark's ExtendedData fields as columns (placemarks in document order, as
    GDAL reads them); GDAL's Name/Description columns go when a field repeats them or they are empty.
    """
    names = list(dict.fromkeys(n for fields in data for n in fields))
    if not names or len(data) != len(frame):
        return frame
    frame = frame.copy()
    for gdal_column in ("Name", "Description"):
        if gdal_column not in frame:
            continue
        empty = not frame[gdal_column].fillna("").astype(str).str.strip().astype(bool).any()
        if empty or gdal_column.lower() in names:
            frame = frame.drop(columns=gdal_column)
    for name in names:
        frame[name] = [fields.get(name) for fields in data]
    return frame


_FORMULA = re.compile(rb"<f[ >/]")


def formula_cells(upload: formats.Upload, headers: list[str]) -> dict[int, list[str]]:
    """Cells of the first sheet that hold a formula: row → headers. A formula is not data (its value
    depends on the workbook, and exported again it would run): such cells are reported, never imported.
    A quick look at the sheet's XML first; only a sheet with formulas is read a second time.
    """
    from openpyxl import load_workbook

    with zipfile.ZipFile(upload.path) as archive:
        sheets = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
        if not any(_FORMULA.search(archive.read(name)) for name in sheets[:1]):
            return {}
    book = load_workbook(upload.path, read_only=True, data_only=False)
    try:
        found: dict[int, list[str]] = {}
        for number, values in enumerate(book.worksheets[0].iter_rows(min_row=2, values_only=True), start=2):
            for column, value in enumerate(values):
                if isinstance(value, str) and value.startswith("="):
                    header = headers[column] if column < len(headers) and headers[column] else f"第 {column + 1} 列"
                    found.setdefault(number, []).append(header)
        return found
    finally:
        book.close()


def read_source(upload: formats.Upload, max_rows: int) -> SourceFile:
    """The rows of ``upload``; refusals are :class:`formats.FileRefused`."""
    if upload.format.key in TABLES:
        table = formats.read_table(upload, max_rows)
        rows = [SourceRow(n, values) for n, values in zip(table.numbers, table.rows, strict=True)]
        encoding = None
        if table.encoding:
            bom = upload.path.read_bytes()[:3] == b"\xef\xbb\xbf"
            encoding = ENCODING_NAMES["utf-8-sig" if bom else table.encoding]
        formulas = formula_cells(upload, table.headers) if upload.format.key == "xlsx" else {}
        return SourceFile(upload.format.label, table.headers, rows, None, encoding, formulas)
    return _read_vector(upload, max_rows)
