"""Typed values out of a JSON request body: the wrong type is a clear 422, never a crash.

>>> text_or_none({"note": "x"}, "note"), int_or_none({}, "record_id")
('x', None)
>>> text_or_none({"note": {}}, "note")
Traceback (most recent call last):
...
layers.errors.InvalidInput: note must be a string
"""

from __future__ import annotations

import math
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


def shown(text: str, limit: int = 60) -> str:
    """A client's text as a message may quote it: at most ``limit`` characters (a key can be megabytes).

    >>> shown("name"), shown("x" * 100, 5)
    ('name', 'xxxxx…')
    """
    return text if len(text) <= limit else text[:limit] + "…"


MAY_HOLD_NON_FINITE = (float, dict, list)  # the types that are, or may contain, a NaN or ±Infinity


def refuse_non_finite(value: Any, where: str, field: str | None = None) -> None:
    """Refuse NaN and ±Infinity anywhere inside ``value`` (a parsed JSON body or part of one).

    Python's JSON reader accepts the literals ``NaN``, ``Infinity`` and ``-Infinity`` and reads
    ``1e400`` as infinity: stored, such a value broke every analysis that read it (issue 13).
    ``where`` names the place for the message.

    >>> refuse_non_finite({"a": [1, 2.5, {"b": None}]}, "properties")
    >>> refuse_non_finite({"a": [1, {"b": float("1e400")}]}, "几何（geometry）")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: non-finite number at 几何（geometry）.a[1].b
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            literal = "NaN" if math.isnan(item) else ("-Infinity" if item < 0 else "Infinity")
            place = shown(f"{where}{path}", 200)
            raise InvalidInput(f"{place} 的值 {literal} 不是有限数值：不接受 NaN、Infinity 或超出范围的数（如 1e400）",
                               f"non-finite number at {place}", field=shown(field or where))
        # only what can hold a number that is not finite: a list of texts makes no path per item
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in item.items() if isinstance(v, MAY_HOLD_NON_FINITE))
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item) if isinstance(v, MAY_HOLD_NON_FINITE))
