"""Pydantic schemas per layer, generated from the model's columns (one source of truth).

``Create`` requires the required fields, ``Update`` makes everything optional (PATCH),
both refuse unknown fields and values outside a field's ``choices``. Validation messages
are turned into Chinese with the field's label by :func:`explain`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, create_model

from layers.errors import InvalidInput
from layers.registry import FieldSpec, LayerSpec

_PY_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool,
                             "date": dt.date, "datetime": dt.datetime, "object": Any, "array": list[Any]}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _annotation(f: FieldSpec) -> Any:
    if f.choices:
        choice = Literal[tuple(f.choices)]  # type: ignore[valid-type]
        return list[choice] if f.type == "array" else choice  # type: ignore[valid-type]
    if f.type == "string" and f.max_length:
        return Annotated[str, StringConstraints(max_length=f.max_length)]
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
        f.name: ((_annotation(f), None if f.has_default else ...) if f.required
                 else (_annotation(f) | None, None))
        for f in fields
    }
    update_fields: dict[str, Any] = {
        f.name: ((_annotation(f), None) if f.required else (_annotation(f) | None, None)) for f in fields
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
    "string_type": "应为文本",
    "list_type": "应为列表",
    "int_type": "应为整数",
    "float_type": "应为数值",
    "bool_type": "应为是/否",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_too_long": "太长",
}


def explain(spec: LayerSpec, error: ValidationError) -> InvalidInput:
    """A Chinese message naming each bad field by its label."""
    labels = {f.name: f for f in [*spec.fields, *spec.input_fields]}
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        f = labels.get(name)
        label = f"{f.label}（{name}）" if f else f"“{name}”"
        text = _MESSAGES.get(item["type"], "取值无效")
        if item["type"] == "extra_forbidden" and f is not None:  # shown, but not for clients to set
            text = "由系统生成，不能直接填写"
            if f.derived and spec.input_fields:
                text += "（请填写" + "、".join(f"“{i.label}”（{i.name}）" for i in spec.input_fields) + "）"
        if item["type"] == "literal_error" and f and f.choices:
            text += "：可选 " + "、".join(f"{k}（{v}）" for k, v in f.choices.items())
        if item["type"] == "missing" and name == "":
            label = "属性"
        problems.append({"field": name, "message": f"{label}{text}", "message_en": item["msg"]})
    return InvalidInput("；".join(p["message"] for p in problems),
                        "; ".join(f"{p['field']}: {p['message_en']}" for p in problems), problems=problems)


def validate_properties(spec: LayerSpec, properties: Any, *, partial: bool) -> dict[str, Any]:
    """Checked properties, only those given when ``partial``; raises :class:`InvalidInput`."""
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise InvalidInput("properties 应为对象", "properties must be an object", field="properties")
    schema = schemas_for(spec).update if partial else schemas_for(spec).create
    try:
        model = schema.model_validate(properties)
    except ValidationError as exc:
        raise explain(spec, exc) from None
    return model.model_dump(exclude_unset=True)
