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
# what Excel calls a column's width: characters of its default font; CJK characters take two.
# Local parameters (no standard sets them): narrow columns stay clickable, long texts wrap past 60.
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


def to_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]], encoding: str = "utf-8",
           field_names: bool = True) -> bytes:
    """CSV with the label row and (``field_names``) the field-name row; ``utf-8`` gets a BOM (Excel then
    reads Chinese right), ``gbk`` is for old desktop tools. A text GBK cannot hold is refused, naming its row.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    head = line(c.label for c in columns) + (line(c.key for c in columns) if field_names else "")
    out = [("\ufeff" if encoding == "utf-8" else "") + head]
    out += [line(_text(v) for v in row) for row in rows]
    for number, text in enumerate(out):
        try:
            text.encode(encoding)
        except UnicodeEncodeError:
            raise FileRefused(f"第 {number} 行有 {encoding.upper()} 编码无法表示的字符，请改用 UTF-8 导出",
                              f"row {number} cannot be encoded as {encoding}") from None
    return "".join(out).encode(encoding)


def _width(value: Any) -> int:
    text = _text(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its title, columns and rows; ``field_names`` adds the second header row."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    field_names: bool = True


def workbook(sheets: Sequence[Sheet], notes: Sequence[str] = ()) -> bytes:
    """XLSX: per sheet the labels, then (``field_names``) the field names, both frozen, then the rows;
    column widths fitted to the content (between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`); ``notes`` go
    to a last sheet 说明. Written in openpyxl's write-only mode (a third of the memory and time).
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    if notes:
        key = book.create_sheet(title="说明")
        key.column_dimensions["A"].width = MAX_WIDTH * 2
        for note in notes:
            key.append([safe_cell(note)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(book: Any, spec: Sheet) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = [[safe_cell(v) for v in row] for row in spec.rows]
    heads = [[c.label for c in spec.columns]] + ([[c.key for c in spec.columns]] if spec.field_names else [])
    widths = [max(_width(v) for v in column) for column in zip(*heads, strict=True)]
    for row in rows:
        widths = [max(w, _width(v)) for w, v in zip(widths, row, strict=True)]
    sheet = book.create_sheet(title=spec.title[:31])
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = f"A{len(heads) + 1}"
    for head, font in zip(heads, (Font(bold=True), Font(italic=True, color="808080")), strict=False):
        cells = [WriteOnlyCell(sheet, value=v) for v in head]
        for cell in cells:
            cell.font = font
        sheet.append(cells)
    for row in rows:
        sheet.append(row)


def to_xlsx(title: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
            notes: Sequence[str] = ()) -> bytes:
    """One sheet with both header rows (see :func:`workbook`)."""
    return workbook([Sheet(title, columns, rows)], notes)
