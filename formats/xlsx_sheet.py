"""The first worksheet of an XLSX file as rows of values, read in one streaming pass with expat.

openpyxl in read-only mode parses through defusedxml, whose parser is ElementTree's pure-Python one:
30,000 rows of 7 cells took 8–11 s (issue 15's import bench). Here the C parser calls back per element,
≈ 10× faster; values come out as openpyxl gives them with ``values_only=True, data_only=True`` (numbers
as int or float, dates of date-formatted cells as datetimes, a formula's cached value), converted by
openpyxl's own helpers. As with defusedxml, a part with a DTD or an entity declaration is refused
(:class:`Refused`): no entity bombs, no external entities.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

WORKSHEET_TYPE = "/worksheet"  # the end of a worksheet relationship's type (chartsheets are not tables)


class Refused(Exception):
    """A part that is not plain spreadsheet XML (a DTD, an entity) or that names a missing part."""


class NoWorksheet(Refused):
    """A workbook without a worksheet."""


class TooManyRows(Exception):
    """More rows than asked for: reading stopped there."""


def _local(name: str) -> str:
    """``x:c`` → ``c`` (parts are parsed without namespace processing; Excel writes no prefixes)."""
    return name[name.index(":") + 1:] if ":" in name else name


def _parse(source: Any, start: Callable[[str, dict[str, str]], None] | None = None,
           end: Callable[[str], None] | None = None, text: Callable[[str], None] | None = None,
           qualified: bool = False) -> None:
    """Parse a part; handlers get element names without their prefix (``x:c`` and ``c`` alike), or as
    written when ``qualified`` (the sheet's handlers strip it themselves: one call less per cell).
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*_: Any) -> NoReturn:
        raise Refused("DTD or entity in an XLSX part")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    if start:
        parser.StartElementHandler = start if qualified else lambda name, attrs: start(_local(name), attrs)
    if end:
        parser.EndElementHandler = end if qualified else lambda name: end(_local(name))
    if text:
        parser.CharacterDataHandler = text
    try:
        if isinstance(source, bytes):
            parser.Parse(source, True)
        else:
            parser.ParseFile(source)
    except expat.ExpatError as exc:
        raise Refused(str(exc)) from None


def _attr(attrs: dict[str, str], name: str) -> str | None:
    """An attribute by local name (``r:id`` by ``id``)."""
    for key, value in attrs.items():
        if _local(key) == name:
            return value
    return None


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, Any]:
    """The first worksheet's part name and the workbook's date epoch."""
    sheets: list[str] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def on_workbook(name: str, attrs: dict[str, str]) -> None:
        if name == "sheet":
            sheets.append(_attr(attrs, "id") or "")
        elif name == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    _parse(archive.read("xl/workbook.xml"), on_workbook)
    targets: dict[str, str] = {}

    def on_rels(name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and attrs.get("Type", "").endswith(WORKSHEET_TYPE):
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    _parse(archive.read("xl/_rels/workbook.xml.rels"), on_rels)
    for rid in sheets:
        if rid in targets:
            target = targets[rid]
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            return part, epoch[0]
    raise NoWorksheet("no worksheet")


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    parts: list[str] = []
    state = {"in_t": False, "phonetic": 0}

    def start(name: str, _attrs: dict[str, str]) -> None:
        if name == "si":
            parts.clear()
        elif name == "rPh":  # the reading of East Asian text, not part of it
            state["phonetic"] += 1
        elif name == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(name: str) -> None:
        if name == "si":
            strings.append("".join(parts))
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "t":
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"]:
            parts.append(data)

    with archive.open("xl/sharedStrings.xml") as part:
        _parse(part, start, end, text)
    return strings


def _date_styles(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """The cell styles (indexes of ``cellXfs``) that format dates, and those of them that are durations."""
    if "xl/styles.xml" not in archive.namelist():
        return set(), set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = {"cellXfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            inside["cellXfs"] = True
        elif name == "xf" and inside["cellXfs"]:
            formats.append(int(attrs.get("numFmtId", "0")))

    def end(name: str) -> None:
        if name == "cellXfs":
            inside["cellXfs"] = False

    _parse(archive.read("xl/styles.xml"), start, end)
    dates, durations = set(), set()
    for style, number_format in enumerate(formats):
        code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
        if is_date_format(code):
            dates.add(style)
            if is_timedelta_format(code):
                durations.add(style)
    return dates, durations


def _column(reference: str) -> int:
    """``"AB12"`` → 27 (zero-based)."""
    number = 0
    for char in reference:
        if not char.isalpha():
            break
        number = number * 26 + ord(char.upper()) - 64
    return number - 1


class _SheetReader:
    """Collects the cells of a sheet part, row by row (gaps in row numbers and columns stay empty)."""

    def __init__(self, shared: list[str], dates: set[int], durations: set[int], epoch: Any, max_rows: int):
        self.shared, self.dates, self.durations, self.epoch = shared, dates, durations, epoch
        self.max_rows = max_rows
        self.rows: dict[int, dict[int, Any]] = {}
        self.filled = 0  # rows with a value
        self.row = 0
        self.column = -1
        self.cell: dict[str, Any] = {}
        self.text: list[str] | None = None
        self.phonetic = 0
        self.columns: dict[str, int] = {}  # column letters → index

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:
            name = name[name.index(":") + 1:]
        if name == "c":
            reference = attrs.get("r")
            self.column = self._column(reference) if reference else self.column + 1
            self.cell = {"t": attrs.get("t", "n"), "s": int(attrs.get("s", "0") or 0), "v": None}
        elif name == "row":
            self.row = int(attrs["r"]) if attrs.get("r") else self.row + 1
            self.column = -1
            if self.filled >= self.max_rows:
                raise TooManyRows
            self.rows[self.row] = {}
        elif name == "rPh":
            self.phonetic += 1
        elif (name == "v" or (name == "t" and self.cell.get("t") == "inlineStr")) and not self.phonetic:
            self.text = []

    def end(self, name: str) -> None:
        if ":" in name:
            name = name[name.index(":") + 1:]
        if name in ("v", "t") and self.text is not None:
            self.cell["v"] = (self.cell["v"] or "") + "".join(self.text)
            self.text = None
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row" and self.rows.get(self.row):
            self.filled += 1
        elif name == "c":
            value = self._value(self.cell["t"], self.cell["v"], self.cell["s"])
            if value is not None:
                self.rows.setdefault(self.row, {})[self.column] = value

    def _column(self, reference: str) -> int:
        letters = reference.rstrip("0123456789")
        column = self.columns.get(letters)
        if column is None:
            column = self.columns[letters] = _column(letters)
        return column

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def _value(self, kind: str, raw: str | None, style: int) -> Any:
        if raw is None:
            return None
        if kind == "s":
            return self.shared[int(raw)]
        if kind in ("str", "inlineStr", "e"):
            return raw
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        if raw == "":
            return None
        number: int | float = float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
        if style in self.dates:
            try:
                return from_excel(number, self.epoch, timedelta=style in self.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"  # as openpyxl gives a date cell out of range
        return number


def read_first_sheet(path: Path, max_rows: int) -> list[list[Any]]:
    """Every row of the first worksheet from row 1 (blank rows as empty lists), each padded with None to
    the widest row. Stops after the header and ``max_rows + 1`` more rows (the caller refuses the file).
    Raises :class:`Refused`, ``zipfile.BadZipFile``, ``KeyError`` (a missing part), ``ValueError``.
    """
    with zipfile.ZipFile(path) as archive:
        sheet, epoch = _first_sheet(archive)
        dates, durations = _date_styles(archive)
        # the header, max_rows rows and one more: enough for the caller to refuse a file over the limit
        reader = _SheetReader(_shared_strings(archive), dates, durations, epoch, max_rows + 2)
        try:
            with archive.open(sheet) as part:
                _parse(part, reader.start, reader.end, reader.characters, qualified=True)
        except TooManyRows:
            pass
    if not reader.rows:
        return []
    width = 1 + max((max(cells, default=-1) for cells in reader.rows.values()), default=-1)
    return [[reader.rows.get(number, {}).get(column) for column in range(width)]
            for number in range(1, max(reader.rows) + 1)]
