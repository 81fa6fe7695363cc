"""The layer contract and the registry that the generic API, tiles, exports and map read.

A layer is a declaration: adding one is a new :class:`LayerSpec`, never a branch in generic code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table

from layers.base import Base
from layers.roles import ADMIN


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a layer as users see it."""

    name: str
    label: str
    type: str  # "string" | "integer" | "number" | "boolean" | "date" | "datetime" | "array" | "object"
    required: bool = False
    choices: dict[str, str] | None = None
    personal: bool = False
    system: bool = False
    unit: str | None = None
    has_default: bool = False
    max_length: int | None = None


def _json_type(column: Column[Any]) -> str:
    try:
        py = column.type.python_type
    except NotImplementedError:
        return "object"
    return {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
            dict: "object"}.get(py, py.__name__)


@dataclass(frozen=True, eq=False)  # identity hash: specs are singletons of the registry
class LayerSpec:
    """A thematic layer: its table, title, geometry, permissions and presentation."""

    name: str
    title: str
    theme: str
    model: type[Base]
    geometry_type: str  # Point | MultiLineString | MultiPolygon | Geometry (any)
    read_roles: frozenset[str]
    write_roles: frozenset[str]
    natural_key: tuple[str, ...] = ()
    title_field: str = "name"
    large: bool = False  # served to the map as vector tiles, not GeoJSON by viewport
    style: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    @property
    def fields(self) -> list[FieldSpec]:
        """Every non-geometry column, in table order."""
        out = []
        for column in self.table.columns:
            if column.name == "geom":
                continue
            info = column.info
            out.append(FieldSpec(
                name=column.name,
                label=info.get("label", column.name),
                type=_json_type(column),
                required=bool(info.get("required")),
                choices=info.get("choices"),
                personal=bool(info.get("personal")),
                system=bool(info.get("system")),
                unit=info.get("unit"),
                has_default=column.server_default is not None,
                max_length=getattr(column.type, "length", None),
            ))
        return out

    @property
    def editable_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if not f.system]

    @property
    def personal_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.personal)

    def can_read(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.read_roles & set(roles)) or ADMIN in roles

    def can_write(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.write_roles & set(roles)) or ADMIN in roles


class LayerRegistry:
    """A plain name → :class:`LayerSpec` mapping with lookup by name."""

    def __init__(self, specs: list[LayerSpec]):
        self._specs = {s.name: s for s in specs}
        if len(self._specs) != len(specs):
            raise ValueError("duplicate layer names")

    def __iter__(self) -> Iterator[LayerSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> LayerSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return list(self._specs)
