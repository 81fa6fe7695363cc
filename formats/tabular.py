"""Writing plain tables (a header row of labels) as CSV and XLSX: the 地名录 and the graves list.
Both are ``formats.sheets`` with one header row (layer exports, ``layers.exports``, add a second one of
field names); cells are escaped against formula injection there (:func:`formats.sheets.safe_cell`).

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-12"), safe_cell("海城"), safe_cell(3)
("'=HYPERLINK(1)", "'-12", '海城', 3)
"""

from __future__ import annotations

from typing import Any

from formats import sheets
from formats.sheets import Column, Sheet, safe_cell

__all__ = ["safe_cell", "to_csv", "to_xlsx"]


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese right), one header row."""
    return sheets.to_csv([Column("", label) for label in header], rows, field_names=False)


def to_xlsx(header: list[str], rows: list[list[Any]], title: str) -> bytes:
    """One sheet, one frozen header row, fitted widths."""
    return sheets.workbook([Sheet(title, [Column("", label) for label in header], rows, field_names=False)])
