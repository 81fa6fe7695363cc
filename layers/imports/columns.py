"""Which column of a file is which field of a layer, and turning its cells into field values.

Headers are matched by the field's name, Chinese label and aliases, all from the layer's declaration
(``FieldSpec.aliases``: headers as bureaus' tables write them), and by the common aliases below. Codes
may be given by their labels (低保 → ``dibao``); village and township names become their codes
(:class:`Places`).

>>> normalise_header(" 经度（°） ")
'经度'
>>> split_labels("低保、特困（分散供养）,disabled")
['低保', '特困（分散供养）', 'disabled']
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from layers.registry import FieldSpec, LayerSpec

# Pseudo-fields of the geometry in a table: longitude/easting, latitude/northing, or WKT.
LON, LAT, WKT = "_lon", "_lat", "_wkt"
GEOMETRY_FIELDS = {LON: "经度/东坐标", LAT: "纬度/北坐标", WKT: "几何（WKT）"}

# Headers of the geometry, and of fields every layer names alike (a local list, from the census and roster
# tables of the demo and the examples). A layer's own fields declare theirs (``FieldSpec.aliases``).
ALIASES: dict[str, tuple[str, ...]] = {
    LON: ("经度", "东经", "lon", "lng", "long", "longitude", "x", "东坐标", "easting", "e"),
    LAT: ("纬度", "北纬", "lat", "latitude", "y", "北坐标", "northing", "n"),
    WKT: ("wkt", "几何", "geometry", "geom", "几何（wkt）", "几何(wkt,cgcs2000经纬度)"),
    "name": ("名称", "标准名称", "地名", "name", "mc"),
    "code": ("代码", "编码", "区划代码", "地名代码"),
}
# a field that takes a village's or township's code, whatever its name, also by these headers
REFERENCE_ALIASES: dict[str, tuple[str, ...]] = {
    "villages": ("村", "村名", "所在村", "村代码", "所在村代码", "村（社区）", "村居"),
    "townships": ("乡镇", "乡镇名", "所属乡镇", "乡镇代码", "所属乡镇代码", "乡镇（街道）"),
}

_TRAILING_UNIT = re.compile(r"[（(][^）)]*[）)]$")


def normalise_header(header: str) -> str:
    """Lower case, no spaces, no trailing unit in brackets: ``经度（°）`` → ``经度``."""
    value = re.sub(r"\s+", "", str(header)).lower()
    stripped = _TRAILING_UNIT.sub("", value)
    return stripped or value


def importable_fields(spec: LayerSpec) -> dict[str, FieldSpec]:
    """What a file may set: the editable fields and the layer's input fields (e.g. an ID number)."""
    return {f.name: f for f in (*spec.editable_fields, *spec.input_fields)}


def _names_of(spec: LayerSpec) -> dict[str, str]:
    """Normalised header → field (or geometry pseudo-field), the field's own name and label first."""
    out: dict[str, str] = {}
    for target, aliases in ALIASES.items():
        for alias in aliases:
            out.setdefault(normalise_header(alias), target)
    fields = importable_fields(spec)
    for f in fields.values():  # the layer's declaration wins over the common aliases
        for alias in (*REFERENCE_ALIASES.get(f.references or "", ()), *f.aliases):
            out[normalise_header(alias)] = f.name
    for f in fields.values():  # and a field's own name and label over every alias
        out[normalise_header(f.name)] = f.name
        out[normalise_header(f.label)] = f.name
    return {k: v for k, v in out.items() if v in fields or v in GEOMETRY_FIELDS}


@dataclass(frozen=True)
class ColumnMapping:
    """Header → field; ``unknown``: headers kept in the report, not imported."""

    columns: dict[str, str]
    unknown: list[str] = field(default_factory=list)


def map_columns(spec: LayerSpec, headers: list[str], saved: dict[str, str] | None = None) -> ColumnMapping:
    """Each header's field: the saved mapping first (a value of "" leaves the column out), then aliases.
    A field named by two headers takes the first.
    """
    names = _names_of(spec)
    allowed = {*importable_fields(spec), *GEOMETRY_FIELDS}
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        if not header:
            continue
        target = (saved or {}).get(header)
        if target is None:
            target = names.get(normalise_header(header))
        if target and target in allowed and target not in columns.values():
            columns[header] = target
        elif target != "":
            unknown.append(header)
    return ColumnMapping(columns, unknown)


def split_labels(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、;；/|]", value) if part.strip()]


class Places:
    """Village and township names → codes, read once per import."""

    def __init__(self, conn: Connection):
        self._codes: dict[str, dict[str, set[str]]] = {}
        self._names: dict[str, dict[str, str]] = {}
        for layer in ("villages", "townships"):
            rows = conn.execute(text(f"SELECT code, name FROM {layer} WHERE retired_at IS NULL")).all()
            by_name: dict[str, set[str]] = {}
            for code, name in rows:
                by_name.setdefault(name, set()).add(code)
            self._codes[layer] = by_name
            self._names[layer] = {code: name for code, name in rows}

    def code(self, layer: str, value: str) -> str:
        """``value`` itself when it is a live code; the code of the one live unit of that name; else
        raises ValueError with the Chinese reason.
        """
        if value in self._names[layer]:
            return value
        codes = self._codes[layer].get(value)
        if codes is None:
            codes = self._codes[layer].get(value + ("村" if layer == "villages" else "镇"), set())
        if len(codes) == 1:
            return next(iter(codes))
        what = "村（社区）" if layer == "villages" else "乡镇（街道）"
        if len(codes) > 1:
            raise ValueError(f"有 {len(codes)} 个{what}名为“{value}”：请填写区划代码")
        raise ValueError(f"“{value}”不是在册的{what}名称或区划代码")


class CellError(ValueError):
    """A cell that cannot become the field's value; the message is Chinese and quotes no personal data."""


_TRUE = {"是", "有", "true", "yes", "y", "1", "√", "✓"}
_FALSE = {"否", "无", "没有", "false", "no", "n", "0", "×", ""}


def _choice(f: FieldSpec, value: str) -> str:
    assert f.choices is not None
    if value in f.choices:
        return value
    for code, label in f.choices.items():  # no dict per cell: a roster has a category in every row
        if label == value:
            return code
    # a label with its bracketed detail left off (特困 → the one 特困 category, if only one)
    close = [code for code, label in f.choices.items() if label.split("（")[0] == value]
    if len(close) == 1:
        return close[0]
    raise CellError(f"“{value}”不是可选值：可选 " + "、".join(f.choices.values()))


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CellError("应为整数")
        return int(value)
    try:
        return int(str(value).strip().removesuffix(".0"))
    except ValueError:
        raise CellError("应为整数") from None


def convert(f: FieldSpec, value: Any, places: Places) -> Any:
    """A cell's value as the field's type; blank → None. Raises :class:`CellError`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if f.references in ("villages", "townships"):
        try:
            return places.code(f.references, _text(value))
        except ValueError as exc:
            raise CellError(str(exc)) from None
    if f.personal and isinstance(value, str) and "*" in value:
        # a masked export imported back would overwrite the real value with its mask
        raise CellError("含“*”，是脱敏后的值：请导入原始数据")
    if f.type == "array":
        labels = _json_list(value) or split_labels(_text(value))
        return [_choice(f, label) for label in labels] if f.choices else labels
    if f.type == "object":
        return _json_value(value)
    if f.choices:
        return _choice(f, _text(value))
    if f.type == "integer":
        return _whole(value)
    if f.type == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CellError("应为数值") from None
        if not math.isfinite(number):
            raise CellError("应为有限数值")
        return number
    if f.type == "boolean":
        word = _text(value).lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise CellError("应为“是”或“否”")
    if f.type == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return _text(value).replace("/", "-").replace(".", "-")
    if f.type == "datetime" and isinstance(value, dt.datetime):
        return value.isoformat()
    if f.name == "id_number" and isinstance(value, (int, float)):
        # a spreadsheet number has 15 significant digits: the last ones of an 18-digit number are gone
        raise CellError("身份证号码被存成了数字（末几位已丢失）：请把该列设为文本格式后重新录入")
    return _text(value)


def _json_list(value: Any) -> list[str] | None:
    """A list as this system's exports write it (``["dibao", "disabled"]``), else None."""
    if isinstance(value, str) and value.startswith("["):
        parsed = _parsed_json(value)
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return parsed
    return None


JSON_EXAMPLE = '应为 JSON 写法的列表或对象，如 [{"name": "独立树", "bearing_deg": 45, "distance_m": 12.5}]'


def _json_value(value: Any) -> Any:
    """A structured value (a marker's 方位物): as it came from GeoJSON or GeoPackage, whose readers give it as
    JSON text, or as this system's exports write it in a cell.

    >>> _json_value('[{"name": "独立树", "bearing_deg": 45, "distance_m": 12.5}]')
    [{'name': '独立树', 'bearing_deg': 45, 'distance_m': 12.5}]
    >>> _json_value("独立树")
    Traceback (most recent call last):
    ...
    layers.imports.columns.CellError: 应为 JSON 写法的列表或对象，如 [...]
    """
    if isinstance(value, (list, dict)):
        return value
    parsed = _parsed_json(_text(value))
    if not isinstance(parsed, (list, dict)):
        raise CellError(JSON_EXAMPLE)
    return parsed


def _parsed_json(value: str) -> Any:
    """JSON text parsed, or None when it is not JSON; nesting deep enough to exhaust the parser's stack
    (a cell of ``[[[[…``) is not JSON either, not an error of the service.

    >>> _parsed_json("[1]"), _parsed_json("独立树"), _parsed_json("[" * 100_000)
    ([1], None, None)
    """
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code read from a spreadsheet as a number
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value).strip()
