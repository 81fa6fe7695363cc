"""The layer contract and the registry that the generic API, tiles, exports and map read.

A layer is a declaration: adding one is a new :class:`LayerSpec`, never a branch in generic code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
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
    hidden: bool = False
    derived: bool = False  # shown, but written only by the layer's write hook


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
    # personal data: who may see one record in full, and rows kept off shared maps ({t} = alias)
    reveal_roles: frozenset[str] = frozenset()
    shared_map_filter: str | None = None
    # input-only fields (e.g. an ID number) and the hook that turns them into stored columns
    input_fields: tuple[FieldSpec, ...] = ()
    prepare_write: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    # adds what only a reveal shows (e.g. the decrypted ID number) to one Feature's GeoJSON text
    reveal_hook: Callable[[Any, int, str, Any], str] | None = None
    # may refuse to bring back an old version (conn, feature id, version): e.g. a place name's status and
    # name move only by its lifecycle; raises a domain error
    check_restore: Callable[[Any, int, int], None] | None = None

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    @cached_property
    def fields(self) -> tuple[FieldSpec, ...]:
        """Every column users may see (not the geometry, not hidden ones), in table order."""
        return tuple(f for f in self.all_fields if not f.hidden)

    @cached_property  # the table is fixed once imported; read on every request
    def all_fields(self) -> tuple[FieldSpec, ...]:
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
                hidden=bool(info.get("hidden")),
                derived=bool(info.get("derived")),
            ))
        return tuple(out)

    @cached_property
    def editable_fields(self) -> tuple[FieldSpec, ...]:
        """What clients may set (``input_fields`` come on top, for the write hook to turn into columns)."""
        return tuple(f for f in self.fields if not f.system and not f.derived)

    @cached_property
    def stored_fields(self) -> tuple[FieldSpec, ...]:
        """What a write may set once the layer's hook has run: editable and hidden columns."""
        return tuple(f for f in self.all_fields if not f.system or f.hidden)

    @cached_property
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
