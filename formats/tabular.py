"""Writing plain tables (a header row of labels) as CSV and XLSX: the 地名录 and the graves list.
Layer exports are written by ``layers.exports``; cells are escaped with :func:`formats.sheets.safe_cell`
(formula injection), which callers apply.

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-12"), safe_cell("海城"), safe_cell(3)
("'=HYPERLINK(1)", "'-12", '海城', 3)
"""

from __future__ import annotations

import csv
import io
from typing import Any

from formats.sheets import safe_cell

__all__ = ["safe_cell", "to_csv", "to_xlsx"]

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
