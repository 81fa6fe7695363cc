"""SRIDs are named once (``formats/srids.py``): a bare 4490 or 4550 in the code is a test failure.

A number literal counts, and so does one inside a string (SQL text, ``"EPSG:4490"`` handed to
pyproj). Docstrings and comments are left alone, and so is a code written after ``EPSG:`` in any
other string (the texts users read say "EPSG:4550"). Migrations are history and stay as written.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("formats", "layers", "importers", "gis_server", "web_map", "tools", "scripts", "bench")
CONSTANTS = "formats/srids.py"
MIGRATIONS = "gis_server/migrations/versions/"
SRIDS = {4490, 4550}
IN_TEXT = re.compile(r"(?<![\w.])(?<!EPSG:)(?:4490|4550)(?![\w.])")
AS_NAME = re.compile(r"EPSG:(?:4490|4550)")  # a string that is only the name is a value (pyproj's CRS argument)


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that stand alone as statements (docstrings)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def bare_srids(source: str) -> list[int]:
    """Line numbers where a bare 4490 or 4550 stands in ``source``."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in skip:
            continue
        if isinstance(node.value, int) and node.value in SRIDS or (
                isinstance(node.value, str) and (IN_TEXT.search(node.value) or AS_NAME.fullmatch(node.value))):
            lines.append(node.lineno)
    return sorted(lines)


def scanned_files() -> list[str]:
    return sorted(str(path.relative_to(ROOT)) for package in SCANNED for path in (ROOT / package).rglob("*.py")
                  if "node_modules" not in path.parts and ".venv" not in path.parts)


def test_no_bare_srid_outside_the_constants():
    found = {}
    for name in scanned_files():
        if name == CONSTANTS or name.startswith(MIGRATIONS):
            continue
        lines = bare_srids((ROOT / name).read_text(encoding="utf-8"))
        if lines:
            found[name] = lines
    assert found == {}


def test_the_check_finds_a_bare_srid_in_sql_and_in_a_number():
    assert bare_srids('SQL = "SELECT ST_Transform(geom, 4550) FROM t"\n') == [1]
    assert bare_srids("from_shape(g, srid=4490)\n") == [1]
    assert bare_srids('to = transformer("EPSG:4490", "EPSG:4550")\n') == [1, 1]
    assert bare_srids('m = "坐标系：EPSG:4550"\n') == []  # a text users read
    assert bare_srids('"""4490 in a docstring"""\n# 4550 in a comment\n') == []
    assert bare_srids('P = f"SRID={s};POINT(124.4490 40.4550)"\nW = f"x {4550}"\n') == [2]


def test_the_constants_name_the_storage_and_metric_crs():
    from formats.srids import METRIC_CRS, METRIC_SRID, STORAGE_CRS, STORAGE_SRID
    assert (STORAGE_SRID, METRIC_SRID, STORAGE_CRS, METRIC_CRS) == (4490, 4550, "EPSG:4490", "EPSG:4550")
