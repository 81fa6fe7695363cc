"""CQL2 (OGC API – Features Part 3) to a SQLAlchemy condition on a layer's table.

Parsed by pygeofilter (text and JSON); pygeofilter 0.4 does not know ``S_DWITHIN``, so the text
grammar is extended by one rule and the JSON form is pre-read here. The tree is translated through
SQLAlchemy column expressions with bound parameters and compiled for the feature store's statement
(:attr:`layers.features.ListQuery.condition`): no value is ever written into SQL text.
Only queryables (:func:`queryables`) may be named: personal fields never are (a match on a masked
value would confirm it without a reveal, as in ``layers.features``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from itertools import count
from typing import Any

import shapely
from geoalchemy2 import Geography
from lark import Lark, LarkError, v_args
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parser as text_parser
from shapely.geometry import shape
from sqlalchemy import ColumnElement, and_, any_, bindparam, cast, false, func, not_, or_, true
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql.expression import ColumnClause

from formats.srids import STORAGE_SRID
from gis_server.ogc.crs import Crs, geometry_to_storage
from layers.errors import InvalidInput
from layers.registry import FieldSpec, LayerSpec

GEOMETRY = "geometry"
# metres per degree, a lower bound anywhere in the county (ENVIRONMENT.md): a degree box that surely
# holds every feature within a distance, for the spatial index, before the exact metric test
METRES_PER_DEGREE_MIN = 83_000.0
UNITS = {"meters": 1.0, "metres": 1.0, "m": 1.0, "kilometers": 1000.0, "km": 1000.0}
# local parameter: the longest S_DWITHIN distance, 100 km — the county is ~70 km across, so a larger one
# asks for everything and only makes the degree box of the index useless
MAX_DISTANCE_M = 100_000.0

_DWITHIN_RULE = (
    '\n%extend spatial_predicate: "S_DWITHIN"i "(" expression "," expression "," full_number '
    '["," /[A-Za-z]+/] ")" -> dwithin\n')


@v_args(meta=False, inline=True)
class _Transformer(text_parser.CQLTransformer):
    def dwithin(self, lhs: Any, rhs: Any, distance: Any, units: Any = None) -> ast.Node:
        return ast.DistanceWithin(lhs, rhs, distance, str(units or "meters").lower())


@cache
def _text_parser() -> Lark:
    folder = os.path.dirname(text_parser.__file__)
    with open(os.path.join(folder, "grammar.lark"), encoding="utf-8") as grammar:
        source = grammar.read() + _DWITHIN_RULE
    return Lark(source, parser="lalr", maybe_placeholders=False, transformer=_Transformer(),
                import_paths=[os.path.dirname(folder)])


def _json_dwithin(node: Any) -> Any:
    """The JSON tree with each ``s_dwithin`` already a pygeofilter node (which its walker keeps)."""
    if isinstance(node, list):
        return [_json_dwithin(n) for n in node]
    if not isinstance(node, dict):
        return node
    if str(node.get("op", "")).lower() == "s_dwithin":
        args = node.get("args")
        if not isinstance(args, list) or len(args) not in (3, 4):
            raise InvalidInput("S_DWITHIN 需要三个参数：几何属性、几何、距离（米）", "s_dwithin needs 3 arguments",
                               field="filter")
        lhs, rhs = (parse_json(a) if isinstance(a, dict) and "op" in a else _leaf(a) for a in args[:2])
        return ast.DistanceWithin(lhs, rhs, args[2], str(args[3] if len(args) == 4 else "meters").lower())
    return {k: _json_dwithin(v) for k, v in node.items()}


def _leaf(value: Any) -> Any:
    if isinstance(value, dict) and "property" in value:
        return ast.Attribute(value["property"])
    if isinstance(value, dict) and "bbox" in value:
        return values.Envelope(*value["bbox"])
    if isinstance(value, dict) and "type" in value:
        return values.Geometry(value)
    return value


def parse(text: str, lang: str | None) -> ast.Node:
    """A CQL2 text or JSON filter as pygeofilter's tree; a 422 saying where it is wrong."""
    lang = (lang or ("cql2-json" if text.lstrip().startswith("{") else "cql2-text")).lower()
    try:
        if lang == "cql2-text":
            return _text_parser().parse(text)
        if lang == "cql2-json":
            import json

            return parse_json(_json_dwithin(json.loads(text)))
    except LarkError as exc:
        where = getattr(exc, "column", None)
        at = f"第 {where} 个字符处" if where else ""
        raise InvalidInput(f"过滤条件（filter）{at}语法错误，请按 CQL2 书写", "CQL2 syntax error",
                           field="filter") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput("过滤条件（filter）不是有效的 CQL2 JSON", f"bad CQL2 JSON: {type(exc).__name__}",
                           field="filter") from None
    raise InvalidInput(f"不支持的过滤语言 filter-lang={lang}：可用 cql2-text、cql2-json",
                       f"unsupported filter-lang {lang!r}", field="filter-lang")


def queryables(spec: LayerSpec) -> list[FieldSpec]:
    """Fields a filter may name: every shown field except personal ones."""
    return [f for f in spec.fields if not f.personal]


class Translator:
    """One filter's translation: bound parameters numbered ``cql0``, ``cql1``… on alias ``t``."""

    def __init__(self, spec: LayerSpec, filter_crs: Crs):
        self.spec = spec
        self.crs = filter_crs
        self.table = spec.table.alias("t")
        self.fields = {f.name: f for f in spec.fields}
        self._numbers = count()
        handlers: dict[type, Callable[[Any], ColumnElement[bool]]] = {
            ast.And: lambda n: and_(self.condition(n.lhs), self.condition(n.rhs)),
            ast.Or: lambda n: or_(self.condition(n.lhs), self.condition(n.rhs)),
            ast.Not: lambda n: not_(self.condition(n.sub_node)),
            ast.Equal: lambda n: self._compare(n, lambda a, b: a == b),
            ast.NotEqual: lambda n: self._compare(n, lambda a, b: a != b),
            ast.LessThan: lambda n: self._compare(n, lambda a, b: a < b),
            ast.LessEqual: lambda n: self._compare(n, lambda a, b: a <= b),
            ast.GreaterThan: lambda n: self._compare(n, lambda a, b: a > b),
            ast.GreaterEqual: lambda n: self._compare(n, lambda a, b: a >= b),
            ast.Like: self._like,
            ast.In: self._in,
            ast.Between: self._between,
            ast.IsNull: lambda n: self._column(n.lhs).is_not(None) if n.not_ else self._column(n.lhs).is_(None),
            ast.GeometryIntersects: self._intersects,
            ast.DistanceWithin: self._dwithin,
            ast.Include: lambda n: false() if n.not_ else true(),
        }
        self.handlers = handlers

    def condition(self, node: Any) -> ColumnElement[bool]:
        handler = self.handlers.get(type(node))
        if handler is None:
            name = type(node).__name__
            raise InvalidInput(f"过滤条件中的“{name}”不受支持：可用比较、LIKE、IN、BETWEEN、IS NULL、NOT、"
                               "S_INTERSECTS、S_DWITHIN", f"unsupported CQL2 node {name}", field="filter")
        return handler(node)

    def param(self, value: Any, type_: Any = None) -> Any:
        return bindparam(f"cql{next(self._numbers)}", value, type_=type_)

    def _field(self, node: Any) -> FieldSpec:
        if not isinstance(node, ast.Attribute):
            raise InvalidInput("过滤条件的左边应为属性名", "left side must be a property", field="filter")
        f = self.fields.get(node.name)
        if f is None:
            raise InvalidInput(f"不能按“{node.name}”过滤：本图层没有该字段，见 queryables",
                               f"unknown queryable {node.name!r}", field="filter")
        if f.personal:
            raise InvalidInput(f"不能按个人信息字段“{f.label}”过滤：请按村、类别等筛选后逐户查看",
                               f"cannot filter by the personal field {f.name!r}", field="filter")
        return f

    def _column(self, node: Any) -> ColumnClause[Any]:
        return self.table.c[self._field(node).name]

    def _value(self, f: FieldSpec, value: Any) -> Any:
        if isinstance(value, ast.Node | values.Geometry | values.Envelope):
            raise InvalidInput(f"“{f.label}”只能与常量比较", "only literals on the right side", field="filter")
        ok = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
              "date": (date, str), "datetime": (datetime, date, str), "array": (str,)}.get(f.type, (str,))
        if isinstance(value, bool) and f.type != "boolean" or not isinstance(value, ok):
            raise InvalidInput(f"“{f.label}”（{f.name}）的比较值类型不对", f"wrong literal type for {f.name}",
                               field="filter")
        return value

    def _compare(self, node: Any, op: Callable[[Any, Any], ColumnElement[bool]]) -> ColumnElement[bool]:
        f = self._field(node.lhs)
        value = self._value(f, node.rhs)
        column = self.table.c[f.name]
        if f.type == "array":  # a list of codes (categories): "=" means it has the value, "<>" it has not
            if not isinstance(node, ast.Equal | ast.NotEqual):
                raise InvalidInput(f"“{f.label}”是多选字段，只能用 =、<> 或 IN", f"{f.name} is a list",
                                   field="filter")
            has = self.param(value) == any_(column)
            return has if isinstance(node, ast.Equal) else not_(has)
        return op(column, self.param(value, column.type))

    def _like(self, node: ast.Like) -> ColumnElement[bool]:
        f = self._field(node.lhs)
        if f.type != "string":
            raise InvalidInput(f"LIKE 只能用于文本字段，“{f.label}”不是", "LIKE needs a text field", field="filter")
        column = self.table.c[f.name]
        pattern = self.param(self._value(f, node.pattern))
        matched = column.ilike(pattern, escape="\\") if node.nocase else column.like(pattern, escape="\\")
        return not_(matched) if node.not_ else matched

    def _in(self, node: ast.In) -> ColumnElement[bool]:
        f = self._field(node.lhs)
        column = self.table.c[f.name]
        items = [self._value(f, v) for v in node.sub_nodes]
        if f.type == "array":
            found = column.overlap(cast(self.param(items), column.type))
        else:
            found = column.in_([self.param(v, column.type) for v in items])
        return not_(found) if node.not_ else found

    def _between(self, node: ast.Between) -> ColumnElement[bool]:
        f = self._field(node.lhs)
        column = self.table.c[f.name]
        found = column.between(self.param(self._value(f, node.low), column.type),
                               self.param(self._value(f, node.high), column.type))
        return not_(found) if node.not_ else found

    def _geometry(self, node: Any) -> Any:
        if isinstance(node, values.Envelope):
            geom = shapely.box(node.x1, node.y1, node.x2, node.y2)
        elif isinstance(node, values.Geometry):
            try:
                geom = shape(node.geometry)
            except (ValueError, TypeError, AttributeError):
                raise InvalidInput("过滤条件中的几何无效", "invalid geometry in filter", field="filter") from None
        else:
            raise InvalidInput("空间条件的第二个参数应为几何（WKT、GeoJSON 或 BBOX）",
                               "second argument must be a geometry", field="filter")
        if geom.is_empty or not geom.is_valid:
            raise InvalidInput("过滤条件中的几何为空或无效", "empty or invalid geometry in filter", field="filter")
        geom = geometry_to_storage(geom, self.crs)
        return func.ST_GeomFromWKB(self.param(shapely.to_wkb(geom)), STORAGE_SRID)

    def _geometry_column(self, node: Any) -> Any:
        if not isinstance(node, ast.Attribute) or node.name not in (GEOMETRY, "geom"):
            raise InvalidInput("空间条件的第一个参数应为几何属性 geometry", "spatial predicates take the geometry",
                               field="filter")
        return self.table.c.geom

    def _intersects(self, node: Any) -> ColumnElement[bool]:
        return func.ST_Intersects(self._geometry_column(node.lhs), self._geometry(node.rhs))

    def _dwithin(self, node: Any) -> ColumnElement[bool]:
        column = self._geometry_column(node.lhs)
        factor = UNITS.get(node.units)
        if factor is None or isinstance(node.distance, bool) or not isinstance(node.distance, int | float) \
                or not 0 <= node.distance * factor <= MAX_DISTANCE_M:
            raise InvalidInput("S_DWITHIN 的距离应为 0–100000 米（单位 meters 或 kilometers）",
                               "s_dwithin distance must be 0..100 km in meters or kilometers", field="filter")
        metres = float(node.distance) * factor
        other = self._geometry(node.rhs)
        near = func.ST_DWithin(column, other, self.param(metres / METRES_PER_DEGREE_MIN))  # index-assisted box
        exact = func.ST_DWithin(cast(column, Geography(srid=STORAGE_SRID)), cast(other, Geography(srid=STORAGE_SRID)),
                                self.param(metres))
        return and_(near, exact)


_DIALECT = PGDialect(paramstyle="named")  # ":name" binds, no "::type" casts after them


def compiled(condition: ColumnElement[bool]) -> tuple[str, dict[str, Any]]:
    """The SQL condition (alias ``t``) and its parameters for :class:`layers.features.ListQuery`."""
    result = condition.compile(dialect=_DIALECT)
    return str(result), dict(result.params)


def compile_filter(spec: LayerSpec, text: str, lang: str | None, filter_crs: Crs) -> tuple[str, dict[str, Any]]:
    return compiled(Translator(spec, filter_crs).condition(parse(text, lang)))
