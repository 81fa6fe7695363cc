"""Coverage tables as XLSX (one sheet per table), cells escaped against formula injection."""

from __future__ import annotations

import io
from typing import Any

from formats.sheets import safe_cell

COVERAGE_COLUMNS = [("code", "区划代码"), ("name", "名称"), ("households", "困难群众户数"), ("covered", "已覆盖"),
                    ("uncovered", "未覆盖"), ("rate", "覆盖率"), ("suppressed", "小于5户不显示"),
                    ("villages_suppressed", "有未公布数字的村数（合计只含公布的数）")]


def workbook(sheets: list[tuple[str, list[tuple[str, str]], list[dict[str, Any]]]],
             notes: list[str] | None = None) -> bytes:
    """``sheets``: (title, [(key, Chinese header)], rows); ``notes`` go to a last sheet 说明."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([label for _, label in columns])
        for row in rows:
            sheet.append([safe_cell(row.get(key)) for key, _ in columns])
    if notes:
        sheet = book.create_sheet(title="说明")
        for note in notes:
            sheet.append([safe_cell(note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
