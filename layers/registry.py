"""The layer contract and the registry that the generic API, tiles, exports and map read.

A layer is a declaration: adding one is a new :class:`LayerSpec`, never a branch in generic code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy import CheckConstraint, Column, Float, Index, Table, Text, UniqueConstraint, text

from layers.base import NAME_MAX_LENGTH, TEXT_MAX_LENGTH, Base
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
    minimum: float | None = None  # inclusive bounds of a number (the model's declared domain)
    maximum: float | None = None
    references: str | None = None  # a layer whose live ``code`` the value must be
    notice: bool = False  # a warning about the record: shown wherever the record is (popups too), when set
    aliases: tuple[str, ...] = ()  # other headers an imported file may give it under (layers.imports.columns)


def _max_length(column: Column[Any], title_field: str) -> int | None:
    """The declared length, else the column's, else the local defaults for names and texts."""
    declared = column.info.get("max_length") or getattr(column.type, "length", None)
    if declared or not isinstance(column.type, Text):
        return declared
    return NAME_MAX_LENGTH if column.name == title_field else TEXT_MAX_LENGTH


def _number_literal(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def range_check_sql(column: Column[Any]) -> str | None:
    """The CHECK that keeps a number column in its declared domain and, for floats, finite
    (PostgreSQL sorts NaN above ``'Infinity'``, so ``< 'Infinity'`` refuses both); None if unbounded.
    """
    name = '"' + column.name.replace('"', '""') + '"'
    lower, upper = column.info.get("minimum"), column.info.get("maximum")
    parts = []
    if lower is not None:
        parts.append(f"{name} >= {_number_literal(lower)}")
    elif isinstance(column.type, Float):
        parts.append(f"{name} > '-Infinity'")
    if upper is not None:
        parts.append(f"{name} <= {_number_literal(upper)}")
    if isinstance(column.type, Float):
        parts.append(f"{name} < 'Infinity'")
    return " AND ".join(parts) or None


def natural_key_index_name(table: str, key: tuple[str, ...]) -> str:
    return f"uq_{table}_live_{'_'.join(key)}"


def _declare_table_rules(table: Table, natural_key: tuple[str, ...]) -> None:
    """Add to the model's table what the declarations imply (migration 0016 creates the same):
    a unique index on the natural key among live rows, unless a unique constraint already holds it,
    and a CHECK per bounded or float column.
    """
    unique_sets = [{c.name for c in u.columns} for u in table.constraints if isinstance(u, UniqueConstraint)]
    unique_sets += [{column.name} for column in table.columns if column.unique]
    unique_sets += [{c.name for c in i.columns} for i in table.indexes if i.unique]
    if natural_key and set(natural_key) not in unique_sets:
        Index(natural_key_index_name(table.name, natural_key), *(table.columns[k] for k in natural_key),
              unique=True, postgresql_where=text("retired_at IS NULL"))
    checks = {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
    for column in table.columns:
        sql = range_check_sql(column)
        if sql and f"{column.name}_range" not in checks:
            table.append_constraint(CheckConstraint(sql, name=f"{column.name}_range"))


def _json_type(column: Column[Any]) -> str:
    try:
        py = column.type.python_type
    except NotImplementedError:
        return "object"
    return {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
            dict: "object"}.get(py, py.__name__)


@dataclass(frozen=True)
class Radius:
    """A facility type's default service area: a radius, or the administrative unit it serves."""

    radius_m: float | None  # None: serves an administrative unit (scope)
    scope: str  # "radius" | "village" | "township" | "county"
    basis: str
    mode: str = "walking"  # network mode used by default for this type


@dataclass(frozen=True)
class CoverageSource:
    """How a facility layer counts in coverage (``layers.coverage.radii.SOURCES`` is built from these):
    its type column and types (code → title), the columns giving its township code (in order) and its
    village code, and the default service areas of the types (``layers.coverage.radii`` holds those of
    shelters and care facilities, with their standards).
    """

    type_column: str
    types: dict[str, str]
    township_columns: tuple[str, ...]
    village_column: str = "village_code"
    defaults: dict[str, Radius] = field(default_factory=dict)


@dataclass(frozen=True)
class NewFeaturePage:
    """Where a layer's new features are registered, when not drawn on the map (naming rules, status)."""

    href: str
    note: str


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
    # checks and normalises a row's own values (no database): the layer's prepare_write runs it on every
    # write, and an import's dry run on every row, so that a file's row is refused by its number and its
    # natural key is matched as it will be stored (e.g. a marker's 004a is 004A)
    check_values: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # adds what only a reveal shows (e.g. the decrypted ID number) to one Feature's GeoJSON text
    reveal_hook: Callable[[Any, int, str, Any], str] | None = None
    # the same for many records at once (a full export): (conn, ids, cipher) → id → the properties it adds
    reveal_values: Callable[[Any, list[int], Any], dict[int, dict[str, Any]]] | None = None
    # refuses a write the layer's rules forbid (e.g. moving a boundary marker outside a re-survey); called
    # with a ``layers.features.ProposedWrite`` inside the transaction, before every create, update and restore
    validate_write: Callable[[Any], None] | None = None
    # counts in coverage as a facility layer; has a page of its own for new features; the API the top
    # bar's search box asks for its features by name (the catalog serves these to the pages)
    coverage: CoverageSource | None = None
    new_feature_page: NewFeaturePage | None = None
    search_api: str | None = None

    def __post_init__(self) -> None:
        _declare_table_rules(self.table, self.natural_key)

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
                max_length=_max_length(column, self.title_field) if _json_type(column) == "string" else None,
                hidden=bool(info.get("hidden")),
                derived=bool(info.get("derived")),
                minimum=info.get("minimum"),
                maximum=info.get("maximum"),
                references=info.get("references"),
                notice=bool(info.get("notice")),
                aliases=tuple(info.get("aliases", ())),
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

    def admin_may(self, roles: frozenset[str] | set[str]) -> bool:
        """The admin's blanket access (it administers accounts and the shared layers). It does not reach a
        layer of personal data (one with ``reveal_roles``): an admin reads, writes or reveals it only when it
        also holds one of the layer's own roles (《个人信息保护法》第五十一条（三）：合理确定个人信息处理的
        操作权限; households: 第二十八条 sensitive personal information).
        """
        return ADMIN in roles and not self.reveal_roles

    def can_read(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.read_roles & set(roles)) or self.admin_may(roles)

    def can_write(self, roles: frozenset[str] | set[str]) -> bool:
        return bool(self.write_roles & set(roles)) or self.admin_may(roles)


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
