"""Writing features as CSV and XLSX for people who work in spreadsheets.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``) are
prefixed with an apostrophe (formula injection).

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-12"), safe_cell("海城"), safe_cell(3)
("'=HYPERLINK(1)", "'-12", '海城', 3)
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from shapely.geometry import shape

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def feature_rows(collection: dict[str, Any], columns: list[tuple[str, str]]) -> tuple[list[str], list[list[Any]]]:
    """Header (Chinese labels) and rows; the geometry as WKT (lon/lat, CGCS2000) in the last column."""
    header = [label for _, label in columns] + ["几何（WKT，CGCS2000 经纬度）"]
    rows = []
    for feature in collection["features"]:
        props = feature["properties"]
        geometry = feature.get("geometry")
        wkt = shape(geometry).wkt if geometry else ""
        rows.append([safe_cell(props.get(name)) for name, _ in columns] + [wkt])
    return header, rows


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def to_xlsx(header: list[str], rows: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
