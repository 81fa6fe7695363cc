"""Coverage tables as XLSX (one sheet per table: frozen header, fitted widths, cells escaped against
formula injection, as every spreadsheet of the service: ``formats.sheets``).
"""

from __future__ import annotations

from typing import Any

from formats.sheets import Column, Sheet
from formats.sheets import workbook as sheets_workbook

COVERAGE_COLUMNS = [("code", "区划代码"), ("name", "名称"), ("households", "困难群众户数"), ("covered", "已覆盖"),
                    ("uncovered", "未覆盖"), ("rate", "覆盖率"), ("suppressed", "小于5户不显示"),
                    ("villages_suppressed", "有未公布数字的村数（合计只含公布的数）")]


def workbook(sheets: list[tuple[str, list[tuple[str, str]], list[dict[str, Any]]]],
             notes: list[str] | None = None) -> bytes:
    """``sheets``: (title, [(key, Chinese header)], rows); ``notes`` go to a last sheet 说明."""
    return sheets_workbook([Sheet(title, [Column(key, label) for key, label in columns],
                                  [[row.get(key) for key, _ in columns] for row in rows], field_names=False)
                            for title, columns, rows in sheets], notes or ())
