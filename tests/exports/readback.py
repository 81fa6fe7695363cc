"""Reading an exported file back as the import pipeline would: by field names (second header row, key)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyogrio
from openpyxl import load_workbook

from formats.vectors import column_titles

SUFFIX = {"gpkg": "gpkg", "geojson": "geojson"}
KML = "{http://www.opengis.net/kml/2.2}"


def _read_kml(content: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """Placemarks' ``<Data>`` values (texts) and labels; ``name`` the placemark's name, ``geometry`` its
    first coordinates (GDAL's KML driver reads no ExtendedData).
    """
    root = ElementTree.fromstring(content)
    labels: list[str] = []
    rows = []
    for placemark in root.iter(f"{KML}Placemark"):
        row: dict[str, Any] = {"__name": placemark.findtext(f"{KML}name")}
        labels = []
        for data in placemark.iter(f"{KML}Data"):
            row[data.get("name")] = data.findtext(f"{KML}value") or None
            labels.append(data.findtext(f"{KML}displayName"))
        row["geometry"] = next(placemark.iter(f"{KML}coordinates")).text
        rows.append(row)
    return labels, rows


def read_back(format: str, content: bytes, encoding: str = "utf-8") -> tuple[list[str], list[dict[str, Any]]]:
    """(labels, rows by field name) of an exported file; GIS formats add ``geometry`` (shapely).
    Spreadsheets' derived columns have no field name: their rows give them by label.
    """
    if format == "csv":
        text = content.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        labels, names, *rows = list(csv.reader(io.StringIO(text)))
        keys = [n or label for n, label in zip(names, labels, strict=True)]
        return labels, [dict(zip(keys, row, strict=True)) for row in rows]
    if format == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        labels, names, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        keys = [n or label for n, label in zip(names, labels, strict=True)]
        return labels, [dict(zip(keys, row, strict=True)) for row in rows]
    if format == "kml":
        return _read_kml(content)
    with tempfile.TemporaryDirectory() as folder:
        if format == "shp":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                archive.extractall(folder)
                key = list(csv.reader(io.StringIO(archive.read("字段说明.csv").decode("utf-8-sig"))))[1:]
            path = next(Path(folder).glob("*.shp"))
            frame = pyogrio.read_dataframe(path, layer=0)
            renamed = {short: name for short, name, _ in key}
            labels = [label for _, _, label in key]
            frame = frame.rename(columns=renamed)
        else:
            path = Path(folder) / f"export.{SUFFIX[format]}"
            path.write_bytes(content)
            frame = pyogrio.read_dataframe(path, layer=0)
            labels = []
            if format == "geojson":
                labels = [f["label"] for f in json.loads(content)["fields"]]
            elif format == "gpkg":
                assert len(pyogrio.list_layers(path)) == 1  # an import takes a GeoPackage of one layer
                titles = column_titles(content)
                labels = [titles[c] for c in frame.columns if c != "geometry"]
    rows = [{k: (None if v != v else v) for k, v in row.items()} for row in frame.to_dict("records")]
    return labels, rows
