r"""Writing tables for spreadsheets: CSV (UTF-8 with BOM, or GBK) and XLSX.

Both carry two header rows: the Chinese labels people read, then the field names a program (and
the import pipeline) reads back — empty over derived columns, which are for reading only. Cells
that a spreadsheet would run as a formula are escaped
(formula injection, OWASP "CSV Injection"): a text starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return gets an apostrophe in front.

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-12"), safe_cell("\tx"), safe_cell("海城"), safe_cell(-3)
("'=HYPERLINK(1)", "'-12", "'\tx", '海城', -3)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from formats.errors import FileRefused

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# what Excel calls a column's width: characters of its default font; CJK characters take two
MIN_WIDTH, MAX_WIDTH = 6, 60


@dataclass(frozen=True)
class Column:
    """One column of a written table: the field name (second header row) and its Chinese label.
    A ``derived`` column (a name beside a code, an area) is for reading only: its field-name cell stays
    empty in spreadsheets, so that a program reading them back takes the second row for field names.
    """

    name: str
    label: str
    derived: bool = False

    @property
    def key(self) -> str:
        """What the second header row of a spreadsheet says."""
        return "" if self.derived else self.name


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet may hold it: texts that would run as a formula escaped."""
    if isinstance(value, (list, dict)):  # no cell type for these: their JSON text
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(safe_cell(value))


def to_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]], encoding: str = "utf-8") -> bytes:
    """CSV with the label row and the field-name row; ``utf-8`` gets a BOM (Excel then reads Chinese
    right), ``gbk`` is for old desktop tools. A text GBK cannot hold is refused, naming row and column.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_text(v) for v in row])
    body = buffer.getvalue()
    if encoding == "utf-8":
        return ("\ufeff" + body).encode("utf-8")
    try:
        return body.encode(encoding)
    except UnicodeEncodeError as exc:
        line = body.count("\n", 0, exc.start) + 1
        raise FileRefused(f"第 {line - 2} 行有 {encoding.upper()} 编码无法表示的字符，请改用 UTF-8 导出",
                          f"row {line - 2} cannot be encoded as {encoding}") from None


def _width(value: Any) -> int:
    text = _text(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def to_xlsx(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
            notes: Sequence[str] = ()) -> bytes:
    """One sheet: labels, then field names (both frozen), then the rows; column widths fitted to the
    content (between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`); ``notes`` go to a second sheet 说明.
    Written in openpyxl's write-only mode (a third of the memory and time of the normal one).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = [[safe_cell(v) for v in row] for row in rows]
    widths = [max(_width(c.label), _width(c.key)) for c in columns]
    for row in rows:
        widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=True)]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = "A3"

    def styled(values: list[str], font: Font) -> list[WriteOnlyCell]:
        cells = [WriteOnlyCell(sheet, value=v) for v in values]
        for cell in cells:
            cell.font = font
        return cells

    sheet.append(styled([c.label for c in columns], Font(bold=True)))
    sheet.append(styled([c.key for c in columns], Font(italic=True, color="808080")))
    for row in rows:
        sheet.append(row)
    if notes:
        key = book.create_sheet(title="说明")
        key.column_dimensions["A"].width = MAX_WIDTH * 2
        for note in notes:
            key.append([safe_cell(note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
