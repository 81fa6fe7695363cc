"""The streaming XLSX reader gives what openpyxl gives (read-only, values only, cached values), faster,
and refuses what defusedxml refused."""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from formats.xlsx_sheet import Refused, read_first_sheet


def _openpyxl_rows(path: Path) -> list[list[object]]:
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _trimmed(rows: list[list[object]]) -> list[list[object]]:
    """Rows without trailing empty cells, and no trailing empty rows (openpyxl pads by the sheet's dimension)."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def _mixed(path: Path) -> Path:
    book = Workbook()  # not write-only: shared strings and styles, as Excel writes them
    sheet = book.active
    sheet.append(["名称", "日期", "数", "布尔", "公式", None, "时间"])
    sheet.append(["甲 & 乙", dt.date(2020, 1, 2), 1, True, "=1+2", None, dt.datetime(2021, 3, 4, 5, 6, 7)])
    sheet.append([])
    sheet.append(["乙", "2020/01/02", 1.5, False, None, "x", dt.time(3, 4)])
    sheet["C6"] = 210381199001011234
    sheet["H7"] = "宽"
    book.create_sheet("第二页")["A1"] = "不读"
    book.save(path)
    return path


def test_values_are_openpyxl_s(tmp_path):
    path = _mixed(tmp_path / "mixed.xlsx")
    rows = read_first_sheet(path, 100)
    assert _trimmed(rows) == _trimmed(_openpyxl_rows(path))
    assert rows[1][:4] == ["甲 & 乙", dt.datetime(2020, 1, 2), 1, True]
    assert rows[2] == [None] * 8  # the blank row is kept: row numbers are the sheet's
    assert rows[5][2] == 2.103811990010112e17 and rows[6][7] == "宽"  # a spreadsheet number: 15 digits


def _edited(path: Path, target: Path, sheet: tuple[bytes, bytes], parts: dict[str, bytes] | None = None) -> Path:
    """``path`` with one replacement in its first sheet's XML and ``parts`` added."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert sheet[0] in data
                data = data.replace(*sheet)
            out.writestr(item, data)
        for name, data in (parts or {}).items():
            out.writestr(name, data)
    return target


def test_a_cached_formula_value(tmp_path):
    path = _edited(_mixed(tmp_path / "plain.xlsx"), tmp_path / "edited.xlsx",
                   (b"<f>1+2</f><v></v>", b"<f>1+2</f><v>3</v>"))
    assert read_first_sheet(path, 100)[1][4] == 3


def test_shared_strings_without_their_phonetic_reading(tmp_path):
    """Excel keeps texts in sharedStrings.xml; the reading (rPh) of East Asian text is not part of it."""
    shared = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
              '<si><r><t>海</t></r><r><t>城</t></r><rPh sb="0" eb="1"><t>hai</t></rPh></si></sst>').encode()
    path = _edited(_mixed(tmp_path / "plain.xlsx"), tmp_path / "shared.xlsx",
                   (b'<c r="F4" t="inlineStr"><is><t>x</t></is></c>', b'<c r="F4" t="s"><v>0</v></c>'),
                   {"xl/sharedStrings.xml": shared})
    assert read_first_sheet(path, 100)[3][5] == "海城"


def test_a_dtd_is_refused(tmp_path):
    bomb = _edited(_mixed(tmp_path / "mixed.xlsx"), tmp_path / "bomb.xlsx",
                   (b"<worksheet ", b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">]><worksheet '))
    with pytest.raises(Refused):
        read_first_sheet(bomb, 100)


def test_reading_stops_after_one_row_too_many(tmp_path):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for i in range(50):
        sheet.append([f"r{i}"])
    book.save(tmp_path / "long.xlsx")
    assert len(read_first_sheet(tmp_path / "long.xlsx", 10)) == 12  # header, 10 rows and one more


def test_ten_thousand_rows_read_faster_than_openpyxl(tmp_path):
    """The issue's bench: openpyxl (through defusedxml) was most of the import's time."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["户主姓名", "身份证号码", "经度", "纬度"])
    for i in range(10_000):
        sheet.append([f"户主{i}", f"21038119900101{i:04d}", 122.7 + i / 1e6, 40.8])
    path = tmp_path / "rows.xlsx"
    book.save(path)
    start = time.perf_counter()
    rows = read_first_sheet(path, 20_000)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs_rows = _openpyxl_rows(path)
    theirs = time.perf_counter() - start
    assert rows == theirs_rows
    assert ours < theirs / 2, (ours, theirs)
