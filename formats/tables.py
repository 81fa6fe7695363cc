"""Reading tables (CSV in UTF-8 or GBK, XLSX) from a received upload, bounded in rows and cell size.

XLSX is read in one streaming pass by ``formats.xlsx_sheet`` (expat; a DTD or entity refused, as
defusedxml would). Where openpyxl still reads a workbook (formula cells) it parses through
``defusedxml``, which must be installed. The zip itself was bounded on receipt.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import defusedxml  # noqa: F401  (required: openpyxl parses XLSX through it only when it is installed)

from formats.errors import FileRefused
from formats.opening import Upload
from formats.reading import too_many, unreadable
from formats.xlsx_sheet import NoWorksheet, read_first_sheet

# The most characters one cell may hold: Excel's own limit (Microsoft, "Excel specifications and
# limits": 32,767 characters per cell); a longer field is no census value.
MAX_CELL_CHARS = 32_767
DEFAULT_MAX_ROWS = 20_000
MAX_HEADER_QUOTED = 40  # local parameter: a longer header is named by its column number in messages


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[dict[str, Any]]  # by header; blank rows left out
    numbers: list[int]  # the row number in the file (as a spreadsheet counts, header = 1) of each row
    encoding: str | None  # CSV: "utf-8" or "gbk"


def decode(upload: Upload, content: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), else GBK (read as its superset GB18030)."""
    for encoding, name in (("utf-8-sig", "utf-8"), ("gb18030", "gbk")):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text, name
    raise FileRefused(f"文件“{upload.filename}”的编码无法识别：CSV 应为 UTF-8 或 GBK 编码的文本",
                      f"{upload.filename}: not UTF-8 or GBK text")


def _column(headers: list[str], column: int) -> str:
    """How a message names a column: its header when that is short, else its number."""
    header = headers[column] if column < len(headers) else ""
    return f"“{header}”" if header and len(header) <= MAX_HEADER_QUOTED else f"第 {column + 1} 列"


def _check_cells(upload: Upload, number: int, values: list[Any], headers: list[str]) -> None:
    for column, value in enumerate(values):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise FileRefused(f"文件“{upload.filename}”第 {number} 行{_column(headers, column)}字段过长"
                              f"（上限 {MAX_CELL_CHARS} 字）",
                              f"{upload.filename}: row {number}, field {column + 1} longer than {MAX_CELL_CHARS}")


def _bounded(upload: Upload, rows: Iterable[tuple[int, list[Any]]], headers: list[str], max_rows: int,
             encoding: str | None) -> Table:
    _check_cells(upload, 1, headers, [])
    out: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, values in rows:
        _check_cells(upload, number, values, headers)
        if len(out) == max_rows:
            raise too_many(upload, max_rows)
        out.append(dict(zip(headers, values, strict=False)))
        numbers.append(number)
    return Table(headers, out, numbers, encoding)


def _csv_rows(upload: Upload, reader: Iterator[list[str]]) -> Iterator[tuple[int, list[Any]]]:
    number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field over the csv module's limit, a NUL …: name the line, not the text
            raise FileRefused(f"文件“{upload.filename}”第 {number + 1} 行无法读取（字段过长或含非法字符）",
                              f"{upload.filename}: line {number + 1} is not CSV") from None
        number += 1
        if any(v.strip() for v in values):
            yield number, values


def read_csv(upload: Upload, max_rows: int = DEFAULT_MAX_ROWS) -> Table:
    text, encoding = decode(upload, upload.path.read_bytes())
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:  # one column, or nothing to tell by: plain commas
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        headers = [h.strip() for h in next(reader, [])]
    except csv.Error:
        raise FileRefused(f"文件“{upload.filename}”第 1 行（表头）无法读取", f"{upload.filename}: bad header") from None
    if not any(headers):
        raise FileRefused(f"文件“{upload.filename}”没有表头或数据", f"{upload.filename}: no header")
    return _bounded(upload, _csv_rows(upload, reader), headers, max_rows, encoding)


def _xlsx_rows(rows: list[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    for number, values in enumerate(rows, start=2):
        if any(v not in (None, "") for v in values):
            yield number, values


def read_xlsx(upload: Upload, max_rows: int = DEFAULT_MAX_ROWS) -> Table:
    try:
        rows = read_first_sheet(upload.path, max_rows)
    except NoWorksheet:
        raise FileRefused(f"文件“{upload.filename}”中没有工作表", f"{upload.filename}: no worksheet") from None
    except Exception:  # a DTD or entity (Refused), a missing part, corrupt XML or zip, a value of the wrong kind
        raise unreadable(upload) from None
    headers = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
    if not any(headers):
        raise FileRefused(f"文件“{upload.filename}”第一个工作表没有表头", f"{upload.filename}: no header")
    return _bounded(upload, _xlsx_rows(rows[1:]), headers, max_rows, None)


def read_table(upload: Upload, max_rows: int = DEFAULT_MAX_ROWS) -> Table:
    """The first sheet of an XLSX or a CSV file; more than ``max_rows`` data rows are refused unread."""
    if upload.format.key == "xlsx":
        return read_xlsx(upload, max_rows)
    if upload.format.key == "csv":
        return read_csv(upload, max_rows)
    raise ValueError(f"{upload.format.label} is not a table format")
