"""Typed values out of a JSON request body: the wrong type is a clear 422, never a crash.

>>> text_or_none({"note": "x"}, "note"), int_or_none({}, "record_id")
('x', None)
>>> text_or_none({"note": {}}, "note")
Traceback (most recent call last):
...
layers.errors.InvalidInput: note must be a string
"""

from __future__ import annotations

from typing import Any

from layers.errors import InvalidInput


def json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("请求体应为 JSON 对象", "body must be a JSON object")
    return body


def text_or_none(body: dict[str, Any], name: str, label: str | None = None) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidInput(f"{label or name} 应为文本", f"{name} must be a string", field=name)


def int_or_none(body: dict[str, Any], name: str, label: str | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{label or name} 应为整数", f"{name} must be an integer", field=name)
    return value
