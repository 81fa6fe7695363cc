"""Pydantic schemas per layer, generated from the model's columns (one source of truth).

``Create`` requires the required fields, ``Update`` makes everything optional (PATCH),
both refuse unknown fields and values outside a field's ``choices``. Values are strict: a
boolean is ``true``/``false`` (not 1 or "yes"), a number is a JSON number (not "5", not true),
finite and inside the field's declared domain and its column's range; a text is no longer than
its declared length and, when required, not blank. Validation messages are turned into Chinese
with the field's label by :func:`explain`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import BigInteger, SmallInteger

from layers.errors import InvalidInput
from layers.inputs import MAY_HOLD_NON_FINITE, refuse_non_finite, shown
from layers.registry import FieldSpec, LayerSpec

_PY_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool,
                             "date": dt.date, "datetime": dt.datetime, "object": Any, "array": list[Any]}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _date_text(value: Any) -> Any:
    # lax pydantic reads a number as a Unix time: 0 would be 1970-01-01
    if isinstance(value, str | dt.date):
        return value
    raise PydanticCustomError("date_type", "date must be a YYYY-MM-DD string")


def _integer_range(spec: LayerSpec, name: str) -> tuple[int, int]:
    """What the column can hold: a larger number was a database error after the uniqueness checks."""
    column = spec.table.columns.get(name)
    bits = 16 if column is not None and isinstance(column.type, SmallInteger) else 32
    if column is not None and isinstance(column.type, BigInteger):
        bits = 64
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def _annotation(spec: LayerSpec, f: FieldSpec) -> Any:
    if f.choices:
        choice = Literal[tuple(f.choices)]  # type: ignore[valid-type]
        return list[choice] if f.type == "array" else choice  # type: ignore[valid-type]
    if f.type == "string":
        return Annotated[str, Strict(), StringConstraints(min_length=1 if f.required else None,
                                                          max_length=f.max_length)]
    if f.type == "integer":
        low, high = _integer_range(spec, f.name)
        return Annotated[int, Strict(), Field(ge=max(low, f.minimum if f.minimum is not None else low),
                                              le=min(high, f.maximum if f.maximum is not None else high))]
    if f.type == "number":
        return Annotated[float, Strict(), Field(ge=f.minimum, le=f.maximum, allow_inf_nan=False)]
    if f.type == "boolean":
        return Annotated[bool, Strict()]
    if f.type in ("date", "datetime"):
        return Annotated[_PY_TYPES[f.type], BeforeValidator(_date_text)]
    return _PY_TYPES.get(f.type, Any)


@dataclass(frozen=True)
class LayerSchemas:
    create: type[BaseModel]
    update: type[BaseModel]


@cache
def schemas_for(spec: LayerSpec) -> LayerSchemas:
    fields = [*spec.editable_fields, *spec.input_fields]
    prefix = spec.model.__name__
    # A required field may be left out only when the database has a default for it; it may
    # never be sent as null. The unset default (None) is dropped by ``exclude_unset``.
    create_fields: dict[str, Any] = {
        f.name: ((_annotation(spec, f), None if f.has_default else ...) if f.required
                 else (_annotation(spec, f) | None, None))
        for f in fields
    }
    update_fields: dict[str, Any] = {
        f.name: ((_annotation(spec, f), None) if f.required else (_annotation(spec, f) | None, None))
        for f in fields
    }
    return LayerSchemas(
        create=create_model(f"{prefix}Create", __base__=_Strict, **create_fields),
        update=create_model(f"{prefix}Update", __base__=_Strict, **update_fields),
    )


_MESSAGES = {
    "missing": "为必填项",
    "extra_forbidden": "不是本图层的字段",
    "literal_error": "取值不在允许范围内",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数值",
    "bool_parsing": "应为是/否",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "list_type": "应为列表",
    # strict types: say what was given instead
    "string_type": "应为文本（不能是数字、true/false、对象或列表）",
    "int_type": "应为整数（JSON 数字，不能是文本、小数或 true/false）",
    "float_type": "应为数值（JSON 数字，不能是文本或 true/false）",
    "bool_type": "应为 true 或 false（不能用数字或文本表示是/否）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_too_long": "太长（最多 {max_length} 个字）",
    "string_too_short": "不能为空或只有空格",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "finite_number": "应为有限数值（不能是 NaN 或无穷大）",
}


def _number_text(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def explain(spec: LayerSpec, error: ValidationError) -> InvalidInput:
    """A Chinese message naming each bad field by its label."""
    labels = {f.name: f for f in [*spec.fields, *spec.input_fields]}
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        f = labels.get(name)
        label = f"{f.label}（{name}）" if f else f"“{shown(name)}”"
        text = _MESSAGES.get(item["type"], "取值无效")
        context = {k: _number_text(v) for k, v in (item.get("ctx") or {}).items()}
        try:
            text = text.format(**context)
        except (KeyError, IndexError):
            text = text.split("（")[0]
        if item["type"] == "extra_forbidden" and f is not None:  # shown, but not for clients to set
            text = "由系统生成，不能直接填写"
            if f.derived and spec.input_fields:
                text += "（请填写" + "、".join(f"“{i.label}”（{i.name}）" for i in spec.input_fields) + "）"
        if item["type"] == "literal_error" and f and f.choices:
            text += "：可选 " + "、".join(f"{k}（{v}）" for k, v in f.choices.items())
        if item["type"] == "missing" and name == "":
            label = "属性"
        problems.append({"field": shown(name), "message": f"{label}{text}", "message_en": item["msg"]})
    return InvalidInput("；".join(p["message"] for p in problems),
                        "; ".join(f"{p['field']}: {p['message_en']}" for p in problems), problems=problems)


@cache
def _labels(spec: LayerSpec) -> dict[str, str]:
    return {f.name: f.label for f in [*spec.fields, *spec.input_fields]}


def validate_properties(spec: LayerSpec, properties: Any, *, partial: bool) -> dict[str, Any]:
    """Checked properties, only those given when ``partial``; raises :class:`InvalidInput`."""
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise InvalidInput("properties 应为对象", "properties must be an object", field="properties")
    for name, value in properties.items():  # also inside objects and lists, which the schema takes as they are
        if isinstance(value, MAY_HOLD_NON_FINITE):  # nothing else can hold one (an import checks every row)
            label = _labels(spec).get(name)
            refuse_non_finite(value, f"{label}（{name}）" if label else f"properties.{shown(name)}", name)
    schema = schemas_for(spec).update if partial else schemas_for(spec).create
    try:
        model = schema.model_validate(properties)
    except ValidationError as exc:
        raise explain(spec, exc) from None
    return model.model_dump(exclude_unset=True)
