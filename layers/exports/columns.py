"""Which columns an export of a layer has, and how each value is written.

Every visible field keeps its name and Chinese label; beside a coded value goes its name:
a category label column (``kind`` → ``kind_label``, lists as ``低保、残疾``) and, for village and
township codes, the unit's name (``village_code`` → ``village_name``). Times are Beijing time
(UTC+08:00; China has kept one offset all year since 1992), the account that wrote a row is shown by
its label where one exists. The retirement columns are left out: exports hold live rows only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from formats.sheets import Column
from layers.labels import UNIT_CODE_FIELDS, account_title
from layers.registry import FieldSpec, LayerSpec

BEIJING = timezone(timedelta(hours=8))  # 北京时间: the one standard time of China, UTC+8, no summer time since 1992
LEFT_OUT = {"retired_at", "retired_reason"}
SOURCE_TITLES = {"demo": "示例数据", "user": "用户录入", "import": "批量导入"}
LIST_SEPARATOR, LABEL_SEPARATOR = ",", "、"


def beijing_time(value: Any) -> Any:
    """An ISO time (as PostgreSQL writes it) in Beijing time, to the second.

    >>> beijing_time("2026-03-01T08:30:00.123+00:00")
    '2026-03-01 16:30:00+08:00'
    """
    if not isinstance(value, str):
        return value
    moment = datetime.fromisoformat(value).astimezone(BEIJING).replace(microsecond=0)
    return moment.isoformat(sep=" ")


def actor_title(name: Any) -> Any:
    """``demo-loader`` → ``示例数据导入程序`` (``layers.labels``); people's accounts as they are."""
    return account_title(name)


def plain(value: Any) -> Any:
    """A value a table cell can hold: lists of plain values joined by commas, objects (and lists of them,
    a marker's 方位物) as JSON text, which an import reads back.

    >>> plain(["低保", "特困"]), plain([{"name": "独立树", "bearing_deg": 45.0}])
    ('低保,特困', '[{"name": "独立树", "bearing_deg": 45.0}]')
    """
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


@dataclass(frozen=True)
class ExportColumn:
    """A column and how its value comes from a feature's properties."""

    column: Column
    value: Callable[[dict[str, Any]], Any]


Value = Callable[[dict[str, Any]], Any]


def _field(name: str, write: Callable[[Any], Any] = plain) -> Value:
    return lambda props: write(props.get(name))


def _labels(f: FieldSpec) -> Value:
    choices = f.choices or {}

    def label(props: dict[str, Any]) -> Any:
        value = props.get(f.name)
        if isinstance(value, list):
            return LABEL_SEPARATOR.join(str(choices.get(v, v)) for v in value)
        return choices.get(value, value) if isinstance(value, str) else value
    return label


def unit_layer(f: FieldSpec) -> str | None:
    return f.references or UNIT_CODE_FIELDS.get(f.name)


def _name_column(spec: LayerSpec, f: FieldSpec, names: dict[str, str]) -> ExportColumn:
    taken = {g.name for g in spec.fields}
    stem = f.name.removesuffix("_code")
    name = f"{stem}_name" if stem != f.name and f"{stem}_name" not in taken else f"{f.name}_name"
    return ExportColumn(Column(name, f.label.removesuffix("代码") + "名称", derived=True),
                        _field(f.name, lambda code: names.get(code) if isinstance(code, str) else None))


def export_columns(spec: LayerSpec, unit_names: dict[str, dict[str, str]],
                   revealed: tuple[FieldSpec, ...] = ()) -> list[ExportColumn]:
    """The columns of ``spec``'s export: its fields with names beside codes; ``unit_names`` maps a unit
    layer (``villages``) to its code → name; ``revealed`` input fields (the ID number) follow the field
    they are derived from when an export reveals them.
    """
    out: list[ExportColumn] = []
    for f in spec.fields:
        if f.name in LEFT_OUT:
            continue
        if f.type == "datetime" or (f.system and f.name.endswith("_at")):
            out.append(ExportColumn(Column(f.name, f"{f.label}（北京时间）"), _field(f.name, beijing_time)))
        elif f.system and f.name.endswith("_by"):
            out.append(ExportColumn(Column(f.name, f.label), _field(f.name, actor_title)))
        else:
            out.append(ExportColumn(Column(f.name, f.label), _field(f.name)))
        if f.choices:
            out.append(ExportColumn(Column(f"{f.name}_label", f"{f.label}（名称）", derived=True), _labels(f)))
        elif f.name == "source":
            out.append(ExportColumn(Column("source_label", f"{f.label}（名称）", derived=True),
                                    _field("source", lambda code: SOURCE_TITLES.get(code, code))))
        layer = unit_layer(f)
        if layer is not None and layer in unit_names:
            out.append(_name_column(spec, f, unit_names[layer]))
        if f.derived:
            out.extend(ExportColumn(Column(i.name, i.label), _field(i.name)) for i in revealed)
    return out
